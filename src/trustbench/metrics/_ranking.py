"""Weighted ROC bookkeeping shared by :func:`roc_auc` and the membership-inference metrics.

Scores are sorted once and tied scores grouped; the weight matrix's columns are gathered into
score order and summed per tie group (``np.add.reduceat``), giving the positive and negative
mass of every distinct score as ``(B, U)`` matrices, from which AUC and the ROC curve follow
by cumulative sums along the rows.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics.weights import _safe_divide


def _tie_group_masses(
    is_pos: np.ndarray, score: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative weight per distinct score, in ascending score order.

    Returns ``(pos, neg)``, each of shape ``(B, U)`` (``U`` distinct scores, ``B`` replicates).
    """
    order = np.argsort(score, kind="stable")
    s = score[order]
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    neg = np.take(w, order, axis=1)
    pos = neg * is_pos[order].astype(np.float64)
    neg -= pos  # the gathered weights, less the positives' (no second product)
    if starts.shape[0] < s.shape[0]:  # some tied scores: sum each tie group
        pos = np.add.reduceat(pos, starts, axis=1)
        neg = np.add.reduceat(neg, starts, axis=1)
    return pos, neg


def _binary_auc(is_pos: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted Mann–Whitney AUC per replicate, ties counted 1/2; NaN without both classes.

    ``AUC = sum_{i pos, j neg} w_i w_j ([s_i > s_j] + [s_i == s_j] / 2) / (W_pos * W_neg)``,
    which equals the trapezoidal area under the weighted ROC curve (scikit-learn's value).
    With tie groups ``u`` in ascending score order, positive mass ``P_u`` and negative mass
    ``N_u``: ``numerator = sum_u P_u (sum_{v <= u} N_v - N_u / 2)``.
    """
    if score.shape[0] == 0:
        return np.full(w.shape[0], np.nan)
    # The same sum by class: each positive's score is looked up among the sorted negatives,
    # whose cumulative weight below it and up to it (ties) average to the numerator's factor.
    # Two gathers and one cumulative sum: no (B, n) product and no tie-group reduction.
    order = np.argsort(score, kind="stable")
    positive = np.asarray(is_pos, dtype=bool)[order]
    rows_pos, rows_neg = order[positive], order[~positive]
    s_neg = score[rows_neg]
    cum = np.zeros((w.shape[0], rows_neg.shape[0] + 1))
    np.cumsum(np.take(w, rows_neg, axis=1), axis=1, out=cum[:, 1:])
    below = cum[:, np.searchsorted(s_neg, score[rows_pos], "left")]
    below += cum[:, np.searchsorted(s_neg, score[rows_pos], "right")]
    w_pos = np.take(w, rows_pos, axis=1)
    num = 0.5 * np.einsum("bi,bi->b", w_pos, below)
    return _safe_divide(num, w_pos.sum(axis=1) * cum[:, -1])


def _roc_curve(
    is_pos: np.ndarray, score: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ROC curve for the rule "predict positive when ``score >= t``", without the origin.

    Returns ``(tpr, fpr)`` of shape ``(B, U)``: column ``j`` is the threshold at the
    ``(j+1)``-th largest distinct score, so the last column is (1, 1); the point (0, 0)
    (threshold above every score) is left implicit. Both are non-decreasing along the
    columns. A replicate without positives (negatives) has an all-NaN TPR (FPR) row.
    """
    if score.shape[0] == 0:
        return np.full((w.shape[0], 1), np.nan), np.full((w.shape[0], 1), np.nan)
    pos, neg = _tie_group_masses(is_pos, score, w)
    # Descending thresholds: reverse the ascending tie groups, then accumulate.
    tps = np.cumsum(pos[:, ::-1], axis=1)
    fps = np.cumsum(neg[:, ::-1], axis=1)
    # A zero total means a row of zeros, and 0 / 0 gives the NaN row we want.
    with np.errstate(invalid="ignore"):
        tps /= tps[:, -1:].copy()
        fps /= fps[:, -1:].copy()
    return tps, fps


def _binary_average_precision(is_pos: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted average precision per replicate; NaN without positive weight.

    ``AP = sum_k (R_k - R_{k-1}) P_k`` over the distinct scores in descending order (the rule
    "positive when ``score >= t``"), ``P_k`` and ``R_k`` the precision and recall at the
    ``k``-th: with tie groups of positive mass ``pos_k``, ``AP = sum_k pos_k P_k / W_pos``.
    A tie group of zero weight adds nothing (scikit-learn drops zero-weight rows).
    """
    if score.shape[0] == 0:
        return np.full(w.shape[0], np.nan)
    pos, neg = _tie_group_masses(is_pos, score, w)
    pos, neg = pos[:, ::-1], neg[:, ::-1]  # descending thresholds
    tps = np.cumsum(pos, axis=1)
    precision = np.nan_to_num(_safe_divide(tps, tps + np.cumsum(neg, axis=1)))
    return _safe_divide(np.einsum("bu,bu->b", pos, precision), tps[:, -1])
