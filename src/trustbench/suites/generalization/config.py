"""``suite.generalization``: the options of the generalization suite (values in
``configs/suite/generalization/default.yaml``; see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from trustbench.errors import ConfigError
from trustbench.options import at_least, checked


def _finite_numbers(values: list[Any], key: str) -> list[float]:
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{key}: expected finite numbers, got {value!r}")
    return [float(v) for v in values]


@dataclass(frozen=True)
class ShiftsConfig:
    """``suite.generalization.shifts``: synthetic shifts of the test split."""

    kinds: list[str]  # covariate, label_prior, noise, blur, contrast
    severities: list[Any] = field(metadata={"check": _finite_numbers})
    feature: str | None  # covariate-shift feature; null = first continuous measurement
    metrics: list[str]


@dataclass(frozen=True)
class GeneralizationConfig:
    """Calibration, train-test gap, ID-vs-OOD, per-site metrics and synthetic shifts."""

    enabled: bool
    n_bins: int = checked(at_least(1))  # ECE and adaptive-ECE bins
    metrics: list[str]  # ood_<m> and <m>_drop
    train_test_gap: list[str]
    per_site: bool
    ood_fairness: list[str] | None
    shifts: ShiftsConfig
    plots: bool
