"""Weighted ROC bookkeeping shared by :func:`roc_auc` and the membership-inference metrics.

Scores are sorted once and tied scores grouped (``np.unique``); the weighted positive and
negative mass of every tie group is then one sparse product per class, giving ``(B, U)``
matrices (``U`` distinct scores) from which AUC and the ROC curve follow by cumulative sums.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics.weights import _group_sums, _safe_divide


def _tie_group_masses(
    is_pos: np.ndarray, score: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative weight per distinct score, in ascending score order.

    Returns ``(pos, neg)``, each of shape ``(B, U)``.
    """
    _, inv = np.unique(score, return_inverse=True)
    inv = inv.ravel()
    n_unique = int(inv.max()) + 1 if inv.size else 0
    y = is_pos.astype(np.float64)
    pos = _group_sums(w, inv, n_unique, y)
    neg = _group_sums(w, inv, n_unique, 1.0 - y)
    return pos, neg


def _binary_auc(is_pos: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted Mann–Whitney AUC per replicate, ties counted 1/2; NaN without both classes.

    ``AUC = sum_{i pos, j neg} w_i w_j ([s_i > s_j] + [s_i == s_j] / 2) / (W_pos * W_neg)``,
    which equals the trapezoidal area under the weighted ROC curve (scikit-learn's value).
    """
    pos, neg = _tie_group_masses(is_pos, score, w)
    cum_neg = np.cumsum(neg, axis=1)
    neg_below = np.concatenate([np.zeros((neg.shape[0], 1)), cum_neg[:, :-1]], axis=1)
    num = np.sum(pos * (neg_below + 0.5 * neg), axis=1)
    return _safe_divide(num, pos.sum(axis=1) * cum_neg[:, -1])


def _roc_curve_counts(
    is_pos: np.ndarray, score: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Unnormalised ROC curve for the rule "predict positive when ``score >= t``".

    Returns ``(tpr, fpr)`` of shape ``(B, U + 1)``: column 0 is the point (0, 0) (threshold
    above every score), column ``j`` the threshold at the ``j``-th largest distinct score; the
    last column is (1, 1). Replicates without positives (negatives) give NaN TPR (FPR).
    """
    pos, neg = _tie_group_masses(is_pos, score, w)
    # Descending thresholds: reverse the ascending tie groups, then accumulate.
    zeros = np.zeros((pos.shape[0], 1))
    tps = np.concatenate([zeros, np.cumsum(pos[:, ::-1], axis=1)], axis=1)
    fps = np.concatenate([zeros, np.cumsum(neg[:, ::-1], axis=1)], axis=1)
    tpr = _safe_divide(tps, tps[:, -1:])
    fpr = _safe_divide(fps, fps[:, -1:])
    return tpr, fpr
