"""Metric functions on numpy arrays, vectorised over bootstrap replicates.

Every metric takes ``weights``: ``None`` (plain metric, returns a float), a vector of shape
``(n,)`` of non-negative row weights (returns a float equal to the reference computed with
``sample_weight``), or a ``(B, n)`` matrix such as :func:`bootstrap_counts` returns (returns an
array of shape ``(B,)``, NaN for replicates where the metric is undefined). A 95% bootstrap
interval is then ``percentile_interval(metric(..., weights=bootstrap_counts(n, B, rng)))``.
"""

from trustbench.metrics.calibration import expected_calibration_error, reliability_bins
from trustbench.metrics.catalogue import METRICS, MetricInfo
from trustbench.metrics.fairness import (
    GroupRates,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    group_accuracy,
    group_rates,
    worst_group_accuracy,
)
from trustbench.metrics.performance import accuracy, balanced_accuracy, brier, log_loss, roc_auc
from trustbench.metrics.privacy import attack_auc, attacker_advantage, tpr_at_fpr
from trustbench.metrics.weights import bootstrap_counts, percentile_interval

__all__ = [
    "METRICS",
    "GroupRates",
    "MetricInfo",
    "accuracy",
    "attack_auc",
    "attacker_advantage",
    "balanced_accuracy",
    "bootstrap_counts",
    "brier",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "expected_calibration_error",
    "group_accuracy",
    "group_rates",
    "log_loss",
    "percentile_interval",
    "reliability_bins",
    "roc_auc",
    "tpr_at_fpr",
    "worst_group_accuracy",
]
