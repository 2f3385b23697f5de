"""Membership-inference attack scores (higher = "more likely a member"), vectorised.

Threshold attacks use the target's outputs only; LiRA and RMIA also use K reference models
(:mod:`trustbench.privacy.reference`). Every function maps arrays to one score per row.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "BASELINE_ATTACKS",
    "REFERENCE_ATTACKS",
    "THRESHOLD_ATTACKS",
    "confidence_score",
    "entropy_score",
    "lira_offline_score",
    "lira_online_score",
    "loss_score",
    "modified_entropy_score",
    "rmia_score",
]

_EPS = np.finfo(np.float64).tiny
REFERENCE_ATTACKS = ("lira", "lira_offline", "rmia")


def loss_score(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``log p(y | x)``, the negated cross-entropy loss (Yeom et al. 2018)."""
    return np.log(np.clip(proba[np.arange(len(y)), y], np.finfo(np.float64).eps, 1.0))


def confidence_score(proba: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """``max_j p_j``: the top predicted probability, label-free (Salem et al. 2019)."""
    return proba.max(axis=1)


def entropy_score(proba: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """``-H(p) = sum_j p_j log p_j``: members get more peaked predictions (Salem et al. 2019)."""
    return np.sum(proba * np.log(np.clip(proba, _EPS, 1.0)), axis=1)


def modified_entropy_score(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``-Mentr(p, y)`` of Song & Mittal (2021).

    ``Mentr(p, y) = -(1 - p_y) log p_y - sum_{j != y} p_j log(1 - p_j)``: it is small only
    for a confident *and correct* prediction, unlike plain entropy.
    """
    p = np.clip(proba, _EPS, 1 - 1e-16)
    rows = np.arange(len(y))
    p_y = p[rows, y]
    others = p * np.log(1 - p)
    others[rows, y] = 0.0
    return (1 - p_y) * np.log(p_y) + others.sum(axis=1)


def _masked_moments(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation of ``values[mask]`` (shape (K, n) -> (n,))."""
    count = mask.sum(axis=0)
    mean = np.where(mask, values, 0.0).sum(axis=0) / np.maximum(count, 1)
    var = np.where(mask, (values - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
    return mean, np.sqrt(var)


def _global_std(values: np.ndarray, mask: np.ndarray, mean: np.ndarray) -> float:
    """Pooled standard deviation of ``values`` around each column's mean (fixed variance)."""
    resid = np.where(mask, values - mean, 0.0)
    return float(np.sqrt((resid**2).sum() / max(int(mask.sum()), 1)))


def lira_online_score(
    phi_target: np.ndarray, phi_ref: np.ndarray, keep: np.ndarray, variance: str = "per_example"
) -> np.ndarray:
    """Online LiRA (Carlini et al. 2022): Gaussian likelihood ratio of IN vs OUT.

    ``score(x) = log N(phi(x); mu_in, s_in^2) - log N(phi(x); mu_out, s_out^2)`` where
    ``phi = log(p_y / (1 - p_y))`` and ``mu_in, s_in`` (``mu_out, s_out``) are fitted to the
    reference models that did (did not) train on ``x``. ``variance="fixed"`` uses one
    standard deviation per side pooled over all rows (the paper's choice for few models);
    ``"per_example"`` fits it per row.

    Parameters
    ----------
    phi_target : ndarray (n,)
    phi_ref : ndarray (K, n)
    keep : ndarray (K, n) bool, IN flags
    variance : {"per_example", "fixed"}
    """
    mu_in, sd_in = _masked_moments(phi_ref, keep)
    mu_out, sd_out = _masked_moments(phi_ref, ~keep)
    if variance == "fixed":
        sd_in = np.full_like(mu_in, _global_std(phi_ref, keep, mu_in))
        sd_out = np.full_like(mu_out, _global_std(phi_ref, ~keep, mu_out))
    floor = 1e-6
    return stats.norm.logpdf(phi_target, mu_in, np.maximum(sd_in, floor)) - stats.norm.logpdf(
        phi_target, mu_out, np.maximum(sd_out, floor)
    )


def lira_offline_score(
    phi_target: np.ndarray, phi_ref: np.ndarray, keep: np.ndarray, variance: str = "per_example"
) -> np.ndarray:
    """Offline LiRA: one-sided test against the OUT models only.

    ``score(x) = log Phi((phi(x) - mu_out) / s_out)`` (Carlini et al. 2022, Algorithm 1
    offline: a member's confidence sits in the upper tail of the OUT distribution).
    """
    mu_out, sd_out = _masked_moments(phi_ref, ~keep)
    if variance == "fixed":
        sd_out = np.full_like(mu_out, _global_std(phi_ref, ~keep, mu_out))
    return stats.norm.logcdf((phi_target - mu_out) / np.maximum(sd_out, 1e-6))


def rmia_score(
    logp_target: np.ndarray,
    logp_ref: np.ndarray,
    keep: np.ndarray,
    logp_target_z: np.ndarray,
    logp_ref_z: np.ndarray,
    a: float = 0.3,
    gamma: float = 1.0,
) -> np.ndarray:
    """Offline RMIA (Zarifzadeh et al. 2024): pairwise likelihood ratios against population z.

    ``ratio(x) = p(x | theta) / p(x)`` with ``p(x) = ((1 + a) mean_OUT p(x | theta') + 1 - a) / 2``
    (the paper's offline approximation of the mean over IN and OUT models; ``a`` in
    ``[0, 1]``, 0.3 by default, is how much a model's own training raises ``p``, tuned in the
    paper on reference models), and ``ratio(z) = p(z | theta) / mean_k p(z | theta_k)`` over
    the reference models (no ``z`` is in any of their training sets). The score is
    ``Pr_z[ratio(x) / ratio(z) > gamma]`` over the population. Because that count is a
    non-decreasing function of ``ratio(x)``, ties between rows with the same count are broken
    by ``ratio(x)`` itself (``(count + sigmoid(log ratio(x))) / (|Z| + 1)``), which keeps the
    attack's ranking and resolves its ROC at low FPR.

    Parameters
    ----------
    logp_target, logp_ref : (n,), (K, n) log p(y | x) of the target and reference models
    keep : (K, n) bool IN flags of the audit rows
    logp_target_z, logp_ref_z : (m,), (K, m) the same for the population z
    a, gamma : float
    """
    p_out = np.exp(np.where(~keep, logp_ref, -np.inf))
    mean_out = p_out.sum(axis=0) / np.maximum((~keep).sum(axis=0), 1)
    p_x = 0.5 * ((1 + a) * mean_out + (1 - a))
    log_ratio_x = logp_target - np.log(np.maximum(p_x, _EPS))
    log_ratio_z = logp_target_z - np.log(np.maximum(np.exp(logp_ref_z).mean(axis=0), _EPS))
    sorted_z = np.sort(log_ratio_z)
    count = np.searchsorted(sorted_z, log_ratio_x - np.log(gamma), side="left")
    return (count + 1.0 / (1.0 + np.exp(-log_ratio_x))) / (len(sorted_z) + 1.0)


#: The threshold attacks, ``score(proba, y)`` from the target's outputs alone: a new one is a
#: function above, one entry here and one test (its metrics are registered by key template).
THRESHOLD_ATTACKS = {
    "loss": loss_score,
    "confidence": confidence_score,
    "entropy": entropy_score,
    "modified_entropy": modified_entropy_score,
}
BASELINE_ATTACKS = tuple(THRESHOLD_ATTACKS)
