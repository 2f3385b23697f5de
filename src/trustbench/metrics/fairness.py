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

from dataclasses import dataclass

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import _finish, _group_sums, _safe_divide, _weight_matrix

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

#: The ``agg`` values of :func:`equalized_odds_difference` / :func:`equalized_odds_ratio`.
AGGREGATIONS = ("worst_case", "mean")


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
    negatives : numpy.ndarray
        Weight of the group's rows with ``y_true == 0``.
    selection_rate : numpy.ndarray
        ``P(y_pred = 1 | group)``; NaN where ``size == 0``.
    tpr : numpy.ndarray
        ``P(y_pred = 1 | y_true = 1, group)``; NaN where the group has no positive weight.
    fpr : numpy.ndarray
        ``P(y_pred = 1 | y_true = 0, group)``; NaN where the group has no negative weight.
    fnr : numpy.ndarray
        ``P(y_pred = 0 | y_true = 1, group) = 1 - tpr``; NaN where ``tpr`` is.
    precision : numpy.ndarray
        ``P(y_true = 1 | y_pred = 1, group)``; NaN where the group has no predicted positive.
    accuracy : numpy.ndarray
        ``P(y_pred = y_true | group)``; NaN where ``size == 0``.
    """

    labels: np.ndarray
    size: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray
    selection_rate: np.ndarray
    tpr: np.ndarray
    fpr: np.ndarray
    fnr: np.ndarray
    precision: np.ndarray
    accuracy: np.ndarray

    def row(self, b: int) -> GroupRates:
        """The rates of replicate ``b`` (fields of shape ``(G,)``)."""
        fields = {k: getattr(self, k)[b] for k in _RATE_FIELDS}
        return GroupRates(labels=self.labels, **fields)


_RATE_FIELDS = (
    "size",
    "positives",
    "negatives",
    "selection_rate",
    "tpr",
    "fpr",
    "fnr",
    "precision",
    "accuracy",
)


def _check_binary(values, name: str, arg: str, n: int | None, matrix: bool = False) -> np.ndarray:
    arr = np.asarray(values)
    ok_shape = arr.ndim == 1 or (matrix and arr.ndim == 2)
    if not ok_shape or (n is not None and arr.shape[-1] != n):
        want = "(n,)" if n is None else f"({n},)" + (f" or (B, {n})" if matrix else "")
        raise TrustbenchError(f"{name}: {arg} must have shape {want}, got {arr.shape}")
    if arr.dtype.kind not in "biuf" or not np.all((arr == 0) | (arr == 1)):
        raise TrustbenchError(f"{name}: {arg} must hold only 0 and 1")
    return arr.astype(np.float64)


def _rates(y_true, y_pred, groups, weights, name: str) -> tuple[GroupRates, bool]:
    yt = _check_binary(y_true, name, "y_true", None)
    n = yt.shape[0]
    yp = _check_binary(y_pred, name, "y_pred", n, matrix=True)
    g = np.asarray(groups)
    if g.shape != (n,):
        raise TrustbenchError(f"{name}: groups must have shape ({n},), got {g.shape}")
    labels, codes = np.unique(g, return_inverse=True)
    codes = codes.ravel()
    n_groups = labels.shape[0]
    w, squeeze = _weight_matrix(weights, n, name)
    if yp.ndim == 2:
        if w.shape[0] not in (1, yp.shape[0]):
            raise TrustbenchError(
                f"{name}: y_pred of shape {yp.shape} needs weights of shape (n,) or "
                f"({yp.shape[0]}, {n}), got {np.shape(weights)}"
            )
        squeeze = False
    # Sums over w (label counts) and over w * y_pred (prediction counts); a row is correct
    # when it is a true positive or a true negative: correct = negatives + tp - fp.
    size, pos, neg = _group_sums(w, codes, n_groups, np.ones(n), yt, 1.0 - yt)
    sel, tp, fp = _group_sums(
        np.broadcast_to(w, np.broadcast_shapes(w.shape, yp.shape)) * yp,
        codes,
        n_groups,
        np.ones(n),
        yt,
        1.0 - yt,
    )
    if sel.shape[0] != size.shape[0]:  # one weight row, several prediction rows
        size, pos, neg = (np.broadcast_to(a, sel.shape) for a in (size, pos, neg))
    tpr = _safe_divide(tp, pos)
    rates = GroupRates(
        labels=labels,
        size=size,
        positives=pos,
        negatives=neg,
        selection_rate=_safe_divide(sel, size),
        tpr=tpr,
        fpr=_safe_divide(fp, neg),
        fnr=1.0 - tpr,
        precision=_safe_divide(tp, sel),
        accuracy=_safe_divide(neg + tp - fp, size),
    )
    return rates, squeeze


def _extremes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Max and min over defined (non-NaN) groups per replicate, and whether >= 2 were defined."""
    defined = ~np.isnan(values)
    hi = np.where(defined, values, -np.inf).max(axis=1, initial=-np.inf)
    lo = np.where(defined, values, np.inf).min(axis=1, initial=np.inf)
    return hi, lo, defined.sum(axis=1) >= 2


def _spread(values: np.ndarray) -> np.ndarray:
    """``max_g - min_g`` over defined groups; NaN with fewer than 2."""
    hi, lo, ok = _extremes(values)
    return np.where(ok, hi - np.where(ok, lo, 0.0), np.nan)


def _ratio(values: np.ndarray) -> np.ndarray:
    """``min_g / max_g`` over defined groups; NaN with fewer than 2 or a zero maximum."""
    hi, lo, ok = _extremes(values)
    ok &= hi > 0
    return np.where(ok, lo / np.where(ok, hi, 1.0), np.nan)


def _group_min(values: np.ndarray) -> np.ndarray:
    _, lo, ok = _extremes(values)
    return np.where(ok, lo, np.nan)


def _agg(a: np.ndarray, b: np.ndarray, agg: str, worst) -> np.ndarray:
    if agg == "worst_case":
        return worst(a, b)  # NaN if either is NaN
    return (a + b) / 2.0


def _check_agg(agg: str, name: str) -> None:
    if agg not in AGGREGATIONS:
        raise TrustbenchError(f"{name}: agg must be one of {list(AGGREGATIONS)}, got {agg!r}")


def rate_gaps(rates: GroupRates) -> dict[str, np.ndarray]:
    """Every between-group scalar of this module from one :class:`GroupRates`.

    Parameters
    ----------
    rates : GroupRates
        With fields of shape ``(B, G)`` (as :func:`group_rates` returns for 2-D weights).

    Returns
    -------
    dict of str to numpy.ndarray of shape (B,)
        Keys ``demographic_parity_difference``, ``demographic_parity_ratio``,
        ``equalized_odds_difference``, ``equalized_odds_ratio`` (worst case),
        ``equalized_odds_difference_mean``, ``equalized_odds_ratio_mean`` (``agg="mean"``),
        ``equal_opportunity_difference``, ``equal_opportunity_ratio``,
        ``accuracy_score_difference`` and ``accuracy_score_group_min``; each equal to the
        function of that name (the suites compute group rates once and take all of them).
    """
    tpr_d, fpr_d = _spread(rates.tpr), _spread(rates.fpr)
    tpr_r, fpr_r = _ratio(rates.tpr), _ratio(rates.fpr)
    return {
        "demographic_parity_difference": _spread(rates.selection_rate),
        "demographic_parity_ratio": _ratio(rates.selection_rate),
        "equalized_odds_difference": _agg(tpr_d, fpr_d, "worst_case", np.maximum),
        "equalized_odds_ratio": _agg(tpr_r, fpr_r, "worst_case", np.minimum),
        "equalized_odds_difference_mean": _agg(tpr_d, fpr_d, "mean", np.maximum),
        "equalized_odds_ratio_mean": _agg(tpr_r, fpr_r, "mean", np.minimum),
        "equal_opportunity_difference": tpr_d,
        "equal_opportunity_ratio": tpr_r,
        "accuracy_score_difference": _spread(rates.accuracy),
        "accuracy_score_group_min": _group_min(rates.accuracy),
    }


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
def group_rates(y_true, y_pred, groups, weights=None) -> GroupRates:
    """Per-group weighted selection rate, TPR, FPR, FNR, precision, accuracy and size.

    For group ``g`` with weights ``w_i``: ``size_g = sum_{i in g} w_i``,
    ``selection_rate_g = sum_{i in g} w_i yhat_i / size_g``,
    ``tpr_g = sum_{i in g} w_i y_i yhat_i / sum_{i in g} w_i y_i``, ``fnr_g = 1 - tpr_g``,
    ``fpr_g = sum_{i in g} w_i (1 - y_i) yhat_i / sum_{i in g} w_i (1 - y_i)``,
    ``precision_g = sum_{i in g} w_i y_i yhat_i / sum_{i in g} w_i yhat_i``,
    ``accuracy_g = sum_{i in g} w_i [y_i = yhat_i] / size_g``; a zero denominator gives NaN
    (fairlearn gives 0 for TPR/FPR/FNR and, with a warning, for precision).

    {params}

    Returns
    -------
    GroupRates
        Fields of shape ``(G,)`` (``weights`` None or 1-D and ``y_pred`` 1-D) or ``(B, G)``;
        rates lie in ``[0, 1]``.

    Notes
    -----
    Tested against fairlearn's ``MetricFrame`` with ``selection_rate``,
    ``true_positive_rate``, ``false_positive_rate``, ``false_negative_rate``, and
    scikit-learn's ``precision_score`` and ``accuracy_score`` per group.
    """
    rates, squeeze = _rates(y_true, y_pred, groups, weights, "group_rates")
    return rates.row(0) if squeeze else rates


@_doc
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
