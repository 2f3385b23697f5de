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
    n_rows: int  # test rows explained (tabular tasks)
    image_rows: int  # test rows explained (image tasks)
    top_k: int | None  # ground-truth agreement k; null = ceil(d/4), capped
    chunk_size: int
    chunk_memory_mb: float
    explainer_options: dict[str, Any] | None = field(metadata={"check": _run_explainer})
    options: dict[str, dict[str, Any]] | None = field(metadata={"check": _per_explainer})
    n_steps: int | None  # deletion/insertion steps; null = one per feature (tabular), 20 (images)
    top_fraction: float
    pgi_samples: int
    pgi_noise: float
    pgi_flip: float
    faithfulness_runs: int
    faithfulness_subset: float
    robustness: bool
    robustness_rows: int
    robustness_samples: int
    robustness_radius: float
    sanity: bool
    sanity_rows: int
    sanity_threshold: float
    sanity_cascade: bool
    plots: bool
    n_maps: int
