"""Performance metrics: ``performance/{metric}`` on the in-distribution test split.

:data:`SPECS` are the metrics of the probabilities, for any task (the generalization family
derives its ``ood_<m>``, ``<m>_drop``, per-site and per-shift metrics from them);
:data:`CLINICAL_SPECS` the binary-task metrics a clinician reads first: the confusion-matrix
rates at the decision threshold and at the clinical operating point
(``performance/at_sensitivity_<target>/<rate>``), prevalence, logistic recalibration, net
benefit and the no-skill baselines. :data:`REGISTERED` is both, in the order the console and
the trust card show them.
"""

from __future__ import annotations

import math

from trustbench.metrics import calibration as C
from trustbench.metrics import clinical as K
from trustbench.metrics import performance as P
from trustbench.metrics import recalibration as R
from trustbench.metrics.spec import MetricSpec

_KEYS = ("performance/{metric}",)
#: Not in the default ranking: balanced accuracy restates accuracy, and AUPRC restates the
#: ranking ROC AUC already scores (and moves with prevalence, which differs between datasets).
_UNRANKED = ("balanced_accuracy", "auprc")


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
        rank=() if name in _UNRANKED else (f"performance/{name}",),
        fn=fn,
        interval="jeffreys" if name in K.DENOMINATORS else "percentile",  # accuracy: k / n
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
        "auprc",
        "max",
        0.0,
        1.0,
        "area under the precision-recall curve of proba[:, 1] as average precision, "
        "sum_k (R_k - R_{k-1}) P_k over descending thresholds (step-wise, no interpolation); "
        "a random ranking scores about the prevalence; one-vs-rest macro mean if K > 2 "
        "(scikit-learn average_precision_score)",
        P.auprc,
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

_DECISION = (
    "of the decision rule: at the decision threshold the argmax prediction (binary: positive "
    "when proba_1 > 0.5), at the operating point positive when proba_1 >= t, t re-chosen in "
    "every bootstrap replicate"
)
#: Where the rates are logged: at the decision threshold, and at the clinical operating point.
_RATE_KEYS = ("performance/{metric}", "performance/at_sensitivity_{target}/{metric}")


def _clinical(
    name, direction, lower, upper, definition, fn, *, keys=_KEYS, headline=True, interval=None
) -> MetricSpec:
    """A binary-task metric; rates ``k / n`` (``DENOMINATORS``) get the Jeffreys interval."""
    return MetricSpec(
        name,
        "performance",
        direction,
        lower,
        upper,
        definition,
        keys,
        headline=headline,
        fn=fn,
        interval=interval or ("jeffreys" if name in K.DENOMINATORS else "percentile"),
    )


CLINICAL_SPECS = (
    _clinical(
        "sensitivity",
        "max",
        0.0,
        1.0,
        f"TP / (TP + FN) = P(yhat=1 | y=1) {_DECISION} (scikit-learn recall_score)",
        K.sensitivity,
        keys=_RATE_KEYS,
    ),
    _clinical(
        "specificity",
        "max",
        0.0,
        1.0,
        f"TN / (TN + FP) = P(yhat=0 | y=0) {_DECISION} (scikit-learn recall_score, pos_label=0)",
        K.specificity,
        keys=_RATE_KEYS,
    ),
    _clinical(
        "ppv",
        "max",
        0.0,
        1.0,
        f"positive predictive value TP / (TP + FP) = P(y=1 | yhat=1) {_DECISION}; undefined "
        "without predicted positives (scikit-learn precision_score)",
        K.ppv,
        keys=_RATE_KEYS,
    ),
    _clinical(
        "npv",
        "max",
        0.0,
        1.0,
        f"negative predictive value TN / (TN + FN) = P(y=0 | yhat=0) {_DECISION}; undefined "
        "without predicted negatives (scikit-learn precision_score, pos_label=0)",
        K.npv,
        keys=_RATE_KEYS,
    ),
    _clinical(
        "calibration_slope",
        "target:1",
        -math.inf,
        math.inf,
        "b of the logistic recalibration logit P(y=1) = a + b logit(proba_1), both fitted by "
        "weighted maximum likelihood; < 1: predictions too extreme, > 1: too moderate "
        "(Van Calster et al. 2016; statsmodels GLM Binomial)",
        R.calibration_slope,
    ),
    _clinical(
        "net_benefit",
        "max",
        -math.inf,
        1.0,
        "TP/n - FP/n * pt/(1 - pt) of treating the predicted positives at threshold "
        "probability pt (Vickers & Elkin 2006); treating nobody gives 0; in "
        "[-pt/(1 - pt), prevalence]",
        K.net_benefit,
    ),
    _clinical(
        "calibration_intercept",
        "target:0",
        -math.inf,
        math.inf,
        "calibration-in-the-large: a of logit P(y=1) = a + logit(proba_1), the slope fixed "
        "at 1 (an offset), fitted by weighted maximum likelihood; < 0: risks overestimated, "
        "> 0: underestimated (Van Calster et al. 2016; statsmodels GLM Binomial with offset)",
        R.calibration_intercept,
        headline=False,
    ),
    _clinical(
        "prevalence",
        "none",
        0.0,
        1.0,
        "share of rows in the positive class, P(y=1), on the scored split",
        K.prevalence,
        headline=False,
    ),
    _clinical(
        "no_skill_accuracy",
        "none",
        0.0,
        1.0,
        "accuracy of always predicting the majority class of the scored split, max_k P(y=k) "
        "(binary: max(prevalence, 1 - prevalence)); the baseline accuracy must beat",
        K.no_skill_accuracy,
        headline=False,
    ),
    _clinical(
        "net_benefit_treat_all",
        "none",
        -math.inf,
        1.0,
        "net benefit of treating everybody at threshold probability pt, prevalence - "
        "(1 - prevalence) * pt/(1 - pt); the no-skill baseline net_benefit must beat, with "
        "treating nobody (0)",
        K.treat_all_net_benefit,
        headline=False,
    ),
)

#: What clinicians read first, first: the order of the console summary and the trust card.
_ORDER = (
    "accuracy",
    "sensitivity",
    "specificity",
    "ppv",
    "npv",
    "roc_auc",
    "auprc",
    "calibration_slope",
    "net_benefit",
    "balanced_accuracy",
    "log_loss",
    "brier",
)
REGISTERED = tuple(
    sorted(
        (*SPECS, *CLINICAL_SPECS),
        key=lambda s: _ORDER.index(s.name) if s.name in _ORDER else len(_ORDER),
    )
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
