"""A challenge, as its config declares it (``configs/challenge/<name>.yaml``).

Every option is written once, in the challenge's YAML; the dataclasses below declare names and
types, and :func:`load_challenge` refuses an unknown key (with the closest valid one), a
missing key or a wrong type in one line naming the full key (``challenge.limits.per_day``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from omegaconf import OmegaConf

from trustbench.errors import ConfigError
from trustbench.options import load
from trustbench.registry import unknown_name_message

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs" / "challenge"
PHASES = ("dev", "final")
FORMATS = ("onnx", "safetensors")

__all__ = [
    "FORMATS",
    "PHASES",
    "ChallengeConfig",
    "Limits",
    "Phase",
    "SandboxOptions",
    "SplitPlan",
    "challenge_names",
    "load_challenge",
]


@dataclass(frozen=True)
class SplitPlan:
    """How the dataset's splits become public and hidden parts.

    The dataset's ``train`` split is public with labels (the members of the privacy audit);
    ``dev_fraction`` of its ``test`` split becomes the public dev inputs (labels hidden; the
    dev phase is scored on them), the rest is the hidden test split (the final phase, and the
    privacy audit's non-members); the ``ood`` split (a held-out hospital or scanner) stays
    hidden. ``sample_rows`` dev rows are the public sample every submission predicts.
    """

    dev_fraction: float
    sample_rows: int


@dataclass(frozen=True)
class Phase:
    """One phase: when submissions are accepted (UTC dates, inclusive) and what is scored."""

    opens: str
    closes: str
    board: Literal["public", "private"]

    def is_open(self, today: dt.date) -> bool:
        return dt.date.fromisoformat(self.opens) <= today <= dt.date.fromisoformat(self.closes)


@dataclass(frozen=True)
class Limits:
    """Submission limits per team, and the size of a submission folder."""

    per_day: int
    total: int
    max_mb: float


@dataclass(frozen=True)
class SandboxOptions:
    """Resource limits of the worker that loads and queries a submission."""

    cpu_seconds: int
    memory_mb: int
    max_processes: int
    max_file_mb: int
    wall_seconds: float
    startup_seconds: float
    max_output_mb: float
    log_tail_lines: int
    batch_rows: int


@dataclass(frozen=True)
class ChallengeConfig:
    """One challenge: data, splits, formats, scoring, ranking, phases and limits."""

    name: str
    title: str
    dataset: dict[str, Any]
    seed: int
    splits: SplitPlan
    formats: list[str]
    architectures: list[str]
    suites: dict[str, Any]
    ranking: dict[str, Any]
    phases: dict[str, Phase]
    reference_recipe: dict[str, Any] | None
    final_selection: Literal["last", "pick"]
    limits: Limits
    sandbox: SandboxOptions
    tracking_uri: str
    experiment: str

    def phase(self, name: str) -> Phase:
        if name not in self.phases:
            raise ConfigError(unknown_name_message("phase", name, list(self.phases)))
        return self.phases[name]


def challenge_names() -> list[str]:
    """The shipped challenges."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def _check(cfg: ChallengeConfig) -> ChallengeConfig:
    from trustbench import data as data_module

    name = cfg.dataset.get("name")
    if name not in data_module.DATASETS:
        raise ConfigError(
            "challenge.dataset.name: "
            + unknown_name_message("dataset", str(name), data_module.DATASETS.names())
        )
    if not 0 < cfg.splits.dev_fraction < 1:
        raise ConfigError(
            f"challenge.splits.dev_fraction: expected a number in (0, 1), got "
            f"{cfg.splits.dev_fraction!r}"
        )
    for fmt in cfg.formats:
        if fmt not in FORMATS:
            raise ConfigError("challenge.formats: " + unknown_name_message("format", fmt, FORMATS))
    if cfg.reference_recipe is not None:
        from trustbench.challenge.reference import check_recipe

        check_recipe(cfg.reference_recipe)
    unknown = set(cfg.phases) - set(PHASES)
    if unknown or not cfg.phases:
        raise ConfigError(
            f"challenge.phases: expected phases among {list(PHASES)}, got {sorted(cfg.phases)}"
        )
    for key, phase in cfg.phases.items():
        for which in ("opens", "closes"):
            try:
                dt.date.fromisoformat(getattr(phase, which))
            except ValueError:
                raise ConfigError(
                    f"challenge.phases.{key}.{which}: expected a date YYYY-MM-DD, got "
                    f"{getattr(phase, which)!r}"
                ) from None
    if cfg.limits.per_day < 1 or cfg.limits.total < 1 or cfg.limits.max_mb <= 0:
        raise ConfigError(f"challenge.limits: expected positive limits, got {cfg.limits}")
    return cfg


def load_challenge(
    name_or_path: str | Path, overrides: Sequence[str] | Mapping[str, Any] = ()
) -> ChallengeConfig:
    """The challenge ``name`` (shipped) or the YAML at a path, with ``key=value`` overrides.

    Raises
    ------
    ConfigError
        For an unknown challenge, key or phase, a wrong type, or an impossible value.
    """
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        if str(name_or_path) not in challenge_names():
            raise ConfigError(
                unknown_name_message("challenge", str(name_or_path), challenge_names())
            )
        path = CONFIG_DIR / f"{name_or_path}.yaml"
    elif not path.is_file():
        raise ConfigError(f"challenge: no challenge file at {path}")
    base = OmegaConf.load(path)
    if isinstance(overrides, Mapping):
        extra = OmegaConf.create(dict(overrides))
    else:
        extra = OmegaConf.from_dotlist(list(overrides))
    merged = OmegaConf.to_container(OmegaConf.merge(base, extra), resolve=True)
    return _check(load(ChallengeConfig, merged, "challenge"))
