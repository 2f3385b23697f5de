"""Predictive-performance metrics on class probabilities, vectorised over bootstrap replicates.

Inputs are ``y_true``, integer class indices of shape ``(n,)`` in ``{0, ..., K-1}``, and
``proba`` of shape ``(n, K)``, ``K >= 2``, rows summing to 1; with ``K == 2`` class 1 is the
positive class. ``weights`` follows the convention of :mod:`trustbench.metrics.weights`:
``None`` or ``(n,)`` gives a float, ``(B, n)`` gives an array ``(B,)``. A replicate in which a
metric is undefined (zero total weight, AUC with a single class, ...) is NaN, never an error.
"""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics._ranking import _binary_auc, _binary_average_precision
from trustbench.metrics.weights import (
    _finish,
    _group_sums,
    _safe_divide,
    _weight_matrix,
    replicated,
)

__all__ = ["accuracy", "auprc", "balanced_accuracy", "brier", "log_loss", "roc_auc"]

_ROW_SUM_TOL = 1e-4


def _check_proba(y_true, proba, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert ``(y_true, proba)``; returns int64 labels and float64 proba."""
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise TrustbenchError(f"{name}: proba must have shape (n, K) with K >= 2, got {p.shape}")
    y_raw = np.asarray(y_true)
    if y_raw.shape != (p.shape[0],):
        raise TrustbenchError(
            f"{name}: y_true must have shape ({p.shape[0]},) to match proba, got {y_raw.shape}"
        )
    if y_raw.dtype.kind not in "biuf":
        raise TrustbenchError(f"{name}: y_true must hold integer class indices, got {y_raw.dtype}")
    y = y_raw.astype(np.int64)
    if np.any(y != y_raw) or np.any(y < 0) or np.any(y >= p.shape[1]):
        raise TrustbenchError(
            f"{name}: y_true must hold class indices in 0..{p.shape[1] - 1}, "
            f"got values in [{y_raw.min() if y_raw.size else '-'}, "
            f"{y_raw.max() if y_raw.size else '-'}]"
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise TrustbenchError(f"{name}: proba must be finite and lie in [0, 1]")
    if p.size and np.max(np.abs(p.sum(axis=1) - 1.0)) > _ROW_SUM_TOL:
        raise TrustbenchError(
            f"{name}: proba rows must sum to 1 (tolerance {_ROW_SUM_TOL}), "
            f"got a row summing to {p.sum(axis=1)[np.argmax(np.abs(p.sum(axis=1) - 1))]!r}"
        )
    return y, p


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_i w_i v_i / sum_i w_i`` per replicate; NaN for zero total weight."""
    return _safe_divide(w @ values, w.sum(axis=1))


@replicated()
def accuracy(y_true, proba, weights=None) -> float | np.ndarray:
    """Top-1 accuracy.

    ``acc = sum_i w_i [argmax_k proba[i, k] == y_i] / sum_i w_i`` (ties in ``proba`` resolved to
    the lowest class index, as ``numpy.argmax``).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN where the total weight is 0.

    Notes
    -----
    Tested against ``sklearn.metrics.accuracy_score(y_true, proba.argmax(1), sample_weight=w)``.
    """
    y, p = _check_proba(y_true, proba, "accuracy")
    w, squeeze = _weight_matrix(weights, y.shape[0], "accuracy")
    correct = (np.argmax(p, axis=1) == y).astype(np.float64)
    return _finish(_weighted_mean(correct, w), squeeze)


@replicated()
def balanced_accuracy(y_true, proba, weights=None) -> float | np.ndarray:
    """Balanced accuracy: mean per-class recall of the top-1 prediction.

    ``bacc = mean_{k in C} (sum_i w_i [y_i = k][pred_i = k] / sum_i w_i [y_i = k])`` where
    ``C`` is the set of classes with positive weight among ``y_true`` (classes absent from the
    labels, or with zero weight in a replicate, are left out, as scikit-learn does).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities; the prediction is ``argmax``.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN where the total weight is 0.

    Notes
    -----
    Tested against ``sklearn.metrics.balanced_accuracy_score(..., sample_weight=w)``
    (``adjusted=False``).
    """
    y, p = _check_proba(y_true, proba, "balanced_accuracy")
    n, k = p.shape
    w, squeeze = _weight_matrix(weights, n, "balanced_accuracy")
    correct = (np.argmax(p, axis=1) == y).astype(np.float64)
    class_weight, class_hits = _group_sums(w, y, k, np.ones(n), correct)  # (B, K) each
    present = class_weight > 0
    recall = np.where(present, class_hits / np.where(present, class_weight, 1.0), 0.0)
    return _finish(_safe_divide(recall.sum(axis=1), present.sum(axis=1)), squeeze)


@replicated()
def roc_auc(y_true, proba, weights=None) -> float | np.ndarray:
    """Area under the ROC curve (one-vs-rest macro average when ``K > 2``).

    Binary (``K == 2``): the weighted Mann–Whitney statistic of ``proba[:, 1]``,
    ``AUC = sum_{i: y_i=1} sum_{j: y_j=0} w_i w_j ([s_i > s_j] + [s_i = s_j] / 2)
    / (W_1 * W_0)``, tied scores counting 1/2. Multiclass: the unweighted mean over classes
    ``k`` of the binary AUC of ``proba[:, k]`` for "class k vs rest".

    Computed by sorting the scores once, grouping ties, and taking weighted cumulative sums
    as ``(B, n_unique)`` matrix operations.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better, 0.5 is chance. NaN where some class has zero weight
        (binary: only one class present; multiclass: any class absent or any class the only one
        present), where scikit-learn raises ``ValueError``.

    Notes
    -----
    Tested against ``sklearn.metrics.roc_auc_score(y, proba[:, 1])`` (binary) and
    ``roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=range(K))``, with
    ``sample_weight``.
    """
    y, p = _check_proba(y_true, proba, "roc_auc")
    n, k = p.shape
    w, squeeze = _weight_matrix(weights, n, "roc_auc")
    if k == 2:
        return _finish(_binary_auc(y == 1, p[:, 1], w), squeeze)
    per_class = np.stack([_binary_auc(y == c, p[:, c], w) for c in range(k)], axis=0)
    return _finish(per_class.mean(axis=0), squeeze)


@replicated()
def auprc(y_true, proba, weights=None) -> float | np.ndarray:
    """Area under the precision-recall curve as average precision (one-vs-rest macro if K > 2).

    Binary (``K == 2``): ``AP = sum_k (R_k - R_{k-1}) P_k`` of ``proba[:, 1]``, the step-wise
    sum over the distinct scores in descending order of the precision ``P_k`` times the gain
    in recall ``R_k`` at that threshold (no interpolation between operating points, which the
    trapezoidal PR AUC would do). Multiclass: the unweighted mean over classes ``k`` of the
    binary AP of ``proba[:, k]`` for "class k vs rest".

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better; a random ranking scores about the prevalence. NaN
        where some class has no weight (binary: no positives).

    Notes
    -----
    Tested against ``sklearn.metrics.average_precision_score(y, proba[:, 1],
    sample_weight=w)`` (binary) and ``average_precision_score(label_binarize(y), proba,
    average="macro", sample_weight=w)`` (multiclass).
    """
    y, p = _check_proba(y_true, proba, "auprc")
    n, k = p.shape
    w, squeeze = _weight_matrix(weights, n, "auprc")
    if k == 2:
        return _finish(_binary_average_precision(y == 1, p[:, 1], w), squeeze)
    per_class = np.stack([_binary_average_precision(y == c, p[:, c], w) for c in range(k)])
    return _finish(per_class.mean(axis=0), squeeze)


@replicated()
def log_loss(y_true, proba, weights=None) -> float | np.ndarray:
    """Cross-entropy (negative log-likelihood) of the true class.

    ``log_loss = sum_i w_i * (-log(clip(proba[i, y_i], eps, 1))) / sum_i w_i`` with
    ``eps = np.finfo(np.float64).eps``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, -log(eps)]`` (about ``[0, 36.04]``), lower is better. NaN where the total
        weight is 0.

    Notes
    -----
    Tested against ``sklearn.metrics.log_loss(y, proba, labels=range(K), sample_weight=w)``
    on float64 input (which clips to ``[eps, 1 - eps]``; the upper clip only moves
    ``-log(1)`` by about ``eps`` and is not applied here).
    """
    y, p = _check_proba(y_true, proba, "log_loss")
    w, squeeze = _weight_matrix(weights, y.shape[0], "log_loss")
    eps = np.finfo(np.float64).eps
    p_true = np.clip(p[np.arange(y.shape[0]), y], eps, 1.0)
    return _finish(_weighted_mean(-np.log(p_true), w), squeeze)


@replicated()
def brier(y_true, proba, weights=None) -> float | np.ndarray:
    """Brier score (mean squared error of the probabilities).

    Binary (``K == 2``): ``sum_i w_i (proba[i, 1] - y_i)^2 / sum_i w_i``, in ``[0, 1]``.
    Multiclass (``K > 2``): ``sum_i w_i sum_k (proba[i, k] - [y_i = k])^2 / sum_i w_i``, in
    ``[0, 2]``. The binary value is half the two-class sum, so both match scikit-learn's
    ``brier_score_loss`` default (``scale_by_half="auto"``, scikit-learn >= 1.7).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices.
    proba : array-like of shape (n, K)
        Class probabilities.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        Lower is better. NaN where the total weight is 0.

    Notes
    -----
    Tested against ``sklearn.metrics.brier_score_loss(y, proba[:, 1], sample_weight=w)``
    (binary) and ``brier_score_loss(y, proba, labels=range(K), sample_weight=w)`` (multiclass).
    """
    y, p = _check_proba(y_true, proba, "brier")
    n, k = p.shape
    w, squeeze = _weight_matrix(weights, n, "brier")
    if k == 2:
        per_row = (p[:, 1] - (y == 1)) ** 2
    else:
        onehot = np.zeros_like(p)
        onehot[np.arange(n), y] = 1.0
        per_row = np.sum((p - onehot) ** 2, axis=1)
    return _finish(_weighted_mean(per_row, w), squeeze)
