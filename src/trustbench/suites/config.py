"""The typed ``suite`` config: one dataclass per section, each its own Hydra config group.

Source of truth: the YAML. Every option's default value is written once, in
``configs/suite/<section>/default.yaml`` (package ``suite.<section>``, composed by
``configs/config.yaml``). The dataclasses here and in ``suites/<family>/config.py`` declare
each option's name and type and have no defaults, so a default cannot be written twice; the
Python API (:func:`default_config`, ``trustbench.score``) reads the same YAML files.

:func:`load_suite_config` turns the ``suite`` mapping into a :class:`SuiteConfig`, refusing an
unknown key anywhere (with the closest valid key), a missing key or a value of the wrong type,
in one line naming the full key (``suite.privacy.reference_model``). Suites read its fields.

Adding an option: a field in the section's dataclass, its value (and a comment) in the
section's YAML, then read ``cfg.<option>`` in the suite.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from trustbench.errors import ConfigError
from trustbench.options import checked, load, merge, within
from trustbench.suites.data.config import DataConfig, DataWarnConfig
from trustbench.suites.explainability.config import ExplainabilityConfig
from trustbench.suites.fairness.config import FairnessConfig
from trustbench.suites.generalization.config import GeneralizationConfig, ShiftsConfig
from trustbench.suites.performance.config import PerformanceConfig
from trustbench.suites.privacy.config import PrivacyConfig
from trustbench.suites.uncertainty.config import UncertaintyConfig

__all__ = [
    "SECTIONS",
    "BootstrapConfig",
    "DataConfig",
    "DataWarnConfig",
    "ExplainabilityConfig",
    "FairnessConfig",
    "GeneralizationConfig",
    "PerformanceConfig",
    "PrivacyConfig",
    "ShiftsConfig",
    "SuiteConfig",
    "UncertaintyConfig",
    "default_config",
    "load_suite_config",
    "min_resamples",
    "section_config",
]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs" / "suite"


def min_resamples(level: float) -> int:
    """The fewest bootstrap replicates for a central ``level`` interval: ``ceil(2 / (1 - level))``,
    so that at least one replicate lies beyond each end (40 at 0.95, 200 at 0.99).

    With fewer, an end of the percentile interval is the smallest or largest replicate (one
    replicate gives an "interval" of width 0 that need not hold its own estimate).
    """
    return math.ceil(round(2.0 / (1.0 - level), 6))


@dataclass(frozen=True)
class BootstrapConfig:
    """``suite.bootstrap``: the resampling behind every confidence interval."""

    n_resamples: int  # bootstrap replicates (patients resampled), >= min_resamples(level)
    level: float = checked(within(0.0, 1.0))  # CI level, in (0, 1)
    # MiB for one chunk of replicates' temporaries (trustbench.metrics.weights.chunk_memory)
    chunk_memory_mb: float = checked(within(0.0))

    def check_fields(self, key: str) -> None:
        """Refuse fewer replicates than :func:`min_resamples` asks for at ``level``."""
        fewest = min_resamples(self.level)
        if self.n_resamples < fewest:
            raise ConfigError(
                f"{key}.n_resamples: expected an integer >= {fewest} at {key}.level="
                f"{self.level:g} (at least one replicate beyond each end of the interval: "
                f"n_resamples * (1 - level) / 2 >= 1; the default is 1000), got "
                f"{self.n_resamples!r}."
            )


@dataclass(frozen=True)
class SuiteConfig:
    """The whole ``suite`` config: the shared bootstrap and one section per family."""

    bootstrap: BootstrapConfig
    data: DataConfig
    performance: PerformanceConfig
    fairness: FairnessConfig
    generalization: GeneralizationConfig
    uncertainty: UncertaintyConfig
    explainability: ExplainabilityConfig
    privacy: PrivacyConfig


#: Section name -> its dataclass, in config order.
SECTIONS: dict[str, type] = {
    "bootstrap": BootstrapConfig,
    "data": DataConfig,
    "performance": PerformanceConfig,
    "fairness": FairnessConfig,
    "generalization": GeneralizationConfig,
    "uncertainty": UncertaintyConfig,
    "explainability": ExplainabilityConfig,
    "privacy": PrivacyConfig,
}


@functools.cache
def _shipped() -> dict[str, Any]:
    root = OmegaConf.create(
        {"suite": {name: OmegaConf.load(CONFIG_DIR / name / "default.yaml") for name in SECTIONS}}
    )
    # Interpolations resolve as in a run without an ``explainer`` group (Python API).
    return OmegaConf.to_container(root, resolve=True)["suite"]


def default_config() -> dict[str, Any]:
    """The shipped ``suite`` config (``configs/suite/<section>/default.yaml``) as a plain dict."""
    return copy.deepcopy(_shipped())


def load_suite_config(values: Mapping[str, Any] | SuiteConfig) -> SuiteConfig:
    """The complete ``suite`` mapping (as composed, resolved) as a checked :class:`SuiteConfig`.

    Raises
    ------
    ConfigError
        For an unknown or missing key, or a value of the wrong type, naming the full key.
    """
    return load(SuiteConfig, values, "suite")


def section_config(section: str, values: Mapping[str, Any] | Any | None = None) -> Any:
    """One section's typed config: ``values`` itself when it is already typed, else the shipped
    defaults of ``suite.<section>`` with the (possibly partial) mapping ``values`` merged in."""
    cls = SECTIONS[section]
    if isinstance(values, cls):
        return values
    merged = merge(default_config()[section], values or {})
    return load(cls, merged, f"suite.{section}")
