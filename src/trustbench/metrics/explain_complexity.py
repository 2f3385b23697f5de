"""Complexity of explanations: how concentrated is the attribution mass?"""

from __future__ import annotations

import numpy as np

from trustbench.metrics._rows import flat, row_mean


def sparseness_per_row(attributions: np.ndarray) -> np.ndarray:
    """Gini index of ``|a_i|`` (Chalasani et al. 2020; Quantus ``Sparseness``).

    With ``v`` the sorted ``|a_i|`` (ascending, ``k = 1..d``):
    ``G_i = sum_k (2k - d - 1) v_k / (d sum_k v_k)``. NaN for an all-zero row.
    """
    v = np.sort(np.abs(flat(attributions)), axis=1)
    d = v.shape[1]
    k = np.arange(1, d + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((2 * k - d - 1) * v).sum(axis=1) / (d * v.sum(axis=1))


def sparseness(attributions: np.ndarray, weights: np.ndarray | None = None):
    """Sparseness (Gini index of ``|a|``), averaged over rows.

    Range [0, 1 - 1/d]; **higher is better** (fewer features carry the explanation). Equals
    Quantus 0.6 ``Sparseness`` (tested).
    """
    return row_mean(sparseness_per_row(attributions), weights)


def entropy_per_row(attributions: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of ``p_i = |a_i| / sum |a_i|`` (Bhatt et al. 2020; Quantus
    ``Complexity``). NaN for an all-zero row."""
    a = np.abs(flat(attributions))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = a / a.sum(axis=1, keepdims=True)
        terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    out = terms.sum(axis=1)
    return np.where(np.isfinite(p).all(axis=1), out, np.nan)


def entropy(attributions: np.ndarray, weights: np.ndarray | None = None):
    """Entropy of the normalised ``|a|``, averaged over rows.

    ``H_i = -sum_j p_ij log p_ij`` with ``p_ij = |a_ij| / sum_l |a_il|``. Range [0, log d];
    **lower is better** (simpler explanation). Equals ``scipy.stats.entropy`` and Quantus 0.6
    ``Complexity`` (tested).
    """
    return row_mean(entropy_per_row(attributions), weights)
