"""``suite.data``: the options of the data suite (values in ``configs/suite/data/default.yaml``;
see :mod:`trustbench.suites.config`)."""

from __future__ import annotations

from dataclasses import dataclass

from trustbench.options import at_least, checked, within


@dataclass(frozen=True)
class DataWarnConfig:
    """``suite.data.warn``: the thresholds above which a data finding is a warning."""

    twin_share: float = checked(within(0.0, 1.0, closed="[]"))
    shortcut_auc: float = checked(within(0.5, 1.0, closed="[]"))
    site_auc: float = checked(within(0.5, 1.0, closed="[]"))
    domain_auc: float = checked(within(0.5, 1.0, closed="[]"))
    label_issue_share: float = checked(within(0.0, 1.0, closed="[]"))
    missing_rate_gap: float = checked(within(0.0, 1.0, closed="[]"))


@dataclass(frozen=True)
class DataConfig:
    """Leakage, duplicates, representation, shortcuts, drift and label issues of the dataset."""

    enabled: bool
    near_twin_ratio: float = checked(within(0.0, 1.0, closed="[]"))
    image_hash_distance: int = checked(within(0, 64, closed="[]"))
    folds: int = checked(at_least(2))
    max_rows: int = checked(at_least(100))
    min_group_size: int = checked(at_least(0))
    label_issues: bool
    warn: DataWarnConfig
    plots: bool
