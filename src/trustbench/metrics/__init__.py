"""Metric functions on numpy arrays, vectorised over bootstrap replicates.

Every metric takes ``weights``: ``None`` (plain metric, returns a float), a vector of shape
``(n,)`` of non-negative row weights (returns a float equal to the reference computed with
``sample_weight``), or a ``(B, n)`` matrix such as :func:`bootstrap_counts` returns (returns an
array of shape ``(B,)``, NaN for replicates where the metric is undefined). A 95% bootstrap
interval is then ``percentile_interval(metric(..., weights=bootstrap_counts(n, B, rng)))``.
"""

from trustbench.metrics.calibration import (
    adaptive_calibration_error,
    ece_difference,
    expected_calibration_error,
    group_calibration_error,
    reliability_bins,
)
from trustbench.metrics.clinical import (
    decision_curve,
    net_benefit,
    no_skill_accuracy,
    npv,
    ppv,
    prevalence,
    sensitivity,
    treat_all_net_benefit,
)
from trustbench.metrics.fairness import (
    GroupRates,
    accuracy_score_difference,
    accuracy_score_group_min,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    group_accuracy,
    group_rates,
    rate_gaps,
    worst_group_accuracy,
)
from trustbench.metrics.fairness_groups import (
    group_roc_auc,
    predict_at_threshold,
    specificity,
    threshold_at_sensitivity,
)
from trustbench.metrics.performance import (
    accuracy,
    auprc,
    balanced_accuracy,
    brier,
    log_loss,
    roc_auc,
)
from trustbench.metrics.privacy import attack_auc, attacker_advantage, tpr_at_fpr
from trustbench.metrics.privacy_roc import (
    balanced_accuracy_best,
    clopper_pearson,
    epsilon_lower_bound,
    epsilon_lower_bound_split,
    roc_counts,
    tpr_at_fpr_exact,
)
from trustbench.metrics.recalibration import calibration_intercept, calibration_slope
from trustbench.metrics.registry import REGISTRY, MetricRegistry, Resolved
from trustbench.metrics.spec import MetricSpec
from trustbench.metrics.weights import bootstrap_counts, percentile_interval

__all__ = [
    "REGISTRY",
    "GroupRates",
    "MetricRegistry",
    "MetricSpec",
    "Resolved",
    "accuracy",
    "accuracy_score_difference",
    "accuracy_score_group_min",
    "adaptive_calibration_error",
    "attack_auc",
    "attacker_advantage",
    "auprc",
    "balanced_accuracy",
    "balanced_accuracy_best",
    "bootstrap_counts",
    "brier",
    "calibration_intercept",
    "calibration_slope",
    "clopper_pearson",
    "decision_curve",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "ece_difference",
    "epsilon_lower_bound",
    "epsilon_lower_bound_split",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "expected_calibration_error",
    "group_accuracy",
    "group_calibration_error",
    "group_rates",
    "group_roc_auc",
    "log_loss",
    "net_benefit",
    "no_skill_accuracy",
    "npv",
    "percentile_interval",
    "ppv",
    "predict_at_threshold",
    "prevalence",
    "rate_gaps",
    "reliability_bins",
    "roc_auc",
    "roc_counts",
    "sensitivity",
    "specificity",
    "threshold_at_sensitivity",
    "tpr_at_fpr",
    "tpr_at_fpr_exact",
    "treat_all_net_benefit",
    "worst_group_accuracy",
]
