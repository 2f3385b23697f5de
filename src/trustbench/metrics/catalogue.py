"""Catalogue of the metrics in :mod:`trustbench.metrics`: family, direction and range."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["METRICS", "MetricInfo"]

_DIRECTIONS = ("max", "min", "target:0")
_FAMILIES = ("performance", "generalization", "fairness", "privacy", "explainability")


@dataclass(frozen=True)
class MetricInfo:
    """Static description of one metric.

    Attributes
    ----------
    name : str
        Key of the metric in :data:`METRICS`.
    family : str
        One of ``"performance"``, ``"generalization"``, ``"fairness"``, ``"privacy"``.
    direction : str
        ``"max"`` (higher is better), ``"min"`` (lower is better) or ``"target:0"`` (the ideal
        value is 0; the metric is a non-negative disparity).
    lower, upper : float
        Range of the metric (``upper`` may be ``math.inf``).
    definition : str
        One-line formula.
    """

    name: str
    family: str
    direction: str
    lower: float
    upper: float
    definition: str

    def __post_init__(self) -> None:
        if self.direction not in _DIRECTIONS:
            raise ValueError(f"MetricInfo {self.name!r}: direction must be one of {_DIRECTIONS}")
        if self.family not in _FAMILIES:
            raise ValueError(f"MetricInfo {self.name!r}: family must be one of {_FAMILIES}")
        if not self.lower <= self.upper:
            raise ValueError(f"MetricInfo {self.name!r}: lower must not exceed upper")


_ENTRIES = (
    MetricInfo(
        "accuracy",
        "performance",
        "max",
        0.0,
        1.0,
        "weighted fraction of rows whose argmax class equals the label",
    ),
    MetricInfo(
        "balanced_accuracy",
        "performance",
        "max",
        0.0,
        1.0,
        "mean over classes present of the per-class recall of the argmax prediction",
    ),
    MetricInfo(
        "roc_auc",
        "performance",
        "max",
        0.0,
        1.0,
        "P(s_pos > s_neg) + P(s_pos = s_neg)/2 of proba[:, 1]; one-vs-rest macro mean if K > 2",
    ),
    MetricInfo(
        "log_loss",
        "performance",
        "min",
        0.0,
        math.inf,
        "mean of -log(clip(p_true, eps, 1))",
    ),
    MetricInfo(
        "brier",
        "performance",
        "min",
        0.0,
        2.0,
        "binary: mean (p_1 - y)^2 in [0, 1]; K > 2: mean sum_k (p_k - onehot_k)^2 in [0, 2]",
    ),
    MetricInfo(
        "ece",
        "generalization",
        "min",
        0.0,
        1.0,
        "sum_b (W_b / W) |acc_b - conf_b| over n_bins equal-width top-label confidence bins "
        "(b/n_bins, (b+1)/n_bins]",
    ),
    MetricInfo(
        "adaptive_ece",
        "generalization",
        "min",
        0.0,
        1.0,
        "sum_b |sum_{i in b} u_ib (a_i - c_i)| / W over n_bins equal-mass bins of the sorted "
        "top-label confidences (each bin holds W / n_bins of the weight)",
    ),
    MetricInfo(
        "demographic_parity_difference",
        "fairness",
        "target:0",
        0.0,
        1.0,
        "max_g P(yhat=1 | g) - min_g P(yhat=1 | g)",
    ),
    MetricInfo(
        "demographic_parity_ratio",
        "fairness",
        "max",
        0.0,
        1.0,
        "min_g P(yhat=1 | g) / max_g P(yhat=1 | g)",
    ),
    MetricInfo(
        "equalized_odds_difference",
        "fairness",
        "target:0",
        0.0,
        1.0,
        "max(max_g TPR_g - min_g TPR_g, max_g FPR_g - min_g FPR_g)",
    ),
    MetricInfo(
        "equal_opportunity_difference",
        "fairness",
        "target:0",
        0.0,
        1.0,
        "max_g TPR_g - min_g TPR_g",
    ),
    MetricInfo(
        "worst_group_accuracy",
        "fairness",
        "max",
        0.0,
        1.0,
        "min_g accuracy_g",
    ),
    MetricInfo(
        "accuracy_score_group_min",
        "fairness",
        "max",
        0.0,
        1.0,
        "min_g accuracy_g (worst-group accuracy)",
    ),
    MetricInfo(
        "accuracy_score_difference",
        "fairness",
        "target:0",
        0.0,
        1.0,
        "max_g accuracy_g - min_g accuracy_g",
    ),
    MetricInfo(
        "equalized_odds_ratio",
        "fairness",
        "max",
        0.0,
        1.0,
        "min(min_g TPR_g / max_g TPR_g, min_g FPR_g / max_g FPR_g)",
    ),
    MetricInfo(
        "equalized_odds_difference_mean",
        "fairness",
        "target:0",
        0.0,
        1.0,
        "mean of (max_g TPR_g - min_g TPR_g) and (max_g FPR_g - min_g FPR_g) (fairlearn agg='mean')",
    ),
    MetricInfo(
        "equalized_odds_ratio_mean",
        "fairness",
        "max",
        0.0,
        1.0,
        "mean of min_g TPR_g / max_g TPR_g and min_g FPR_g / max_g FPR_g (fairlearn agg='mean')",
    ),
    MetricInfo(
        "equal_opportunity_ratio",
        "fairness",
        "max",
        0.0,
        1.0,
        "min_g TPR_g / max_g TPR_g",
    ),
    MetricInfo(
        "ece_difference",
        "fairness",
        "target:0",
        0.0,
        1.0,
        "max_g ECE_g - min_g ECE_g, top-label ECE within each group (equal-width bins)",
    ),
    MetricInfo(
        "selection_rate",
        "fairness",
        "max",
        0.0,
        1.0,
        "P(yhat=1 | g): no better direction on its own; compare it across groups",
    ),
    MetricInfo(
        "true_positive_rate",
        "fairness",
        "max",
        0.0,
        1.0,
        "P(yhat=1 | y=1, g); undefined for a group without positives",
    ),
    MetricInfo(
        "false_positive_rate",
        "fairness",
        "min",
        0.0,
        1.0,
        "P(yhat=1 | y=0, g); undefined for a group without negatives",
    ),
    MetricInfo(
        "false_negative_rate",
        "fairness",
        "min",
        0.0,
        1.0,
        "P(yhat=0 | y=1, g) = 1 - TPR_g; undefined for a group without positives",
    ),
    MetricInfo(
        "precision",
        "fairness",
        "max",
        0.0,
        1.0,
        "P(y=1 | yhat=1, g); undefined for a group without predicted positives",
    ),
    MetricInfo(
        "attack_auc",
        "privacy",
        "min",
        0.0,
        1.0,
        "AUC of the membership score for members vs non-members (0.5 = chance)",
    ),
    MetricInfo(
        "tpr_at_fpr",
        "privacy",
        "min",
        0.0,
        1.0,
        "max TPR over ROC thresholds with FPR <= alpha, no interpolation",
    ),
    MetricInfo(
        "attacker_advantage",
        "privacy",
        "min",
        0.0,
        1.0,
        "max over thresholds of TPR - FPR",
    ),
    MetricInfo(
        "balanced_accuracy_best",
        "privacy",
        "min",
        0.5,
        1.0,
        "max over thresholds of (TPR + 1 - FPR) / 2 = (1 + advantage) / 2",
    ),
    MetricInfo(
        "epsilon_lower_bound",
        "privacy",
        "min",
        0.0,
        float("inf"),
        "max over thresholds of log((TPR_lo - delta) / FPR_hi) and "
        "log((1 - FPR_hi - delta) / (1 - TPR_lo)), Clopper-Pearson bounds",
    ),
)

METRICS: dict[str, MetricInfo] = {info.name: info for info in _ENTRIES}
"""Every public metric, keyed by name."""

# Explanation-quality metrics (logged per explainer: explainability/<explainer>/<metric>).
from trustbench.metrics.catalogue_explain import EXPLAINABILITY_METRICS  # noqa: E402

METRICS.update({info.name: info for info in EXPLAINABILITY_METRICS})
