"""Explanation-quality metrics (first cut): deletion AUC and ground-truth agreement.

Pure functions on arrays. The suite builds the perturbed inputs and runs the model; these
functions only turn model outputs and attributions into numbers.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from trustbench.metrics.weights import _finish, _weight_matrix


def deletion_order(attributions: np.ndarray) -> np.ndarray:
    """Rank of each feature in deletion order (0 = removed first), per row.

    Features are removed most relevant first: highest attribution first, ties broken by
    column order (stable sort), so the order is deterministic.
    """
    order = np.argsort(-attributions, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(
        ranks, order, np.arange(attributions.shape[1])[None, :].repeat(len(order), 0), axis=1
    )
    return ranks


def deletion_masks(attributions: np.ndarray) -> np.ndarray:
    """Masks ``(d + 1, n, d)``: at step ``k`` the ``k`` most relevant features of each row are removed."""
    ranks = deletion_order(attributions)
    steps = np.arange(attributions.shape[1] + 1)[:, None, None]
    return ranks[None, :, :] < steps


def curve_auc(curves: np.ndarray) -> np.ndarray:
    """Area under per-row curves sampled at evenly spaced fractions 0, 1/d, ..., 1 (trapezoid).

    Parameters
    ----------
    curves : array (n, d + 1)

    Returns
    -------
    array (n,), each in [0, 1] when the curves are probabilities.
    """
    curves = np.asarray(curves, dtype=float)
    steps = curves.shape[1] - 1
    return (curves[:, 0] / 2 + curves[:, 1:-1].sum(axis=1) + curves[:, -1] / 2) / steps


def deletion_auc(curves: np.ndarray, weights: np.ndarray | None = None):
    """Deletion AUC (Petsiuk et al. 2018, "RISE"), averaged over rows.

    For each row, features are replaced by their baseline values most relevant first; the
    curve is the probability of the originally predicted class after removing a fraction
    ``k / d`` of the features, and its area (trapezoid over ``[0, 1]``) is the row's score.

    Range [0, 1]; lower is better (a faithful explanation removes the evidence first, so the
    probability falls fast). Compare against the ``random`` explainer on the same model.

    Parameters
    ----------
    curves : array (n, d + 1)
        Target-class probability at each deletion step.
    weights : None, (n,) or (B, n)
        Row weights (bootstrap counts) for a weighted mean; ``(B, n)`` returns ``(B,)``.
    """
    per_row = curve_auc(curves)
    return _weighted_mean(per_row, weights)


def feature_agreement(
    attributions: np.ndarray, truth: np.ndarray, k: int, weights: np.ndarray | None = None
):
    """Feature agreement (OpenXAI "FA"): overlap of the top-``k`` features by magnitude.

    ``FA_i = |topk(|a_i|) ∩ topk(|g|)| / k``, averaged over rows ``i``, where ``g`` is the
    ground-truth importance vector (global, one per task). Range [0, 1]; higher is better;
    a random explainer scores ``k / d`` in expectation. Ties in ``|g|`` at the k-th place are
    broken by column order.
    """
    attributions = np.asarray(attributions, dtype=float)
    d = attributions.shape[1]
    if not 1 <= k <= d:
        raise ValueError(f"k must be in [1, {d}] (the number of features); received {k}")
    top_truth = np.zeros(d, dtype=bool)
    top_truth[np.argsort(-np.abs(truth), kind="stable")[:k]] = True
    top_attr = np.argsort(-np.abs(attributions), axis=1, kind="stable")[:, :k]
    per_row = top_truth[top_attr].sum(axis=1) / k
    return _weighted_mean(per_row, weights)


def rank_correlation(
    attributions: np.ndarray, truth: np.ndarray, weights: np.ndarray | None = None
):
    """Spearman correlation between global importance ``mean_i |a_i|`` and ``|g|``.

    Range [-1, 1]; higher is better. With ``weights`` the global importance is the
    weighted mean over rows (one value per bootstrap replicate). Equal to
    ``scipy.stats.spearmanr`` (average ranks for ties). NaN when either side is constant.
    """
    magnitude = np.abs(np.asarray(attributions, dtype=float))
    truth_rank = rankdata(np.abs(truth))
    w, squeeze = _weight_matrix(weights, len(magnitude), "rank_correlation")
    importance = (w @ magnitude) / w.sum(axis=1, keepdims=True)
    ranks = rankdata(importance, axis=1)
    a = ranks - ranks.mean(axis=1, keepdims=True)
    b = truth_rank - truth_rank.mean()
    denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (a @ b) / denom
    return _finish(rho, squeeze)


def _weighted_mean(per_row: np.ndarray, weights: np.ndarray | None):
    w, squeeze = _weight_matrix(weights, len(per_row), "weights")
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (w @ per_row) / w.sum(axis=1)
    return _finish(values, squeeze)
