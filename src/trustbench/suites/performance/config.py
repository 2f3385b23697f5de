"""``suite.performance``: the options of the performance suite (values in
``configs/suite/performance/default.yaml``; see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PerformanceConfig:
    """Discrimination and probabilistic accuracy on one split."""

    enabled: bool
    split: str  # the scored split
    metrics: list[str]  # performance/<metric>, names of PERFORMANCE_METRICS
