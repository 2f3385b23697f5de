"""``suite.uncertainty``: the options of the uncertainty suite (values in
``configs/suite/uncertainty/default.yaml``; see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

from dataclasses import dataclass

from trustbench.options import at_least, checked


@dataclass(frozen=True)
class UncertaintyConfig:
    """Conformal prediction sets, selective prediction and OOD detection."""

    enabled: bool
    level: float  # target coverage of the conformal sets
    methods: list[str]  # non-conformity scores: lac, aps
    calibration_fraction: float  # share of test that calibrates the sets
    mondrian: bool  # also calibrate within each sensitive group
    per_site: bool  # coverage and set size per site
    intersections: bool | list[list[str]] | None  # every pair, none, or the listed pairs
    min_group_size: int = checked(at_least(0))  # smaller groups are reported but raise no warning
    coverage_margin: float  # warn when a group's coverage is more than this below the level
    selective_coverages: list[float]  # accuracy and sensitivity at these coverages
    ood_scores: list[str]  # msp, entropy, energy, mahalanobis
    ood_tpr: float  # fpr_at_tpr_<ood_tpr>
    plots: bool
