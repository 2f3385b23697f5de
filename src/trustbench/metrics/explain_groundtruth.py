"""Agreement of explanations with known ground-truth importances (OpenXAI definitions).

The ground truth is one global importance vector ``g`` (d,) per task (sign = direction of the
effect on the positive class); every explained row ``a_i`` is compared with it, whatever the
model (the data-generating process, not the model, defines ``g``). Top-k sets are taken by
magnitude, ties broken by column order. Scores are per row, then (weighted) means.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from trustbench.metrics._rows import row_mean
from trustbench.metrics.weights import _finish, _weight_matrix


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``|values|`` per row, in decreasing order (stable)."""
    return np.argsort(-np.abs(values), axis=-1, kind="stable")[..., :k]


def _check_k(k: int, d: int) -> None:
    if not 1 <= k <= d:
        raise ValueError(f"k must be in [1, {d}] (the number of features); received {k}")


def feature_agreement(
    attributions: np.ndarray, truth: np.ndarray, k: int, weights: np.ndarray | None = None
):
    """Feature agreement (OpenXAI "FA"): overlap of the top-``k`` features by magnitude.

    ``FA_i = |topk(|a_i|) ∩ topk(|g|)| / k``, averaged over rows. Range [0, 1]; higher is
    better; a random explainer scores ``k / d`` in expectation.
    """
    attributions = np.asarray(attributions, dtype=float)
    d = attributions.shape[1]
    _check_k(k, d)
    top_truth = np.zeros(d, dtype=bool)
    top_truth[_top_k(np.asarray(truth, float), k)] = True
    per_row = top_truth[_top_k(attributions, k)].sum(axis=1) / k
    return row_mean(per_row, weights)


def rank_agreement(
    attributions: np.ndarray, truth: np.ndarray, k: int, weights: np.ndarray | None = None
):
    """Rank agreement (OpenXAI "RA"): top-``k`` features at the same rank position.

    ``RA_i = |{r < k : topk(|a_i|)[r] = topk(|g|)[r]}| / k``. Range [0, 1]; higher is better.
    """
    attributions = np.asarray(attributions, dtype=float)
    _check_k(k, attributions.shape[1])
    truth_top = _top_k(np.asarray(truth, float), k)
    per_row = (_top_k(attributions, k) == truth_top[None, :]).sum(axis=1) / k
    return row_mean(per_row, weights)


def sign_agreement(
    attributions: np.ndarray, truth: np.ndarray, k: int, weights: np.ndarray | None = None
):
    """Sign agreement (OpenXAI "SA"): top-``k`` features shared with the truth and of equal sign.

    ``SA_i = |{j in topk(|a_i|) ∩ topk(|g|) : sign(a_ij) = sign(g_j)}| / k``. Range [0, 1];
    higher is better. Unsigned explainers (saliency) score at most FA and typically ~FA/2.
    """
    attributions = np.asarray(attributions, dtype=float)
    truth = np.asarray(truth, float)
    d = attributions.shape[1]
    _check_k(k, d)
    top_truth = np.zeros(d, dtype=bool)
    top_truth[_top_k(truth, k)] = True
    top = _top_k(attributions, k)
    same_sign = np.sign(np.take_along_axis(attributions, top, axis=1)) == np.sign(truth[top])
    per_row = (top_truth[top] & same_sign).sum(axis=1) / k
    return row_mean(per_row, weights)


def pairwise_rank_agreement(
    attributions: np.ndarray, truth: np.ndarray, weights: np.ndarray | None = None
):
    """Pairwise rank agreement (OpenXAI "PRA") over all feature pairs, by magnitude.

    ``PRA_i = mean_{j < l} 1[(|a_ij| - |a_il|)(|g_j| - |g_l|) > 0]`` over the pairs whose
    ground-truth magnitudes differ. Range [0, 1]; higher is better; 0.5 for random order.
    """
    a = np.abs(np.asarray(attributions, dtype=float))
    g = np.abs(np.asarray(truth, float))
    j, m = np.triu_indices(a.shape[1], k=1)
    keep = g[j] != g[m]
    j, m = j[keep], m[keep]
    if len(j) == 0:
        return row_mean(np.full(len(a), np.nan), weights)
    agree = (a[:, j] - a[:, m]) * (g[j] - g[m])[None, :] > 0
    return row_mean(agree.mean(axis=1), weights)


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
