"""``suite.performance``: the options of the performance suite (values in
``configs/suite/performance/default.yaml``; see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PerformanceConfig:
    """Discrimination, probabilistic accuracy and clinical performance on one split."""

    enabled: bool
    split: Literal["train", "test", "ood"]  # the scored split
    metrics: list[str]  # performance/<metric> of the probabilities, any task
    clinical: list[str]  # binary tasks only (skipped with a note otherwise)
    net_benefit_threshold: float | None  # pt of performance/net_benefit; null = 0.5
    decision_curve: list[float]  # start, stop, step of pt in plots/decision_curve.png
    plots: bool
