"""``suite.explainability``: the options of the explainability suite (values in
``configs/suite/explainability/default.yaml``; see :mod:`trustbench.suites.config`).

Explainer options (``options.<explainer>.<option>`` and the run's ``explainer`` group, which
arrives as ``explainer_options``) are checked against each explainer's constructor
(:func:`trustbench.explain.options.check_explainer_options`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trustbench.explain.options import check_explainer_config, check_explainer_options
from trustbench.options import at_least, checked, within


def _run_explainer(value: Mapping[str, Any] | None, key: str) -> dict[str, Any] | None:
    return None if value is None else check_explainer_config(value, key)


def _per_explainer(
    value: Mapping[str, Mapping[str, Any]] | None, key: str
) -> dict[str, dict[str, Any]] | None:
    if value is None:
        return None
    return {
        str(name): check_explainer_options(str(name), options or {}, f"{key}.{name}")
        for name, options in value.items()
    }


@dataclass(frozen=True)
class ExplainabilityConfig:
    """Explanation quality: faithfulness, ground truth, localisation, robustness, sanity."""

    enabled: bool
    explainers: list[str]
    gradient_explainers: list[str] | None  # also evaluated for torch models
    baselines: list[str]
    n_rows: int = checked(at_least(1))  # test rows explained (tabular tasks)
    image_rows: int = checked(at_least(1))  # test rows explained (image tasks)
    top_k: int | None = checked(at_least(1))  # ground-truth agreement k; null = ceil(d/4)
    chunk_size: int = checked(at_least(1))
    chunk_memory_mb: float = checked(within(0.0))
    explainer_options: dict[str, Any] | None = field(metadata={"check": _run_explainer})
    options: dict[str, dict[str, Any]] | None = field(metadata={"check": _per_explainer})
    # deletion/insertion steps; null = one per feature (tabular), 20 (images)
    n_steps: int | None = checked(at_least(1))
    top_fraction: float = checked(within(0.0, 1.0, "(]"))
    pgi_samples: int = checked(at_least(1))
    pgi_noise: float = checked(within(0.0, closed="[)"))
    pgi_flip: float = checked(within(0.0, 1.0, "[]"))
    faithfulness_runs: int = checked(at_least(2))  # a correlation over subsets needs two
    faithfulness_subset: float = checked(within(0.0, 1.0, "(]"))
    robustness: bool
    robustness_rows: int = checked(at_least(1))
    robustness_samples: int = checked(at_least(1))
    robustness_radius: float = checked(within(0.0))
    sanity: bool
    sanity_rows: int = checked(at_least(1))
    sanity_threshold: float = checked(within(-1.0, 1.0, "[]"))  # a rank correlation
    sanity_cascade: bool
    plots: bool
    n_maps: int = checked(at_least(1))
