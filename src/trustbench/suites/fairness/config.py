"""``suite.fairness``: the options of the fairness suite (values in
``configs/suite/fairness/default.yaml``; see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trustbench.options import at_least, checked


@dataclass(frozen=True)
class FairnessConfig:
    """Group fairness of the predictions on one split."""

    enabled: bool
    split: Literal["train", "test", "ood"]
    min_group_size: int = checked(at_least(0))  # smaller groups are flagged, never dropped
    intersections: bool | list[list[str]] | None  # every pair, none, or the listed pairs
    target_sensitivity: float | None  # operating point: sensitivity >= this; null = skip
    n_bins: int  # bins of the per-group ECE
    plots: bool
