"""Group-fairness metrics for binary tasks, vectorised over bootstrap replicates.

Inputs are ``y_true`` and ``y_pred`` of shape ``(n,)`` in ``{0, 1}`` and ``groups`` of shape
``(n,)`` holding a group label per row (strings or integers). Per-group weighted counts are
one sparse product with a one-hot group matrix, giving ``(B, G)`` arrays.

Conventions shared by the between-group metrics (``*_difference``, ``*_ratio``,
:func:`worst_group_accuracy`), applied per replicate:

* a group with zero weight in a replicate is left out of that replicate's max/min, just as a
  group absent from a resample would never be seen by fairlearn;
* a rate whose denominator is zero in a group (TPR of a group without positives, FPR of a group
  without negatives) is undefined (NaN) and that group is left out of the comparison of that
  rate. fairlearn instead scores such a group's TPR/FPR as 0 (``sklearn.metrics.
  confusion_matrix(normalize="true")`` turns 0/0 into 0), which makes e.g.
  ``equal_opportunity_difference`` equal to the largest TPR in that case;
* when fewer than 2 groups remain, the replicate is NaN (fairlearn returns 0.0 for a single
  group, which would read as "perfectly fair").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import _finish, _group_sums, _safe_divide, _weight_matrix

__all__ = [
    "GroupRates",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "group_accuracy",
    "group_rates",
    "worst_group_accuracy",
]


@dataclass(frozen=True)
class GroupRates:
    """Per-group weighted rates; arrays have shape ``(G,)`` or ``(B, G)``.

    Attributes
    ----------
    labels : numpy.ndarray of shape (G,)
        Sorted distinct group labels (``numpy.unique`` order); column ``g`` of every other
        field refers to ``labels[g]``.
    size : numpy.ndarray
        Total weight of the group (row count when unweighted).
    positives : numpy.ndarray
        Weight of the group's rows with ``y_true == 1``.
    selection_rate : numpy.ndarray
        ``P(y_pred = 1 | group)``; NaN where ``size == 0``.
    tpr : numpy.ndarray
        ``P(y_pred = 1 | y_true = 1, group)``; NaN where the group has no positive weight.
    fpr : numpy.ndarray
        ``P(y_pred = 1 | y_true = 0, group)``; NaN where the group has no negative weight.
    accuracy : numpy.ndarray
        ``P(y_pred = y_true | group)``; NaN where ``size == 0``.
    """

    labels: np.ndarray
    size: np.ndarray
    positives: np.ndarray
    selection_rate: np.ndarray
    tpr: np.ndarray
    fpr: np.ndarray
    accuracy: np.ndarray


def _check_binary(values, name: str, arg: str, n: int | None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        want = "(n,)" if n is None else f"({n},)"
        raise TrustbenchError(f"{name}: {arg} must have shape {want}, got {arr.shape}")
    if arr.dtype.kind not in "biuf" or not np.all((arr == 0) | (arr == 1)):
        raise TrustbenchError(f"{name}: {arg} must hold only 0 and 1")
    return arr.astype(np.float64)


def _rates(y_true, y_pred, groups, weights, name: str) -> tuple[GroupRates, bool]:
    yt = _check_binary(y_true, name, "y_true", None)
    n = yt.shape[0]
    yp = _check_binary(y_pred, name, "y_pred", n)
    g = np.asarray(groups)
    if g.shape != (n,):
        raise TrustbenchError(f"{name}: groups must have shape ({n},), got {g.shape}")
    labels, codes = np.unique(g, return_inverse=True)
    codes = codes.ravel()
    n_groups = labels.shape[0]
    w, squeeze = _weight_matrix(weights, n, name)

    size, pos, neg, sel, tp, fp, correct = _group_sums(
        w,
        codes,
        n_groups,
        np.ones(n),
        yt,
        1.0 - yt,
        yp,
        yt * yp,
        (1.0 - yt) * yp,
        (yt == yp).astype(np.float64),
    )

    rates = GroupRates(
        labels=labels,
        size=size,
        positives=pos,
        selection_rate=_safe_divide(sel, size),
        tpr=_safe_divide(tp, pos),
        fpr=_safe_divide(fp, neg),
        accuracy=_safe_divide(correct, size),
    )
    return rates, squeeze


def _squeeze_rates(rates: GroupRates) -> GroupRates:
    return GroupRates(
        labels=rates.labels,
        size=rates.size[0],
        positives=rates.positives[0],
        selection_rate=rates.selection_rate[0],
        tpr=rates.tpr[0],
        fpr=rates.fpr[0],
        accuracy=rates.accuracy[0],
    )


def _extremes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Max and min over defined (non-NaN) groups per replicate, and whether >= 2 were defined."""
    defined = ~np.isnan(values)
    hi = np.where(defined, values, -np.inf).max(axis=1, initial=-np.inf)
    lo = np.where(defined, values, np.inf).min(axis=1, initial=np.inf)
    return hi, lo, defined.sum(axis=1) >= 2


def _spread(values: np.ndarray) -> np.ndarray:
    hi, lo, ok = _extremes(values)
    return np.where(ok, hi - np.where(ok, lo, 0.0), np.nan)


def group_rates(y_true, y_pred, groups, weights=None) -> GroupRates:
    """Per-group weighted selection rate, TPR, FPR, accuracy and size.

    For group ``g`` with weights ``w_i``: ``size_g = sum_{i in g} w_i``,
    ``selection_rate_g = sum_{i in g} w_i yhat_i / size_g``,
    ``tpr_g = sum_{i in g} w_i y_i yhat_i / sum_{i in g} w_i y_i``,
    ``fpr_g = sum_{i in g} w_i (1 - y_i) yhat_i / sum_{i in g} w_i (1 - y_i)``,
    ``accuracy_g = sum_{i in g} w_i [y_i = yhat_i] / size_g``; a zero denominator gives NaN.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions in ``{0, 1}``.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    GroupRates
        Fields of shape ``(G,)`` (``weights`` None or 1-D) or ``(B, G)``; rates lie in
        ``[0, 1]``.

    Notes
    -----
    Tested against fairlearn's ``selection_rate``, ``true_positive_rate``,
    ``false_positive_rate`` and sklearn's ``accuracy_score`` per group.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "group_rates")
    return _squeeze_rates(rates) if squeeze else rates


def demographic_parity_difference(y_true, y_pred, groups, weights=None):
    """Demographic parity difference: spread of group selection rates.

    ``DPD = max_g P(yhat = 1 | g) - min_g P(yhat = 1 | g)`` over groups with positive weight.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels (unused, kept for a uniform signature) and predictions in ``{0, 1}``.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

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


def demographic_parity_ratio(y_true, y_pred, groups, weights=None):
    """Demographic parity ratio: smallest over largest group selection rate.

    ``DPR = min_g P(yhat = 1 | g) / max_g P(yhat = 1 | g)`` over groups with positive weight.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels (unused) and predictions in ``{0, 1}``.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

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
    hi, lo, ok = _extremes(rates.selection_rate)
    ok &= hi > 0
    return _finish(np.where(ok, lo / np.where(ok, hi, 1.0), np.nan), squeeze)


def equal_opportunity_difference(y_true, y_pred, groups, weights=None):
    """Equal opportunity difference: spread of group true positive rates.

    ``EOpD = max_g TPR_g - min_g TPR_g`` over groups with positive weight on ``y_true == 1``
    (a group without positives has an undefined TPR and is left out).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions in ``{0, 1}``.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

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


def equalized_odds_difference(y_true, y_pred, groups, weights=None):
    """Equalized odds difference, worst case over TPR and FPR.

    ``EOD = max(max_g TPR_g - min_g TPR_g, max_g FPR_g - min_g FPR_g)``; each spread is taken
    over the groups where that rate is defined (TPR: group has positives; FPR: group has
    negatives).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions in ``{0, 1}``.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, target 0. NaN where either spread is undefined (fewer than 2 groups with
        a defined TPR, or with a defined FPR), since the worst case is then unknown.

    Notes
    -----
    Tested against ``fairlearn.metrics.equalized_odds_difference(..., sample_weight=w)``
    (default ``agg="worst_case"``, ``method="between_groups"``) whenever every group has
    both positives and negatives.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "equalized_odds_difference")
    return _finish(np.maximum(_spread(rates.tpr), _spread(rates.fpr)), squeeze)


def group_accuracy(y_true, y_pred, groups, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy of each group.

    ``accuracy_g = sum_{i in g} w_i [y_i = yhat_i] / sum_{i in g} w_i``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions in ``{0, 1}``.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

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


def worst_group_accuracy(y_true, y_pred, groups, weights=None):
    """Worst-group accuracy: the smallest group accuracy.

    ``WGA = min_g accuracy_g`` over groups with positive weight.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Binary labels and predictions in ``{0, 1}``.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN where fewer than 2 groups have positive weight
        (as for the other between-group metrics: a single group is not a group comparison).

    Notes
    -----
    Tested against ``fairlearn.metrics.MetricFrame(metrics=accuracy_score, ...).group_min()``.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "worst_group_accuracy")
    _, lo, ok = _extremes(rates.accuracy)
    return _finish(np.where(ok, lo, np.nan), squeeze)
