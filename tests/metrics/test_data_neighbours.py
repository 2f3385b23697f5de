"""The exact radius search behind near twins, against brute-force distances (scipy cdist)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from trustbench.metrics import data_neighbours as N


def _brute(reference: np.ndarray, query: np.ndarray, radius: float) -> np.ndarray:
    return cdist(query, reference).min(axis=1) <= radius


def _table(rng: np.random.Generator, n: int, continuous: int, categories: int) -> np.ndarray:
    """Encoded-looking rows: continuous columns (some integer-valued, so ties), one-hot
    categories at 1/sqrt(2) and a missing indicator."""
    x = rng.normal(size=(n, continuous))
    x[:, 0] = np.round(x[:, 0] * 2) / 2  # ties on a coarse grid
    codes = rng.integers(0, categories, size=n)
    one_hot = np.eye(categories)[codes] / np.sqrt(2.0)
    missing = (rng.random(n) < 0.2).astype(float)
    return np.column_stack([x, one_hot, missing])


@pytest.mark.parametrize("seed", range(6))
def test_radius_search_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    reference = np.unique(_table(rng, 400, continuous=3 + seed, categories=4), axis=0)
    query = _table(rng, 300, continuous=3 + seed, categories=4)
    copies = reference[rng.choice(len(reference), 40)] + rng.normal(scale=0.01, size=(40, 1))
    query = np.vstack([query, copies])
    typical = np.median(np.sort(cdist(reference, reference), axis=1)[:, 1])
    for radius in (0.0, 0.05 * typical, 0.3 * typical, typical):
        found = N._within_radius(reference, query, radius)
        np.testing.assert_array_equal(found, _brute(reference, query, radius))


def test_radius_zero_finds_exact_copies_only():
    rng = np.random.default_rng(11)
    reference = rng.normal(size=(200, 20))
    query = np.vstack([reference[:5], reference[5:10] + 1e-9, rng.normal(size=(5, 20))])
    found = N._within_radius(reference, query, 0.0)
    np.testing.assert_array_equal(found, [True] * 5 + [False] * 10)


def test_near_twin_mask_equals_brute_force_rule():
    rng = np.random.default_rng(3)
    reference = _table(rng, 500, continuous=8, categories=3)
    query = np.vstack([_table(rng, 200, 8, 3), reference[:30] + 0.001])
    mask, typical = N.near_twin_mask(reference, query, ratio=0.1)
    distinct = np.unique(reference, axis=0)
    expected_typical = np.median(np.sort(cdist(distinct, distinct), axis=1)[:, 1])
    assert typical == pytest.approx(expected_typical)
    np.testing.assert_array_equal(mask, _brute(reference, query, 0.1 * expected_typical))
    assert mask[-30:].all() and mask.sum() >= 30


def test_a_typical_distance_passed_in_is_used_and_not_estimated_again(monkeypatch):
    rng = np.random.default_rng(5)
    reference = _table(rng, 300, continuous=5, categories=3)
    query = np.vstack([_table(rng, 100, 5, 3), reference[:10] + 0.001])
    mask, typical = N.near_twin_mask(reference, query, ratio=0.1)
    monkeypatch.setattr(N, "_typical_distance", lambda *a: pytest.fail("estimated again"))
    again, same = N.near_twin_mask(reference, query, ratio=0.1, typical=typical)
    assert same == typical
    np.testing.assert_array_equal(again, mask)
    wider, _ = N.near_twin_mask(reference, query, ratio=0.1, typical=10 * typical)
    np.testing.assert_array_equal(wider, _brute(reference, query, typical))
