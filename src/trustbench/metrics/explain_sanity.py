"""Sanity checks: do explanations depend on the model they explain?"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from trustbench.metrics._rows import flat, pearson_rows, row_mean


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (average ranks)."""
    return pearson_rows(rankdata(flat(a), axis=1), rankdata(flat(b), axis=1))


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
