"""Calibration metrics, vectorised over bootstrap replicates.

Top-label calibration (Guo et al. 2017): with confidence ``c_i = max_k proba[i, k]`` and
correctness ``a_i = [argmax_k proba[i, k] = y_i]``, a model is calibrated when
``P(a = 1 | c) = c``. :func:`expected_calibration_error` bins confidences into equal-width
bins, :func:`adaptive_calibration_error` into equal-mass bins, and
:func:`group_calibration_error` / :func:`ece_difference` compare the ECE between groups.
"""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.performance import _check_proba
from trustbench.metrics.weights import (
    _finish,
    _group_sums,
    _safe_divide,
    _weight_matrix,
    replicated,
)

__all__ = [
    "adaptive_calibration_error",
    "ece_difference",
    "expected_calibration_error",
    "group_calibration_error",
    "reliability_bins",
]


def _confidence_bins(conf: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each confidence: ``b`` such that ``edges[b] < c <= edges[b + 1]``.

    ``edges = np.linspace(0, 1, n_bins + 1)``; a confidence of exactly 0 goes to bin 0.
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)


@replicated()
def expected_calibration_error(y_true, proba, weights=None, n_bins: int = 15):
    """Top-label expected calibration error (ECE) with equal-width bins.

    With confidence ``c_i = max_k proba[i, k]``, prediction ``argmax_k proba[i, k]`` and
    correctness ``a_i = [prediction_i = y_i]``, rows are put in ``n_bins`` equal-width bins
    over ``[0, 1]`` with edges ``e_b = np.linspace(0, 1, n_bins + 1)[b]``. Bin ``b`` holds
    confidences in the right-closed interval ``(e_b, e_{b+1}]``; the lowest bin also holds a
    confidence of exactly 0 (``torch.bucketize(c, edges, right=False) - 1``, the convention of
    Guo et al. (2017) and torchmetrics' loop implementation). Then

    ``ECE = sum_b (W_b / W) |acc_b - conf_b| = sum_b |sum_{i in b} w_i (a_i - c_i)| / W``

    with ``W_b`` the weight in bin ``b``, ``acc_b`` / ``conf_b`` its weighted mean correctness
    and confidence, and ``W`` the total weight. Empty bins contribute 0.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities (``K >= 2``; binary tasks use the top label too).
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.
    n_bins : int, default 15
        Number of equal-width bins.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, lower is better (0 = perfectly calibrated on the binned scale). NaN
        where the total weight is 0.

    Notes
    -----
    Tested against a direct loop over bins written in the tests, and against a re-statement
    of torchmetrics' ``_binning_bucketize`` (torchmetrics >= 1.0 uses
    ``torch.bucketize(..., right=True)``, i.e. left-closed bins ``[e_b, e_{b+1})`` plus a
    separate bin for a confidence of exactly 1.0; the two agree whenever no confidence falls
    exactly on an interior edge or at 1.0).
    """
    y, p = _check_proba(y_true, proba, "expected_calibration_error")
    n_bins = _check_n_bins(n_bins, "expected_calibration_error")
    w, squeeze = _weight_matrix(weights, y.shape[0], "expected_calibration_error")
    conf, correct = _top_label(p, y)
    bins = _confidence_bins(conf, n_bins)
    (gap,) = _group_sums(w, bins, n_bins, correct - conf)  # (B, n_bins)
    return _finish(_safe_divide(np.abs(gap).sum(axis=1), w.sum(axis=1)), squeeze)


def reliability_bins(y_true, proba, n_bins: int = 15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin mean confidence, accuracy and count of the top-label predictions.

    The same bins as :func:`expected_calibration_error`; empty bins give NaN means and a
    count of 0. These are the points of a reliability diagram.

    Returns
    -------
    confidence, accuracy, count : arrays of shape (n_bins,)
    """
    y_true, proba = _check_proba(y_true, proba, "reliability_bins")
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y_true).astype(np.float64)
    bins = _confidence_bins(conf, n_bins)
    count = np.bincount(bins, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(bins, weights=conf, minlength=n_bins) / count
        mean_acc = np.bincount(bins, weights=correct, minlength=n_bins) / count
    return mean_conf, mean_acc, count


def _check_n_bins(n_bins, name: str) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise TrustbenchError(f"{name}: n_bins must be a positive integer, got {n_bins!r}")
    return int(n_bins)


def _top_label(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-label confidence and correctness (ties in ``p`` go to the lowest class index)."""
    return p.max(axis=1), (np.argmax(p, axis=1) == y).astype(np.float64)


@replicated()
def adaptive_calibration_error(y_true, proba, weights=None, n_bins: int = 15):
    """Top-label adaptive ECE: the ECE over equal-mass confidence bins.

    Rows are sorted by top-label confidence ``c_i`` (ties kept in row order) and laid end to
    end, row ``i`` occupying an interval of length ``w_i`` on ``[0, W]``. Bin ``b`` is the
    stretch ``[b W / R, (b + 1) W / R)`` (``R = n_bins``), so every bin holds exactly ``W / R``
    of the weight; a row that straddles a boundary contributes the overlapping fraction of its
    weight to each bin. With ``a_i`` the correctness of the top label and ``u_{ib}`` the weight
    row ``i`` puts in bin ``b``:

    ``AdaECE = sum_b |sum_i u_{ib} (a_i - c_i)| / W``.

    Unweighted with ``n`` divisible by ``R`` this is exactly ``R`` bins of ``n / R`` rows
    (``numpy.array_split`` of the sorted rows), the equal-mass binning of Nixon et al. (2019)
    and the AdaECE of Mukhoti et al. (2020); a bootstrap replicate re-forms the bins from its
    own resampled rows.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities (``K >= 2``).
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.
    n_bins : int, default 15
        Number of equal-mass bins ``R``.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, lower is better. NaN where the total weight is 0.

    Notes
    -----
    Tested against a direct loop over bins with fractional row overlaps, and against
    ``numpy.array_split`` bins of the sorted rows when ``R`` divides ``n``.
    """
    y, p = _check_proba(y_true, proba, "adaptive_calibration_error")
    n_bins = _check_n_bins(n_bins, "adaptive_calibration_error")
    n = y.shape[0]
    w, squeeze = _weight_matrix(weights, n, "adaptive_calibration_error")
    if n == 0:
        return _finish(np.full(w.shape[0], np.nan), squeeze)
    conf, correct = _top_label(p, y)
    order = np.lexsort((np.arange(n), conf))
    ws = w[:, order]
    gap = (correct - conf)[order]
    end = np.cumsum(ws, axis=1)  # (B, n): where each row's interval ends
    total = end[:, -1]
    cum_gap = np.cumsum(ws * gap, axis=1)
    # G(q): gap mass of the stretch [0, q). For edge q the row k containing it is the first
    # with end > q; G(q) = cum_gap[k - 1] + gap[k] * (q - start_k), continuous in q.
    edges = total[:, None] * (np.arange(n_bins + 1) / n_bins)[None, :]  # (B, R + 1)
    scale = np.maximum(total.max(initial=0.0), 1.0) * 4.0
    offset = (np.arange(w.shape[0]) * scale)[:, None]
    k = np.searchsorted((end + offset).ravel(), (edges + offset).ravel(), side="right")
    k = k.reshape(edges.shape) - (np.arange(w.shape[0]) * n)[:, None]
    k = np.clip(k, 0, n - 1)
    rows = np.arange(w.shape[0])[:, None]
    before = np.where(k > 0, cum_gap[rows, k - 1], 0.0)
    start = np.where(k > 0, end[rows, k - 1], 0.0)
    g_at = before + gap[k] * np.clip(edges - start, 0.0, ws[rows, k])
    mass = np.abs(np.diff(g_at, axis=1)).sum(axis=1)
    return _finish(_safe_divide(mass, total), squeeze)


@replicated(fixed=(0,))
def group_calibration_error(y_true, proba, groups, weights=None, n_bins: int = 15):
    """Top-label ECE within each group (equal-width bins, as :func:`expected_calibration_error`).

    ``ECE_g = sum_b |sum_{i in g, i in b} w_i (a_i - c_i)| / sum_{i in g} w_i``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities.
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.
    n_bins : int, default 15
        Number of equal-width bins.

    Returns
    -------
    labels : numpy.ndarray of shape (G,)
        Sorted distinct group labels.
    values : numpy.ndarray of shape (G,) or (B, G)
        In ``[0, 1]``, lower is better; NaN for a group with zero weight.

    Notes
    -----
    Tested against :func:`expected_calibration_error` (itself tested against a loop over
    bins) on each group's rows.
    """
    y, p = _check_proba(y_true, proba, "group_calibration_error")
    n_bins = _check_n_bins(n_bins, "group_calibration_error")
    g = np.asarray(groups)
    if g.shape != y.shape:
        raise TrustbenchError(
            f"group_calibration_error: groups must have shape {y.shape}, got {g.shape}"
        )
    labels, codes = np.unique(g, return_inverse=True)
    codes = codes.ravel()
    n_groups = labels.shape[0]
    w, squeeze = _weight_matrix(weights, y.shape[0], "group_calibration_error")
    conf, correct = _top_label(p, y)
    cells = codes * n_bins + _confidence_bins(conf, n_bins)
    (gap,) = _group_sums(w, cells, n_groups * n_bins, correct - conf)
    (size,) = _group_sums(w, codes, n_groups)
    mass = np.abs(gap.reshape(w.shape[0], n_groups, n_bins)).sum(axis=2)
    values = _safe_divide(mass, size)
    return labels, (values[0] if squeeze else values)


@replicated()
def ece_difference(y_true, proba, groups, weights=None, n_bins: int = 15):
    """Calibration gap between groups: the spread of the group ECEs.

    ``max_g ECE_g - min_g ECE_g`` over groups with positive weight (see
    :func:`group_calibration_error`); fairlearn has no calibration metric.

    Parameters
    ----------
    y_true, proba, groups, weights, n_bins
        As :func:`group_calibration_error`.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, target 0. NaN where fewer than 2 groups have positive weight.

    Notes
    -----
    Tested against the spread of :func:`expected_calibration_error` on each group's rows.
    """
    _, values = group_calibration_error(y_true, proba, groups, weights, n_bins)
    values = np.atleast_2d(values)
    defined = ~np.isnan(values)
    hi = np.where(defined, values, -np.inf).max(axis=1, initial=-np.inf)
    lo = np.where(defined, values, np.inf).min(axis=1, initial=np.inf)
    out = np.where(defined.sum(axis=1) >= 2, hi - np.where(np.isfinite(lo), lo, 0.0), np.nan)
    squeeze = weights is None or np.ndim(weights) == 1
    return _finish(out, squeeze)
