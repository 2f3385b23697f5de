"""Calibration metrics, vectorised over bootstrap replicates."""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.performance import _check_proba
from trustbench.metrics.weights import _finish, _group_sums, _safe_divide, _weight_matrix

__all__ = ["expected_calibration_error", "reliability_bins"]


def _confidence_bins(conf: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each confidence: ``b`` such that ``edges[b] < c <= edges[b + 1]``.

    ``edges = np.linspace(0, 1, n_bins + 1)``; a confidence of exactly 0 goes to bin 0.
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)


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
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise TrustbenchError(
            f"expected_calibration_error: n_bins must be a positive integer, got {n_bins!r}"
        )
    n_bins = int(n_bins)
    w, squeeze = _weight_matrix(weights, y.shape[0], "expected_calibration_error")
    conf = p.max(axis=1)
    correct = (np.argmax(p, axis=1) == y).astype(np.float64)
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
