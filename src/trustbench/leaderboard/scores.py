"""Ranking scores on a matrix of metric means, vectorised over leading (bootstrap) axes.

Every function takes ``X`` of shape ``(..., R, M)`` (R rows, M metrics; leading axes are
bootstrap replicates) and ``directions`` of length M, orients each column so that higher is
better (:func:`trustbench.leaderboard.directions.oriented`) and returns an array ``(..., R)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from trustbench.leaderboard.directions import oriented


def orient(X: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Columns of ``X`` turned so that higher is better."""
    X = np.asarray(X, dtype=float)
    out = np.empty_like(X)
    for m, direction in enumerate(directions):
        out[..., m] = oriented(X[..., m], direction)
    return out


def normalised(X: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Per-metric min-max normalisation over rows after orientation, shape ``(..., R, M)``.

    ``(o - min_r o) / (max_r o - min_r o)`` in [0, 1], 1 = best row; a column where all rows
    are equal gives 1 to every row.
    """
    oriented_x = orient(X, directions)
    low = oriented_x.min(axis=-2, keepdims=True)
    span = oriented_x.max(axis=-2, keepdims=True) - low
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(span > 0, (oriented_x - low) / np.where(span > 0, span, 1.0), 1.0)
    return out


def family_scores(
    X: np.ndarray, directions: Sequence[str], families: Sequence[str], order: Sequence[str]
) -> np.ndarray:
    """Mean normalised score per family, shape ``(..., R, len(order))``, in family ``order``."""
    N = normalised(X, directions)
    fam = np.asarray(families)
    return np.stack([N[..., fam == f].mean(axis=-1) for f in order], axis=-1)


def normalised_score(
    X: np.ndarray, directions: Sequence[str], families: Sequence[str]
) -> np.ndarray:
    """Mean over families of the family scores (each family weighs the same), ``(..., R)``."""
    order = sorted(set(families))
    return family_scores(X, directions, families, order).mean(axis=-1)


def win_rate(X: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Mean win rate (HELM): per metric, the fraction of the other rows this row beats
    (a tie counts one half), averaged over metrics; ``(..., R)``, in [0, 1], NaN for one row.
    """
    oriented_x = orient(X, directions)
    R = oriented_x.shape[-2]
    if R < 2:
        return np.full(oriented_x.shape[:-1], np.nan)
    a = oriented_x[..., :, None, :]
    b = oriented_x[..., None, :, :]
    beats = (a > b).sum(axis=-2) + 0.5 * ((a == b).sum(axis=-2) - 1)  # minus self-tie
    return (beats / (R - 1)).mean(axis=-1)


def average_rank(X: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Mean over metrics of the row's rank (1 = best, ties get their average rank), ``(..., R)``."""
    oriented_x = orient(X, directions)
    ranks = stats.rankdata(-oriented_x, axis=-2, method="average")
    return ranks.mean(axis=-1)


def competition_rank(score: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """1 + the number of rows with a strictly better score (ties share the best rank)."""
    s = np.asarray(score, dtype=float)
    s = s if higher_is_better else -s
    return 1 + (s[..., None, :] > s[..., :, None]).sum(axis=-1)


def dominated_by(F: np.ndarray) -> list[list[int]]:
    """For each row of ``F`` (R, K), higher is better: the rows that dominate it
    (at least as good on every column, strictly better on one)."""
    F = np.asarray(F, dtype=float)
    ge = (F[None, :, :] >= F[:, None, :]).all(axis=-1)  # [i, j]: j >= i everywhere
    gt = (F[None, :, :] > F[:, None, :]).any(axis=-1)
    dom = ge & gt
    return [sorted(np.flatnonzero(dom[i]).tolist()) for i in range(F.shape[0])]
