"""Performance metrics against scikit-learn, point values and bootstrap replicates."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm

import trustbench.metrics as tm
from trustbench.errors import TrustbenchError

ATOL = 1e-9


def _data(seed: int, k: int, n: int = 240):
    """Labels and probabilities with many tied scores (half from a small pool of rows)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    pool = rng.dirichlet(np.ones(k), 6)
    pool[0] = np.full(k, 1.0 / k)  # a row tied in argmax too
    continuous = rng.dirichlet(np.ones(k), n)
    # Make the model informative so AUC is far from 0.5.
    continuous[np.arange(n), y] += 1.0
    continuous /= continuous.sum(axis=1, keepdims=True)
    proba = np.where(rng.random((n, 1)) < 0.5, pool[rng.integers(0, 6, n)], continuous)
    return y, proba


def _ref_accuracy(y, p, w=None):
    return skm.accuracy_score(y, p.argmax(1), sample_weight=w)


def _ref_balanced_accuracy(y, p, w=None):
    return skm.balanced_accuracy_score(y, p.argmax(1), sample_weight=w)


def _ref_roc_auc(y, p, w=None):
    k = p.shape[1]
    try:
        if k == 2:
            return skm.roc_auc_score(y, p[:, 1], sample_weight=w)
        return skm.roc_auc_score(
            y, p, multi_class="ovr", average="macro", labels=list(range(k)), sample_weight=w
        )
    except ValueError:  # a class is missing: undefined
        return np.nan


def _ref_log_loss(y, p, w=None):
    return skm.log_loss(y, p, labels=list(range(p.shape[1])), sample_weight=w)


def _ref_brier(y, p, w=None):
    if p.shape[1] == 2:
        return skm.brier_score_loss(y, p[:, 1], sample_weight=w, pos_label=1)
    return skm.brier_score_loss(y, p, labels=list(range(p.shape[1])), sample_weight=w)


PAIRS = [
    (tm.accuracy, _ref_accuracy),
    (tm.balanced_accuracy, _ref_balanced_accuracy),
    (tm.roc_auc, _ref_roc_auc),
    (tm.log_loss, _ref_log_loss),
    (tm.brier, _ref_brier),
]
IDS = [f.__name__ for f, _ in PAIRS]


@pytest.mark.parametrize("fn, ref", PAIRS, ids=IDS)
@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_value_matches_sklearn(fn, ref, k, seed):
    y, p = _data(seed, k)
    value = fn(y, p)
    assert type(value) is float
    assert value == pytest.approx(ref(y, p), abs=ATOL)


@pytest.mark.parametrize("fn, ref", PAIRS, ids=IDS)
@pytest.mark.parametrize("k", [2, 3])
def test_row_weights_match_sample_weight(fn, ref, k):
    y, p = _data(10 + k, k)
    w = np.random.default_rng(5).exponential(size=y.shape[0])
    w[:10] = 0.0
    assert fn(y, p, w) == pytest.approx(ref(y, p, w), abs=ATOL)


@pytest.mark.parametrize("fn, ref", PAIRS, ids=IDS)
@pytest.mark.parametrize("k", [2, 3])
def test_bootstrap_rows_match_resampled_reference(fn, ref, k):
    y, p = _data(20 + k, k, n=90)
    counts = tm.bootstrap_counts(y.shape[0], 15, np.random.default_rng(k))
    values = fn(y, p, counts)
    assert values.shape == (15,)
    for b in range(counts.shape[0]):
        idx = np.repeat(np.arange(y.shape[0]), counts[b])
        np.testing.assert_allclose(values[b], ref(y[idx], p[idx]), rtol=0, atol=ATOL)


def test_roc_auc_single_class_replicate_is_nan():
    y = np.array([0, 0, 1, 1, 1])
    p1 = np.array([0.1, 0.4, 0.35, 0.8, 0.8])
    p = np.column_stack([1 - p1, p1])
    w = np.array([[1, 1, 1, 1, 1], [2, 3, 0, 0, 0], [0, 0, 1, 3, 1], [1, 0, 1, 0, 0]])
    out = tm.roc_auc(y, p, w)
    assert np.isnan(out[1]) and np.isnan(out[2])
    assert out[0] == pytest.approx(skm.roc_auc_score(y, p1), abs=ATOL)
    assert out[3] == 1.0  # positive 0.35 above negative 0.1
    assert np.isnan(tm.roc_auc(np.ones(3, int), np.full((3, 2), 0.5)))


def test_roc_auc_hand_computed_with_ties():
    # Positives score 0.8, 0.5; negatives 0.5, 0.2: pairs (>, >, =, >) -> 3.5 / 4.
    y = np.array([1, 1, 0, 0])
    p1 = np.array([0.8, 0.5, 0.5, 0.2])
    assert tm.roc_auc(y, np.column_stack([1 - p1, p1])) == pytest.approx(0.875, abs=1e-15)


def test_multiclass_roc_auc_missing_class_is_nan():
    y, p = _data(4, 3, n=60)
    w = (y != 2).astype(float)
    assert np.isnan(tm.roc_auc(y, p, w))
    assert np.isfinite(tm.accuracy(y, p, w))


def test_balanced_accuracy_skips_classes_without_weight():
    y = np.array([0, 0, 1, 1, 2])
    p = np.eye(3)[[0, 1, 1, 1, 2]] * 0.8 + 0.2 / 3
    # Class 2 has zero weight: mean of recalls of classes 0 (1/2) and 1 (1).
    w = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    assert tm.balanced_accuracy(y, p, w) == pytest.approx(0.75, abs=1e-15)
    assert tm.balanced_accuracy(y, p, w) == pytest.approx(
        skm.balanced_accuracy_score(y[:4], p[:4].argmax(1)), abs=1e-15
    )


def test_zero_total_weight_is_nan():
    y, p = _data(0, 3, n=20)
    for fn, _ in PAIRS:
        assert np.isnan(fn(y, p, np.zeros(20))), fn.__name__


def test_log_loss_clips_zero_probability():
    y = np.array([0, 1])
    p = np.array([[1.0, 0.0], [1.0, 0.0]])
    eps = np.finfo(np.float64).eps
    assert tm.log_loss(y, p) == pytest.approx(-np.log(eps) / 2, rel=1e-12)
    assert tm.log_loss(y, p) == pytest.approx(_ref_log_loss(y, p), abs=ATOL)


def test_brier_multiclass_is_unhalved_sum_and_binary_is_halved():
    # scikit-learn's documented multiclass example (its doctest prints 0.146...).
    y = np.array([0, 1, 2])
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]])
    assert tm.brier(y, p) == pytest.approx((0.06 + 0.14 + 0.24) / 3, abs=1e-12)
    assert tm.brier(y, p) == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    # Binary: the mean of (p1 - y)^2, half the two-class sum; sklearn agrees on (n, 2) input.
    y2 = np.array([0, 1, 1, 0])
    p1 = np.array([0.1, 0.9, 0.8, 0.3])
    p2 = np.column_stack([1 - p1, p1])
    assert tm.brier(y2, p2) == pytest.approx(0.0375, abs=1e-12)
    assert skm.brier_score_loss(y2, p2) == pytest.approx(0.0375, abs=1e-12)


@pytest.mark.parametrize(
    "y, p",
    [
        (np.array([0, 1]), np.array([0.3, 0.7])),  # 1-D proba
        (np.array([0, 1, 0]), np.full((2, 2), 0.5)),  # length mismatch
        (np.array([0, 2]), np.full((2, 2), 0.5)),  # label out of range
        (np.array([0.5, 1.0]), np.full((2, 2), 0.5)),  # non-integer label
        (np.array([0, 1]), np.array([[0.6, 0.6], [0.5, 0.5]])),  # rows do not sum to 1
        (np.array([0, 1]), np.array([[np.nan, 0.5], [0.5, 0.5]])),  # NaN
        (np.array(["a", "b"]), np.full((2, 2), 0.5)),  # string labels
    ],
)
def test_bad_inputs_raise(y, p):
    with pytest.raises(TrustbenchError):
        tm.accuracy(y, p)


def test_large_bootstrap_is_vectorised_and_fast():
    import time

    y, p = _data(9, 3, n=5000)
    counts = tm.bootstrap_counts(5000, 200, np.random.default_rng(0))
    start = time.perf_counter()
    auc = tm.roc_auc(y, p, counts)
    elapsed = time.perf_counter() - start
    assert auc.shape == (200,) and np.all(np.isfinite(auc))
    assert elapsed < 5.0
