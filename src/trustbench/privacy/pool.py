"""Which rows the privacy audit uses: audit members/non-members, the RMIA population, the pool.

* audit set: ``m`` members drawn from ``train`` and ``m`` non-members drawn from ``test``
  (``m = min(n_train, n_test_available, max_audit_size)``), seeded;
* RMIA population ``Z`` (only when an attack needs it): a fraction of ``test`` held out from
  the audit set, so every ``z`` is a non-member of the target *and* disjoint from the audit
  rows, and never in any reference model's training data;
* reference pool: ``train`` plus the ``test`` rows outside ``Z``. Each reference model trains
  on a random half of the pool; the halves come in complementary pairs, so every pool row is
  IN for exactly ``K / 2`` models (online LiRA) and OUT for the other ``K / 2`` (offline
  attacks use those only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AuditPlan", "complementary_halves", "plan_audit"]


@dataclass(frozen=True)
class AuditPlan:
    """Row positions (into each split) of the audit set, the population and the pool.

    Attributes
    ----------
    members : ndarray
        Positions in ``train`` of the audit members.
    nonmembers : ndarray
        Positions in ``test`` of the audit non-members.
    population : ndarray
        Positions in ``test`` of the RMIA population ``Z`` (empty when not needed).
    pool_test : ndarray
        Positions in ``test`` that belong to the reference pool (every test row not in ``Z``);
        the pool is all of ``train`` followed by these.
    """

    members: np.ndarray
    nonmembers: np.ndarray
    population: np.ndarray
    pool_test: np.ndarray


def plan_audit(
    n_train: int, n_test: int, max_audit_size: int, seed: int, population_fraction: float = 0.0
) -> AuditPlan:
    """Draw the audit set (and, for RMIA, the population ``Z``) reproducibly from ``seed``.

    Parameters
    ----------
    n_train, n_test : int
        Split sizes.
    max_audit_size : int
        Upper bound on the members (and non-members) audited.
    seed : int
    population_fraction : float
        Fraction of ``test`` held out as the RMIA population (0 = none).
    """
    rng = np.random.default_rng([int(seed), 7])
    test_order = rng.permutation(n_test)
    n_pop = round(float(population_fraction) * n_test)
    population = np.sort(test_order[:n_pop])
    available = test_order[n_pop:]
    m = int(min(n_train, len(available), max_audit_size))
    members = np.sort(rng.choice(n_train, size=m, replace=False))
    nonmembers = np.sort(rng.choice(available, size=m, replace=False))
    return AuditPlan(members, nonmembers, population, np.sort(available))


def complementary_halves(n: int, k_models: int, seed: int) -> np.ndarray:
    """IN/OUT matrix ``(K, n)`` for ``K`` (even) reference models over ``n`` pool rows.

    Models ``2j`` and ``2j + 1`` train on a random half and its complement, so each row is IN
    for exactly ``K / 2`` models and every model trains on ``floor(n/2)`` or ``ceil(n/2)`` rows.
    """
    if k_models < 2 or k_models % 2:
        raise ValueError(f"reference models must be an even number >= 2; received {k_models}")
    rng = np.random.default_rng([int(seed), 13])
    keep = np.zeros((k_models, n), dtype=bool)
    for j in range(k_models // 2):
        half = rng.permutation(n) < (n // 2 + (j % 2) * (n % 2))
        keep[2 * j] = half
        keep[2 * j + 1] = ~half
    return keep


def take_rows(X, index):
    """Rows ``index`` (positions) of a feature frame or an image array, with a fresh index."""
    if isinstance(X, np.ndarray):
        return X[np.asarray(index, dtype=int)]
    return X.iloc[np.asarray(index, dtype=int)].reset_index(drop=True)


def stack_rows(parts):
    """Concatenate feature frames (fresh RangeIndex) or image arrays along the rows."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts, axis=0)
    import pandas as pd

    return pd.concat(parts, ignore_index=True)
