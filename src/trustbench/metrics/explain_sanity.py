"""Sanity checks: do explanations depend on the model they explain?"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from trustbench.metrics._rows import flat, row_mean


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (average ranks)."""
    ra = rankdata(flat(a), axis=1)
    rb = rankdata(flat(b), axis=1)
    ra = ra - ra.mean(axis=1, keepdims=True)
    rb = rb - rb.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ra * rb).sum(axis=1) / np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))


def randomisation_similarity(
    attributions: np.ndarray, randomised: np.ndarray, weights: np.ndarray | None = None
):
    """Model-parameter randomisation test (Adebayo et al. 2018; Quantus ``MPRT``).

    ``MPRT_i = Spearman(|a_i|, |a_i^rand|)`` where ``a^rand`` explains the same input for the
    model with its layers randomised top-down (cascading, every layer randomised at the end).
    Range [-1, 1]; **lower is better**: an explanation that survives the destruction of the
    model does not explain the model. NaN for constant rows. Equals ``scipy.stats.spearmanr``
    per row (tested).
    """
    return row_mean(spearman_rows(np.abs(flat(attributions)), np.abs(flat(randomised))), weights)
