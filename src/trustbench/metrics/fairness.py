"""Group-fairness metrics for binary tasks, vectorised over bootstrap replicates.

Inputs are ``y_true`` of shape ``(n,)`` and ``y_pred`` of shape ``(n,)`` in ``{0, 1}`` (or
``(B, n)``: one prediction vector per replicate, as at an operating point re-chosen in each
bootstrap replicate) and ``groups`` of shape ``(n,)`` holding a group label per row (strings or
integers). Per-group weighted counts are one matrix product with a one-hot group matrix,
giving ``(B, G)`` arrays. Names follow fairlearn (``fairlearn.metrics``) wherever fairlearn
has the metric, and values equal fairlearn's on the data where the definitions agree.

Conventions shared by the between-group metrics (``*_difference``, ``*_ratio``,
``*_group_min``), applied per replicate:

* a group with zero weight in a replicate is left out of that replicate's max/min, just as a
  group absent from a resample would never be seen by fairlearn;
* a rate whose denominator is zero in a group (TPR of a group without positives, FPR of a group
  without negatives) is undefined (NaN) and that group is left out of the comparison of that
  rate. fairlearn instead scores such a group's TPR/FPR as 0 (``sklearn.metrics.
  confusion_matrix(normalize="true")`` turns 0/0 into 0), which makes e.g.
  ``equal_opportunity_difference`` equal to the largest TPR in that case;
* when fewer than 2 groups remain, the replicate is NaN (fairlearn returns 0.0 for a single
  group, which would read as "perfectly fair");
* a ratio ``min / max`` whose ``max`` is 0 is 0/0 and NaN (fairlearn also gives NaN).
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics.fairness_rates import (
    AGGREGATIONS,
    GroupRates,
    _agg,
    _check_agg,
    _group_min,
    _rates,
    _ratio,
    _spread,
    rate_gaps,
)
from trustbench.metrics.weights import _finish, replicated

__all__ = [
    "AGGREGATIONS",
    "GroupRates",
    "accuracy_score_difference",
    "accuracy_score_group_min",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "group_accuracy",
    "group_rates",
    "rate_gaps",
    "worst_group_accuracy",
]

_PARAMS = """
    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    y_pred : array-like of shape (n,) or (B, n)
        Binary predictions in ``{0, 1}``; a matrix gives one prediction vector per replicate.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts."""


def _doc(fn):
    fn.__doc__ = fn.__doc__.replace("    {params}", _PARAMS.strip("\n"))
    return fn


@_doc
@replicated(rows={"y_pred": 2}, fixed=("labels",))
def group_rates(y_true, y_pred, groups, weights=None, *, soft: bool = False) -> GroupRates:
    """Per-group weighted selection rate, TPR, FPR, FNR, precision, accuracy and size.

    For group ``g`` with weights ``w_i``: ``size_g = sum_{i in g} w_i``,
    ``selection_rate_g = sum_{i in g} w_i yhat_i / size_g``,
    ``tpr_g = sum_{i in g} w_i y_i yhat_i / sum_{i in g} w_i y_i``, ``fnr_g = 1 - tpr_g``,
    ``fpr_g = sum_{i in g} w_i (1 - y_i) yhat_i / sum_{i in g} w_i (1 - y_i)``,
    ``precision_g = sum_{i in g} w_i y_i yhat_i / sum_{i in g} w_i yhat_i``,
    ``accuracy_g = sum_{i in g} w_i [y_i = yhat_i] / size_g``; a zero denominator gives NaN
    (fairlearn gives 0 for TPR/FPR/FNR and, with a warning, for precision).

    {params}
    soft : bool, default False
        ``y_pred`` holds ``q_i = P(yhat_i = 1)`` in ``[0, 1]`` of a randomized classifier
        rather than hard predictions: the same sums with ``q_i`` for ``yhat_i`` give its
        *expected* rates over the draws, e.g. ``tpr_g = sum_{i in g} w_i y_i q_i /
        sum_{i in g} w_i y_i`` (``accuracy_g`` counts ``y_i q_i + (1 - y_i)(1 - q_i)``);
        precision is the ratio of expected counts ``sum w y q / sum w q``.

    Returns
    -------
    GroupRates
        Fields of shape ``(G,)`` (``weights`` None or 1-D and ``y_pred`` 1-D) or ``(B, G)``;
        rates lie in ``[0, 1]``.

    Notes
    -----
    Tested against fairlearn's ``MetricFrame`` with ``selection_rate``,
    ``true_positive_rate``, ``false_positive_rate``, ``false_negative_rate``, and
    scikit-learn's ``precision_score`` and ``accuracy_score`` per group; the soft rates
    against the average of fairlearn's ``MetricFrame`` over predictions drawn from ``q``.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "group_rates", soft=soft)
    return rates.row(0) if squeeze else rates


@_doc
@replicated(rows={"y_pred": 2})
def demographic_parity_difference(y_true, y_pred, groups, weights=None):
    """Demographic parity difference: spread of group selection rates.

    ``DPD = max_g P(yhat = 1 | g) - min_g P(yhat = 1 | g)`` over groups with positive weight.

    {params}

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, target 0. NaN where fewer than 2 groups have positive weight.

    Notes
    -----
    Tested against ``fairlearn.metrics.demographic_parity_difference(..., sample_weight=w)``.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "demographic_parity_difference")
    return _finish(_spread(rates.selection_rate), squeeze)


@_doc
@replicated(rows={"y_pred": 2})
def demographic_parity_ratio(y_true, y_pred, groups, weights=None):
    """Demographic parity ratio: smallest over largest group selection rate.

    ``DPR = min_g P(yhat = 1 | g) / max_g P(yhat = 1 | g)`` over groups with positive weight.

    {params}

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better (1 = parity). NaN where fewer than 2 groups have
        positive weight, or where no group selects anyone (0/0; fairlearn also gives NaN).

    Notes
    -----
    Tested against ``fairlearn.metrics.demographic_parity_ratio(..., sample_weight=w)``.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "demographic_parity_ratio")
    return _finish(_ratio(rates.selection_rate), squeeze)


@_doc
@replicated(rows={"y_pred": 2})
def equal_opportunity_difference(y_true, y_pred, groups, weights=None):
    """Equal opportunity difference: spread of group true positive rates.

    ``EOpD = max_g TPR_g - min_g TPR_g`` over groups with positive weight on ``y_true == 1``
    (a group without positives has an undefined TPR and is left out).

    {params}

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, target 0. NaN where fewer than 2 groups have a defined TPR.

    Notes
    -----
    Tested against ``fairlearn.metrics.equal_opportunity_difference(..., sample_weight=w)``
    (fairlearn >= 0.11) whenever every group has positives; where a group has none, fairlearn
    counts its TPR as 0 while this function leaves the group out.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "equal_opportunity_difference")
    return _finish(_spread(rates.tpr), squeeze)


@_doc
@replicated(rows={"y_pred": 2})
def equal_opportunity_ratio(y_true, y_pred, groups, weights=None):
    """Equal opportunity ratio: smallest over largest group true positive rate.

    ``EOpR = min_g TPR_g / max_g TPR_g`` over groups with a defined TPR.

    {params}

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN where fewer than 2 groups have a defined TPR or
        every TPR is 0.

    Notes
    -----
    Tested against ``fairlearn.metrics.equal_opportunity_ratio(..., sample_weight=w)``
    whenever every group has positives.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "equal_opportunity_ratio")
    return _finish(_ratio(rates.tpr), squeeze)


@_doc
@replicated(rows={"y_pred": 2})
def equalized_odds_difference(y_true, y_pred, groups, weights=None, agg: str = "worst_case"):
    """Equalized odds difference: the TPR and FPR spreads, worst case or mean.

    ``EOD = max(max_g TPR_g - min_g TPR_g, max_g FPR_g - min_g FPR_g)`` (``agg="worst_case"``)
    or the mean of the two spreads (``agg="mean"``); each spread is taken over the groups where
    that rate is defined (TPR: group has positives; FPR: group has negatives).

    {params}
    agg : {"worst_case", "mean"}, default "worst_case"
        How the two spreads are combined (fairlearn's ``agg``).

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, target 0. NaN where either spread is undefined (fewer than 2 groups with
        a defined TPR, or with a defined FPR), since the combination is then unknown.

    Notes
    -----
    Tested against ``fairlearn.metrics.equalized_odds_difference(..., sample_weight=w,
    agg=agg)`` (``method="between_groups"``) whenever every group has both positives and
    negatives.
    """
    _check_agg(agg, "equalized_odds_difference")
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "equalized_odds_difference")
    return _finish(_agg(_spread(rates.tpr), _spread(rates.fpr), agg, np.maximum), squeeze)


@_doc
@replicated(rows={"y_pred": 2})
def equalized_odds_ratio(y_true, y_pred, groups, weights=None, agg: str = "worst_case"):
    """Equalized odds ratio: the TPR and FPR ratios, worst case or mean.

    ``EOR = min(min_g TPR_g / max_g TPR_g, min_g FPR_g / max_g FPR_g)`` (``agg="worst_case"``)
    or the mean of the two ratios (``agg="mean"``), each over the groups where the rate is
    defined.

    {params}
    agg : {"worst_case", "mean"}, default "worst_case"
        How the two ratios are combined (fairlearn's ``agg``).

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better (1 = equal odds). NaN where either ratio is undefined
        (fewer than 2 groups with the rate defined, or a largest rate of 0).

    Notes
    -----
    Tested against ``fairlearn.metrics.equalized_odds_ratio(..., sample_weight=w, agg=agg)``
    whenever every group has positives and negatives and both ratios are defined.
    """
    _check_agg(agg, "equalized_odds_ratio")
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "equalized_odds_ratio")
    return _finish(_agg(_ratio(rates.tpr), _ratio(rates.fpr), agg, np.minimum), squeeze)


@_doc
@replicated(rows={"y_pred": 2})
def accuracy_score_difference(y_true, y_pred, groups, weights=None):
    """Accuracy gap: spread of group accuracies.

    ``max_g accuracy_g - min_g accuracy_g`` over groups with positive weight.

    {params}

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, target 0. NaN where fewer than 2 groups have positive weight.

    Notes
    -----
    Tested against ``fairlearn.metrics.accuracy_score_difference(..., sample_weight=w)``.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "accuracy_score_difference")
    return _finish(_spread(rates.accuracy), squeeze)


@_doc
@replicated(rows={"y_pred": 2}, fixed=(0,))
def group_accuracy(y_true, y_pred, groups, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy of each group.

    ``accuracy_g = sum_{i in g} w_i [y_i = yhat_i] / sum_{i in g} w_i``.

    {params}

    Returns
    -------
    labels : numpy.ndarray of shape (G,)
        Sorted distinct group labels.
    values : numpy.ndarray of shape (G,) or (B, G)
        In ``[0, 1]``, higher is better; NaN for a group with zero weight.

    Notes
    -----
    Tested against ``sklearn.metrics.accuracy_score`` on each group's rows.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "group_accuracy")
    return rates.labels, (rates.accuracy[0] if squeeze else rates.accuracy)


@_doc
@replicated(rows={"y_pred": 2})
def accuracy_score_group_min(y_true, y_pred, groups, weights=None):
    """Worst-group accuracy: the smallest group accuracy (WILDS's worst-group accuracy).

    ``WGA = min_g accuracy_g`` over groups with positive weight.

    {params}

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN where fewer than 2 groups have positive weight
        (as for the other between-group metrics: a single group is not a group comparison;
        fairlearn returns that group's accuracy).

    Notes
    -----
    Tested against ``fairlearn.metrics.accuracy_score_group_min(..., sample_weight=w)``.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "accuracy_score_group_min")
    return _finish(_group_min(rates.accuracy), squeeze)


#: The same function under its WILDS name.
worst_group_accuracy = accuracy_score_group_min
