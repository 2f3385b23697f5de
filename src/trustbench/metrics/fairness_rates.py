"""Per-group weighted rates and their between-group reductions (the core of the fairness metrics).

:func:`trustbench.metrics.fairness.group_rates` builds a :class:`GroupRates` from labels,
predictions, groups and weights with one matrix product per count; :func:`rate_gaps` reduces it
to every between-group scalar at once. The conventions (undefined groups left out, NaN with
fewer than two groups) are those of :mod:`trustbench.metrics.fairness`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import _group_sums, _safe_divide, _weight_matrix

__all__ = ["AGGREGATIONS", "GroupRates", "rate_gaps"]

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

    Notes
    -----
    Built from soft predictions ``q_i = P(yhat_i = 1)`` of a randomized classifier
    (``group_rates(..., soft=True)``), every rate but precision is the expectation of the rate
    over the classifier's draws (its denominator does not depend on ``yhat``), e.g.
    ``tpr_g = sum w y q / sum w y``; precision is the ratio of the expected counts
    ``sum w y q / sum w q``.
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


def _check_binary(
    values, name: str, arg: str, n: int | None, matrix: bool = False, soft: bool = False
) -> np.ndarray:
    arr = np.asarray(values)
    ok_shape = arr.ndim == 1 or (matrix and arr.ndim == 2)
    if not ok_shape or (n is not None and arr.shape[-1] != n):
        want = "(n,)" if n is None else f"({n},)" + (f" or (B, {n})" if matrix else "")
        raise TrustbenchError(f"{name}: {arg} must have shape {want}, got {arr.shape}")
    if soft:
        if arr.dtype.kind not in "biuf":
            raise TrustbenchError(
                f"{name}: {arg} (soft predictions P(yhat = 1)) must be numeric; got {arr.dtype}"
            )
        outside = arr[~((arr >= 0) & (arr <= 1))]
        if outside.size:
            raise TrustbenchError(
                f"{name}: {arg} (soft predictions P(yhat = 1)) must lie in [0, 1]; "
                f"received {outside.size} value(s) outside it, e.g. {float(outside[0])!r}"
            )
    elif arr.dtype.kind not in "biuf" or not np.all((arr == 0) | (arr == 1)):
        raise TrustbenchError(f"{name}: {arg} must hold only 0 and 1")
    return arr.astype(np.float64)


def _rates(
    y_true, y_pred, groups, weights, name: str, soft: bool = False
) -> tuple[GroupRates, bool]:
    """Group rates of hard predictions, or with ``soft`` the expected rates of a randomized
    classifier whose ``y_pred[i] = P(yhat_i = 1)``: every count is linear in ``yhat``, so the
    same sums with ``q_i`` in place of ``yhat_i`` are its expectations over the draws."""
    yt = _check_binary(y_true, name, "y_true", None)
    n = yt.shape[0]
    yp = _check_binary(y_pred, name, "y_pred", n, matrix=True, soft=soft)
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
    if yp.ndim == 1:  # one prediction vector: all six sums in one product, no (B, n) copy
        size, pos, neg, sel, tp, fp = _group_sums(
            w, codes, n_groups, np.ones(n), yt, 1.0 - yt, yp, yp * yt, yp * (1.0 - yt)
        )
    else:
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


@dataclass(frozen=True)
class Gap:
    """One between-group scalar: a reduction of one or two per-group rates (fairlearn-style).

    Attributes
    ----------
    name : str
        fairlearn's name where fairlearn has the metric.
    rates : tuple of str
        The :class:`GroupRates` fields reduced (``("tpr", "fpr")`` for equalized odds).
    reduction : {"difference", "ratio", "group_min"}
        ``max_g - min_g``, ``min_g / max_g`` or ``min_g`` over groups with the rate defined.
    agg : {"worst_case", "mean"}
        How two rates' reductions combine (the worse one, or their mean).
    operating_point : bool
        Also reported at the clinical operating point (a threshold re-chosen per replicate).
    """

    name: str
    rates: tuple[str, ...]
    reduction: str
    agg: str = "worst_case"
    operating_point: bool = False

    def __call__(self, rates: GroupRates) -> np.ndarray:
        reduce = _REDUCTIONS[self.reduction]
        parts = [reduce(getattr(rates, field)) for field in self.rates]
        if len(parts) == 1:
            return parts[0]
        worst = np.maximum if self.reduction == "difference" else np.minimum
        return _agg(parts[0], parts[1], self.agg, worst)


_REDUCTIONS = {"difference": _spread, "ratio": _ratio, "group_min": _group_min}

#: Every between-group scalar computed from group rates: a new gap is one line here (the
#: metric registry declares its spec from this table) and one test against its reference.
GAP_TABLE: tuple[Gap, ...] = (
    Gap("demographic_parity_difference", ("selection_rate",), "difference", operating_point=True),
    Gap("demographic_parity_ratio", ("selection_rate",), "ratio"),
    Gap("equalized_odds_difference", ("tpr", "fpr"), "difference", operating_point=True),
    Gap("equalized_odds_ratio", ("tpr", "fpr"), "ratio"),
    Gap("equalized_odds_difference_mean", ("tpr", "fpr"), "difference", agg="mean"),
    Gap("equalized_odds_ratio_mean", ("tpr", "fpr"), "ratio", agg="mean"),
    Gap("equal_opportunity_difference", ("tpr",), "difference", operating_point=True),
    Gap("equal_opportunity_ratio", ("tpr",), "ratio"),
    Gap("accuracy_score_difference", ("accuracy",), "difference", operating_point=True),
    Gap("accuracy_score_group_min", ("accuracy",), "group_min"),
)


def rate_gaps(rates: GroupRates) -> dict[str, np.ndarray]:
    """Every gap of :data:`GAP_TABLE` from one :class:`GroupRates`.

    Parameters
    ----------
    rates : GroupRates
        With fields of shape ``(B, G)`` (as :func:`group_rates` returns for 2-D weights).

    Returns
    -------
    dict of str to numpy.ndarray of shape (B,)
        One entry per gap, each equal to the public function of that name (the suites
        compute group rates once and take all of them).
    """
    return {gap.name: gap(rates) for gap in GAP_TABLE}
