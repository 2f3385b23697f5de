"""Tests of the bootstrap helpers and the shared `weights` convention."""

from __future__ import annotations

import numpy as np
import pytest

import trustbench.metrics as tm
from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import _weight_matrix


def test_bootstrap_counts_shape_and_sums():
    rng = np.random.default_rng(0)
    counts = tm.bootstrap_counts(50, 200, rng)
    assert counts.shape == (200, 50)
    assert np.issubdtype(counts.dtype, np.integer)
    assert np.all(counts >= 0)
    assert np.all(counts.sum(axis=1) == 50)
    # Each row is used about once per replicate on average.
    assert abs(counts.mean() - 1.0) < 1e-12
    assert 0.9 < counts.var() < 1.1  # Multinomial(n, 1/n) marginal variance is 1 - 1/n


def test_bootstrap_counts_deterministic_and_distinct():
    a = tm.bootstrap_counts(30, 5, np.random.default_rng(7))
    b = tm.bootstrap_counts(30, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert len({row.tobytes() for row in a}) == 5


@pytest.mark.parametrize("n, n_boot", [(0, 3), (3, 0)])
def test_bootstrap_counts_rejects_empty(n, n_boot):
    with pytest.raises(TrustbenchError):
        tm.bootstrap_counts(n, n_boot, np.random.default_rng(0))


def test_percentile_interval_matches_numpy():
    r = np.random.default_rng(1).normal(size=1000)
    lo, hi = tm.percentile_interval(r)
    assert isinstance(lo, float) and isinstance(hi, float)
    np.testing.assert_allclose([lo, hi], np.percentile(r, [2.5, 97.5]), rtol=0, atol=1e-12)
    lo90, hi90 = tm.percentile_interval(r, level=0.9)
    np.testing.assert_allclose([lo90, hi90], np.percentile(r, [5, 95]), rtol=0, atol=1e-12)


def test_percentile_interval_ignores_nan():
    r = np.arange(100, dtype=float)
    with_nan = np.concatenate([r, np.full(40, np.nan)])
    expected = np.percentile(r, [2.5, 97.5])
    np.testing.assert_allclose(tm.percentile_interval(with_nan), expected, atol=1e-12)


def test_percentile_interval_too_few_finite():
    assert all(np.isnan(tm.percentile_interval(np.array([1.0, np.nan, np.nan]))))
    assert all(np.isnan(tm.percentile_interval(np.array([]))))
    # Exactly half finite is enough.
    lo, hi = tm.percentile_interval(np.array([1.0, 2.0, np.nan, np.nan]))
    assert np.isfinite(lo) and np.isfinite(hi)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_percentile_interval_rejects_level(level):
    with pytest.raises(TrustbenchError):
        tm.percentile_interval(np.arange(10.0), level=level)


def test_weight_matrix_forms():
    w, squeeze = _weight_matrix(None, 4, "x")
    assert squeeze and w.shape == (1, 4) and w.dtype == np.float64 and np.all(w == 1)
    w, squeeze = _weight_matrix([1, 2, 0, 1], 4, "x")
    assert squeeze and w.shape == (1, 4)
    w, squeeze = _weight_matrix(np.ones((3, 4), dtype=int), 4, "x")
    assert not squeeze and w.shape == (3, 4) and w.dtype == np.float64


@pytest.mark.parametrize(
    "bad",
    [
        np.ones(5),
        np.ones((2, 5)),
        np.ones((2, 2, 4)),
        np.array([1.0, -1.0, 1.0, 1.0]),
        np.array([1.0, np.nan, 1.0, 1.0]),
    ],
)
def test_weight_matrix_rejects(bad):
    with pytest.raises(TrustbenchError, match="weights"):
        _weight_matrix(bad, 4, "x")


def _all_metric_calls(rng: np.random.Generator, n: int):
    """(name, callable(weights)) for every public metric on random binary data."""
    y = rng.integers(0, 2, n)
    p1 = rng.random(n)
    proba = np.column_stack([1 - p1, p1])
    y_pred = (p1 > 0.5).astype(int)
    groups = rng.choice(["a", "b", "c"], n)
    member = rng.integers(0, 2, n)
    score = rng.normal(size=n) + member
    return [
        ("accuracy", lambda w: tm.accuracy(y, proba, w)),
        ("balanced_accuracy", lambda w: tm.balanced_accuracy(y, proba, w)),
        ("roc_auc", lambda w: tm.roc_auc(y, proba, w)),
        ("log_loss", lambda w: tm.log_loss(y, proba, w)),
        ("brier", lambda w: tm.brier(y, proba, w)),
        ("ece", lambda w: tm.expected_calibration_error(y, proba, w)),
        ("dpd", lambda w: tm.demographic_parity_difference(y, y_pred, groups, w)),
        ("dpr", lambda w: tm.demographic_parity_ratio(y, y_pred, groups, w)),
        ("eod", lambda w: tm.equalized_odds_difference(y, y_pred, groups, w)),
        ("eopd", lambda w: tm.equal_opportunity_difference(y, y_pred, groups, w)),
        ("wga", lambda w: tm.worst_group_accuracy(y, y_pred, groups, w)),
        ("attack_auc", lambda w: tm.attack_auc(member, score, w)),
        ("tpr_at_fpr", lambda w: tm.tpr_at_fpr(member, score, 0.1, w)),
        ("advantage", lambda w: tm.attacker_advantage(member, score, w)),
    ]


def test_every_metric_follows_the_weights_convention():
    rng = np.random.default_rng(3)
    n = 120
    counts = tm.bootstrap_counts(n, 6, rng)
    # A zero-weight replicate is undefined for every metric.
    counts = np.vstack([counts, np.zeros(n, dtype=int)])
    for name, fn in _all_metric_calls(rng, n):
        plain = fn(None)
        assert type(plain) is float, name
        assert fn(np.ones(n)) == pytest.approx(plain, abs=1e-12), name
        assert fn(np.full(n, 2.5)) == pytest.approx(plain, abs=1e-12), name
        batch = fn(counts)
        assert isinstance(batch, np.ndarray) and batch.shape == (7,), name
        assert batch.dtype == np.float64, name
        for b in range(6):
            single = fn(counts[b])
            assert type(single) is float, name
            np.testing.assert_allclose(batch[b], single, rtol=0, atol=1e-12, err_msg=name)
        assert np.isnan(batch[6]), name


def test_bootstrap_interval_end_to_end():
    rng = np.random.default_rng(11)
    n = 400
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    proba = np.column_stack([1 - p1, p1])
    reps = tm.roc_auc(y, proba, tm.bootstrap_counts(n, 300, rng))
    lo, hi = tm.percentile_interval(reps)
    point = tm.roc_auc(y, proba)
    assert lo < point < hi
    assert hi - lo < 0.15


def test_empty_inputs_give_nan():
    y = np.zeros(0, dtype=int)
    proba = np.zeros((0, 3))
    for fn in (tm.accuracy, tm.balanced_accuracy, tm.roc_auc, tm.log_loss, tm.brier):
        assert np.isnan(fn(y, proba)), fn.__name__
    assert np.isnan(tm.expected_calibration_error(y, proba))
    groups = np.array([], dtype=str)
    for fn in (
        tm.demographic_parity_difference,
        tm.demographic_parity_ratio,
        tm.equalized_odds_difference,
        tm.equal_opportunity_difference,
        tm.worst_group_accuracy,
    ):
        assert np.isnan(fn(y, y, groups)), fn.__name__
    score = np.zeros(0)
    assert np.isnan(tm.attack_auc(y, score))
    assert np.isnan(tm.tpr_at_fpr(y, score, 0.1))
    assert np.isnan(tm.attacker_advantage(y, score))


def test_group_sums_dense_and_sparse_paths_agree(monkeypatch):
    from trustbench.metrics import weights as weights_module

    rng = np.random.default_rng(4)
    n, n_codes = 500, 40
    codes = rng.integers(0, n_codes, n)
    w = rng.integers(0, 3, (7, n)).astype(float)
    values = (rng.random(n), rng.integers(0, 2, n))
    expected = np.stack(
        [
            np.stack([[np.sum(row * v * (codes == g)) for g in range(n_codes)] for row in w])
            for v in values
        ]
    )
    monkeypatch.setattr(weights_module, "_DENSE_MAX_COLUMNS", 10**6)
    dense = weights_module._group_sums(w, codes, n_codes, *values)
    monkeypatch.setattr(weights_module, "_DENSE_MAX_COLUMNS", 0)
    sparse = weights_module._group_sums(w, codes, n_codes, *values)
    assert dense.shape == sparse.shape == (2, 7, n_codes)
    np.testing.assert_allclose(dense, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sparse, expected, rtol=0, atol=1e-9)
