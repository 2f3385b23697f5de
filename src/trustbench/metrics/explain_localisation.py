"""Localisation: does an image attribution map point at the ground-truth region (mask)?

Maps ``(n, H, W)``, masks ``(n, H, W)`` bool. Rows whose mask is empty (no lesion) have no
localisation score (NaN) and are left out of the mean.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics._rows import flat, row_mean


def _prepare(maps: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = flat(maps)
    m = np.asarray(masks, dtype=bool).reshape(len(a), -1)
    if a.shape != m.shape:
        raise ValueError(
            f"maps and masks must have the same shape; received {a.shape} and {m.shape}"
        )
    return a, m, m.any(axis=1)


def pointing_game(maps: np.ndarray, masks: np.ndarray, weights: np.ndarray | None = None):
    """Pointing game (Zhang et al. 2018; Quantus ``PointingGame``): is the maximum inside the mask?

    ``PG_i = 1[argmax_p a_ip in M_i]`` (first maximum on ties). Range [0, 1] (hit rate);
    higher is better; a random map scores ``|M| / (H W)`` in expectation.
    """
    a, m, has = _prepare(maps, masks)
    hit = m[np.arange(len(a)), np.argmax(a, axis=1)].astype(float)
    return row_mean(np.where(has, hit, np.nan), weights)


def relevance_mass_accuracy(maps: np.ndarray, masks: np.ndarray, weights: np.ndarray | None = None):
    """Relevance mass accuracy (Arras et al. 2022; Quantus ``RelevanceMassAccuracy``).

    ``RMA_i = sum_{p in M_i} a_ip / sum_p a_ip`` on the attributions as given (Quantus'
    convention; pass ``|a|`` or positive parts for signed maps). Range [0, 1] for
    non-negative maps; higher is better; NaN when the total is 0.
    """
    a, m, has = _prepare(maps, masks)
    with np.errstate(invalid="ignore", divide="ignore"):
        rma = (a * m).sum(axis=1) / a.sum(axis=1)
    return row_mean(np.where(has, rma, np.nan), weights)


def relevance_rank_accuracy(maps: np.ndarray, masks: np.ndarray, weights: np.ndarray | None = None):
    """Relevance rank accuracy (Arras et al. 2022; Quantus ``RelevanceRankAccuracy``).

    With ``K_i = |M_i|``: ``RRA_i = |topK_i(a_i) ∩ M_i| / K_i`` (top pixels by value, stable
    ties). Range [0, 1]; higher is better; a random map scores ``K / (H W)`` in expectation.
    """
    a, m, has = _prepare(maps, masks)
    order = np.argsort(-a, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(a.shape[1])[None, :].repeat(len(a), 0), axis=1)
    k = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rra = ((ranks < k[:, None]) & m).sum(axis=1) / k
    return row_mean(np.where(has, rra, np.nan), weights)
