"""Agreement of explanations with known ground-truth importances (OpenXAI definitions).

The ground truth is one global importance vector ``g`` (d,) per task; its sign is the
direction of the effect on the positive class. Every explained row ``a_i`` is compared with
it, whatever the model (the data-generating process, not the model, defines ``g``). Scores
are per row, then (weighted) means over the rows where they are defined.

Each metric follows a function of OpenXAI's ``openxai/metrics.py`` (Agarwal et al. 2022):
FA, RA, SA follow ``eval_ground_truth_faithfulness`` (metric ``overlap``, ``rank``,
``sign``), PRA ``pairwise_comp``, RC ``rankcorr``. ``pairwise_rank_agreement_untied`` and
``global_rank_correlation`` are this package's variants, not OpenXAI's.

Ties. Top-k sets and rank positions come from one stable sort by decreasing magnitude:
features of equal ``|value|`` are taken in column order, for the truth and for every
attribution row alike (OpenXAI's ``np.argsort`` leaves the order of ties to the sort
implementation). The top-k set of the truth thus depends on column order only when a tie
of ``|g|`` straddles position ``k``; :func:`untied_k` gives the ``k`` that avoids it, and
the explainability suite uses it. Dense ranks (``scipy.stats.rankdata(-|x|, "dense")``:
1 for the largest magnitude, equal magnitudes share a rank) are OpenXAI's and are used
where OpenXAI uses them: RA, PRA and RC.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from trustbench.metrics._rows import pearson_rows, row_mean
from trustbench.metrics.weights import _finish, _weight_matrix


def _order(values: np.ndarray) -> np.ndarray:
    """Feature indices by decreasing ``|values|`` along the last axis (stable: ties by column)."""
    return np.argsort(-np.abs(values), axis=-1, kind="stable")


def _dense_ranks(values: np.ndarray) -> np.ndarray:
    """Dense ranks of ``-|values|`` along the last axis: 1 = largest magnitude, ties share."""
    return rankdata(-np.abs(values), method="dense", axis=-1)


def _inputs(attributions: np.ndarray, truth: np.ndarray, name: str):
    a = np.asarray(attributions, dtype=float)
    g = np.asarray(truth, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"{name}: attributions must have shape (n, d); received {a.shape}")
    if g.shape != (a.shape[1],):
        raise ValueError(
            f"{name}: truth must have shape (d,) = ({a.shape[1]},), one importance per "
            f"attribution column; received {g.shape}"
        )
    return a, g


def _check_k(k: int, d: int) -> None:
    if not 1 <= k <= d:
        raise ValueError(f"k must be in [1, {d}] (the number of features); received {k}")


def untied_k(truth: np.ndarray, k: int) -> int:
    """The ``k`` nearest below (else above) the requested one whose top-k of ``|g|`` is unique.

    A top-k set is unique when ``|g|_(k) > |g|_(k+1)`` in decreasing order (or ``k = d``).
    The requested ``k`` is kept when it qualifies, else lowered to the nearest ``k`` that
    does; when none below does (more than ``k`` features share the largest ``|g|``) it is
    raised to the size of that tied group. Example: ``|g| = (2, 1.5, 1, 1, 0)`` and ``k = 3``
    give 2, since features 2 and 3 tie across position 3.
    """
    magnitudes = np.sort(np.abs(np.asarray(truth, dtype=float)))[::-1]
    d = len(magnitudes)
    _check_k(k, d)
    unique = np.append(magnitudes[:-1] > magnitudes[1:], True)  # unique[m - 1]: top-m unique
    below = np.flatnonzero(unique[:k])
    return int(below[-1] + 1) if len(below) else int(np.flatnonzero(unique)[0] + 1)


def feature_agreement(
    attributions: np.ndarray, truth: np.ndarray, k: int, weights: np.ndarray | None = None
):
    """Feature agreement (OpenXAI FA, ``eval_ground_truth_faithfulness(metric="overlap")``).

    ``FA_i = |topk(|a_i|) ∩ topk(|g|)| / k``, averaged over rows. Range [0, 1]; higher is
    better; a random explainer scores ``k / d`` in expectation. Ties: module docstring.
    """
    a, g = _inputs(attributions, truth, "feature_agreement")
    d = a.shape[1]
    _check_k(k, d)
    top_truth = np.zeros(d, dtype=bool)
    top_truth[_order(g)[:k]] = True
    per_row = top_truth[_order(a)[:, :k]].sum(axis=1) / k
    return row_mean(per_row, weights)


def rank_agreement(
    attributions: np.ndarray, truth: np.ndarray, k: int, weights: np.ndarray | None = None
):
    """Rank agreement (OpenXAI RA, ``eval_ground_truth_faithfulness(metric="rank")``).

    ``RA_i = |{r < k : t_i[r] = u[r] and rho_i(t_i[r]) = rho(u[r])}| / k`` with ``t_i`` and
    ``u`` the top-k features of ``|a_i|`` and ``|g|`` in decreasing order and ``rho`` their
    dense ranks: the same feature at the same position, holding the same dense rank (so a
    tie in ``|g|`` inside the top-k is matched only by the same tie in ``|a_i|``). Without
    ties it is the fraction of positions holding the same feature. Range [0, 1]; higher is
    better.
    """
    a, g = _inputs(attributions, truth, "rank_agreement")
    _check_k(k, a.shape[1])
    top_a, top_g = _order(a)[:, :k], _order(g)[:k]
    same_rank = np.take_along_axis(_dense_ranks(a), top_a, axis=1) == _dense_ranks(g)[top_g]
    per_row = ((top_a == top_g[None, :]) & same_rank).sum(axis=1) / k
    return row_mean(per_row, weights)


def _signed_truth(g: np.ndarray, explained_class: np.ndarray, n: int) -> np.ndarray:
    """``(2 c_i - 1) g`` per row: the truth's direction of effect on the explained class."""
    c = np.asarray(explained_class)
    if c.shape != (n,):
        raise ValueError(
            f"sign_agreement: explained_class must hold one class per explained row, shape "
            f"({n},); received shape {c.shape}"
        )
    bad = sorted(set(np.unique(c).tolist()) - {0, 1})
    if bad:
        raise ValueError(
            "sign_agreement: explained_class must be 0 (the negative class) or 1 (the positive "
            f"class, the one the sign of the truth refers to); received {bad}"
        )
    return (2.0 * c - 1.0)[:, None] * g[None, :]


def sign_agreement(
    attributions: np.ndarray,
    truth: np.ndarray,
    k: int,
    *,
    explained_class: np.ndarray,
    weights: np.ndarray | None = None,
):
    """Sign agreement (OpenXAI SA, ``eval_ground_truth_faithfulness(metric="sign")``).

    ``SA_i = |{j in topk(|a_i|) ∩ topk(|g|) : sign(a_ij) = sign(s_i g_j)}| / k`` with
    ``s_i = +1`` when row ``i`` explains the positive class (``explained_class`` 1) and
    ``-1`` when it explains the negative class (0): ``g`` is the direction of effect on the
    positive class, so on class 0 it is negated (OpenXAI flips it by the prediction).
    ``sign(0) = 0``. Range [0, 1]; higher is better. On a logistic model the gradient of
    the explained class's probability scores SA = FA; contribution explainers (SHAP,
    integrated gradients, input x gradient) carry ``sign(x_j - baseline_j)`` as well, and
    unsigned ones (saliency) match only the features whose signed truth is positive.

    Parameters
    ----------
    attributions : array (n, d)
    truth : array (d,)
    k : int
        Size of the top-k sets, in ``[1, d]``.
    explained_class : array (n,) of 0/1, keyword-only
        The class each row's attribution explains (the suite explains the predicted class).
    weights : None, (n,) or (B, n)
        Row weights (bootstrap counts).
    """
    a, g = _inputs(attributions, truth, "sign_agreement")
    d = a.shape[1]
    _check_k(k, d)
    signed = _signed_truth(g, explained_class, len(a))
    top_truth = np.zeros(d, dtype=bool)
    top_truth[_order(g)[:k]] = True
    top = _order(a)[:, :k]
    same_sign = np.sign(np.take_along_axis(a, top, axis=1)) == np.sign(
        np.take_along_axis(signed, top, axis=1)
    )
    per_row = (top_truth[top] & same_sign).sum(axis=1) / k
    return row_mean(per_row, weights)


def pairwise_rank_agreement(
    attributions: np.ndarray, truth: np.ndarray, weights: np.ndarray | None = None
):
    """Pairwise rank agreement (OpenXAI PRA, ``pairwise_comp``) over all feature pairs.

    ``PRA_i = mean_{j < l} 1[(|a_ij| > |a_il|) = (|g_j| > |g_l|)]`` over all ``d (d - 1) / 2``
    pairs (OpenXAI compares dense ranks, ``rho_j < rho_l``, which is the same). Ties count
    as "not greater": a pair tied in ``|g|`` agrees when ``|a_ij| <= |a_il|`` (the earlier
    column is not ranked above the later one), a pair tied in both always agrees. Range
    [0, 1]; higher is better; about 0.5 for a random order. NaN when ``d < 2``.
    :func:`pairwise_rank_agreement_untied` leaves tied pairs out instead.
    """
    a, g = _inputs(attributions, truth, "pairwise_rank_agreement")
    a, g = np.abs(a), np.abs(g)
    j, m = np.triu_indices(a.shape[1], k=1)
    if len(j) == 0:
        return row_mean(np.full(len(a), np.nan), weights)
    agree = (a[:, j] > a[:, m]) == (g[j] > g[m])[None, :]
    return row_mean(agree.mean(axis=1), weights)


def pairwise_rank_agreement_untied(
    attributions: np.ndarray, truth: np.ndarray, weights: np.ndarray | None = None
):
    """Pairwise rank agreement over the pairs whose truth magnitudes differ (not OpenXAI's).

    ``mean_{j < l, |g_j| != |g_l|} 1[(|a_ij| - |a_il|)(|g_j| - |g_l|) > 0]``: the fraction of
    the pairs the truth orders that ``|a_i|`` orders strictly the same way (a tie in
    ``|a_i|`` disagrees). Unlike OpenXAI's PRA it does not depend on column order and a
    perfect explainer scores 1 whatever the ties of ``g`` (e.g. its zero features). Range
    [0, 1]; higher is better; 0.5 for a random order. NaN when every pair ties in ``|g|``.
    """
    a, g = _inputs(attributions, truth, "pairwise_rank_agreement_untied")
    a, g = np.abs(a), np.abs(g)
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
    """Rank correlation (OpenXAI RC, ``rankcorr``): per row, over all features.

    ``RC_i = Pearson(rho(|a_i|), rho(|g|))`` with ``rho`` the dense ranks of decreasing
    magnitude, then the (weighted) mean over rows. Without ties it is Spearman's rho of
    ``|a_i|`` and ``|g|``; with ties it is OpenXAI's dense-rank form, not scipy's
    average-rank Spearman. Rows whose ``|a_i|`` is constant are undefined (NaN) and left
    out of the mean (OpenXAI's mean would be NaN). Range [-1, 1]; higher is better.
    """
    a, g = _inputs(attributions, truth, "rank_correlation")
    ranks = _dense_ranks(a).astype(float)
    per_row = pearson_rows(ranks, np.broadcast_to(_dense_ranks(g).astype(float), ranks.shape))
    return row_mean(per_row, weights)


def global_rank_correlation(
    attributions: np.ndarray, truth: np.ndarray, weights: np.ndarray | None = None
):
    """Spearman correlation between global importance ``mean_i |a_i|`` and ``|g|`` (not OpenXAI).

    Range [-1, 1]; higher is better. With ``weights`` the global importance is the
    weighted mean over rows (one value per bootstrap replicate). Equal to
    ``scipy.stats.spearmanr`` (average ranks for ties). NaN when either side is constant.
    """
    magnitude, g = _inputs(attributions, truth, "global_rank_correlation")
    magnitude = np.abs(magnitude)
    truth_rank = rankdata(np.abs(g))
    w, squeeze = _weight_matrix(weights, len(magnitude), "global_rank_correlation")
    importance = (w @ magnitude) / w.sum(axis=1, keepdims=True)
    ranks = rankdata(importance, axis=1)
    a = ranks - ranks.mean(axis=1, keepdims=True)
    b = truth_rank - truth_rank.mean()
    denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (a @ b) / denom
    return _finish(rho, squeeze)
