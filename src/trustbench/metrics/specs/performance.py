"""Performance metrics: ``performance/{metric}`` on the in-distribution test split."""

from __future__ import annotations

import math

from trustbench.metrics import calibration as C
from trustbench.metrics import performance as P
from trustbench.metrics.spec import MetricSpec

_KEYS = ("performance/{metric}",)


def _perf(name, direction, lower, upper, definition, fn) -> MetricSpec:
    return MetricSpec(
        name,
        "performance",
        direction,
        lower,
        upper,
        definition,
        _KEYS,
        headline=True,
        rank=() if name == "balanced_accuracy" else (f"performance/{name}",),
        fn=fn,
    )


SPECS = (
    _perf(
        "accuracy",
        "max",
        0.0,
        1.0,
        "weighted fraction of rows whose argmax class equals the label (scikit-learn accuracy_score)",
        P.accuracy,
    ),
    _perf(
        "balanced_accuracy",
        "max",
        0.0,
        1.0,
        "mean over classes present of the per-class recall of the argmax prediction "
        "(scikit-learn balanced_accuracy_score)",
        P.balanced_accuracy,
    ),
    _perf(
        "roc_auc",
        "max",
        0.0,
        1.0,
        "P(s_pos > s_neg) + P(s_pos = s_neg)/2 of proba[:, 1]; one-vs-rest macro mean if K > 2 "
        "(scikit-learn roc_auc_score)",
        P.roc_auc,
    ),
    _perf(
        "log_loss",
        "min",
        0.0,
        math.inf,
        "mean of -log(clip(p_true, eps, 1)) (scikit-learn log_loss)",
        P.log_loss,
    ),
    _perf(
        "brier",
        "min",
        0.0,
        2.0,
        "binary: mean (p_1 - y)^2 in [0, 1]; K > 2: mean sum_k (p_k - onehot_k)^2 in [0, 2] "
        "(scikit-learn brier_score_loss for K = 2)",
        P.brier,
    ),
)

#: Calibration errors (scored by the generalization suite, on test and ood).
CALIBRATION = {
    "ece": (
        "sum_b (W_b / W) |acc_b - conf_b| over n_bins equal-width top-label confidence bins "
        "(b/n_bins, (b+1)/n_bins] (torchmetrics / netcal ECE)",
        C.expected_calibration_error,
    ),
    "adaptive_ece": (
        "sum_b |sum_{i in b} u_ib (a_i - c_i)| / W over n_bins equal-mass bins of the sorted "
        "top-label confidences (each bin holds W / n_bins of the weight)",
        C.adaptive_calibration_error,
    ),
}
