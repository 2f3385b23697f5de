"""Expected calibration error against independent loop implementations."""

from __future__ import annotations

import numpy as np
import pytest

import trustbench.metrics as tm
from trustbench.errors import TrustbenchError

ATOL = 1e-9


def _loop_ece(y, p, n_bins=15, w=None):
    """Direct per-bin loop: right-closed bins (e_b, e_b+1], a confidence of 0 in bin 0."""
    w = np.ones(y.shape[0]) if w is None else np.asarray(w, float)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    total = w.sum()
    ece = 0.0
    for b in range(n_bins):
        in_bin = (conf > edges[b]) & (conf <= edges[b + 1])
        if b == 0:
            in_bin |= conf == 0.0
        wb = w[in_bin].sum()
        if wb > 0:
            acc_b = np.sum(w[in_bin] * correct[in_bin]) / wb
            conf_b = np.sum(w[in_bin] * conf[in_bin]) / wb
            ece += wb / total * abs(acc_b - conf_b)
    return ece


def _torchmetrics_style_ece(y, p, n_bins=15):
    """Re-statement of torchmetrics' `_binning_bucketize` + l1 `_ce_compute` in numpy.

    torchmetrics (>= 1.0) computes ``indices = torch.bucketize(conf, edges, right=True) - 1``
    into ``n_bins + 1`` accumulators: left-closed bins [e_b, e_b+1) and a bin of its own for
    a confidence of exactly 1.0; then ``sum(|acc_bin - conf_bin| * count_bin / count)``.
    """
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.searchsorted(edges, conf, side="right") - 1
    count = np.bincount(idx, minlength=n_bins + 1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc_bin = np.nan_to_num(np.bincount(idx, correct, minlength=n_bins + 1) / count)
        conf_bin = np.nan_to_num(np.bincount(idx, conf, minlength=n_bins + 1) / count)
    return float(np.sum(np.abs(acc_bin - conf_bin) * count / count.sum()))


def _data(seed, k, n=300):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) * 2
    logits[np.arange(n), y] += 1.0
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return y, p


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_bins", [1, 5, 15])
def test_point_value_matches_loop_and_torchmetrics(k, seed, n_bins):
    y, p = _data(seed, k)
    value = tm.expected_calibration_error(y, p, n_bins=n_bins)
    assert type(value) is float
    assert value == pytest.approx(_loop_ece(y, p, n_bins), abs=ATOL)
    # Continuous confidences never sit exactly on an edge, so the conventions agree.
    assert value == pytest.approx(_torchmetrics_style_ece(y, p, n_bins), abs=ATOL)


@pytest.mark.parametrize("k", [2, 3])
def test_confidences_on_bin_edges_match_loop(k):
    # Confidences drawn from the bin edges of 5 bins (and 1.0), exactly as linspace makes them.
    rng = np.random.default_rng(k)
    n = 200
    edges = np.linspace(0.0, 1.0, 6)
    conf = rng.choice(edges[3:] if k == 2 else edges[2:], n)
    p = np.empty((n, k))
    p[:, 0] = conf
    p[:, 1:] = ((1 - conf) / (k - 1))[:, None]
    y = rng.integers(0, k, n)
    assert tm.expected_calibration_error(y, p, n_bins=5) == pytest.approx(
        _loop_ece(y, p, 5), abs=ATOL
    )


@pytest.mark.parametrize("k", [2, 3])
def test_weights_and_bootstrap_match_resampled_loop(k):
    y, p = _data(30 + k, k, n=120)
    w = np.random.default_rng(1).exponential(size=120)
    assert tm.expected_calibration_error(y, p, w) == pytest.approx(_loop_ece(y, p, 15, w), abs=ATOL)
    counts = tm.bootstrap_counts(120, 25, np.random.default_rng(2))
    values = tm.expected_calibration_error(y, p, counts, n_bins=10)
    assert values.shape == (25,)
    for b in range(25):
        idx = np.repeat(np.arange(120), counts[b])
        np.testing.assert_allclose(values[b], _loop_ece(y[idx], p[idx], 10), rtol=0, atol=ATOL)


def test_hand_computed_four_rows_right_closed_edges():
    # Two bins, edges 0, 0.5, 1. Confidences 0.5 (edge: lower bin), 0.8, 0.9, 0.6.
    p = np.array([[0.5, 0.5], [0.2, 0.8], [0.1, 0.9], [0.4, 0.6]])
    y = np.array([0, 1, 0, 1])  # correct, correct, wrong, correct
    # Bin 0: {row 0}: acc 1, conf 0.5 -> 1/4 * 0.5 = 0.125.
    # Bin 1: {1, 2, 3}: acc 2/3, conf 2.3/3 -> 3/4 * 0.1 = 0.075.
    assert tm.expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.2, abs=1e-12)
    # torchmetrics' left-closed bins put row 0 into the upper bin: |3/4 - 0.7| = 0.05.
    assert _torchmetrics_style_ece(y, p, n_bins=2) == pytest.approx(0.05, abs=1e-12)


def test_confidence_one_shares_the_top_bin():
    p = np.array([[1.0, 0.0], [0.05, 0.95]])
    y = np.array([0, 0])  # correct (conf 1.0), wrong (conf 0.95)
    # One top bin (0.9, 1]: acc 1/2, conf 0.975 -> 0.475.
    assert tm.expected_calibration_error(y, p, n_bins=10) == pytest.approx(0.475, abs=1e-12)
    # torchmetrics gives 1.0 a bin of its own: 1/2 * 0 + 1/2 * 0.95 = 0.475 as well here,
    # but not in general:
    y2 = np.array([1, 1])  # wrong (conf 1.0), correct (conf 0.95)
    assert tm.expected_calibration_error(y2, p, n_bins=10) == pytest.approx(0.475, abs=1e-12)
    assert _torchmetrics_style_ece(y2, p, n_bins=10) == pytest.approx(0.525, abs=1e-12)


def test_perfect_and_worst_calibration():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert tm.expected_calibration_error(np.array([0, 1]), p) == 0.0
    assert tm.expected_calibration_error(np.array([1, 0]), p) == pytest.approx(1.0, abs=1e-15)


def test_zero_weight_replicate_is_nan():
    y, p = _data(0, 3, n=10)
    out = tm.expected_calibration_error(y, p, np.vstack([np.ones(10), np.zeros(10)]))
    assert np.isfinite(out[0]) and np.isnan(out[1])


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True])
def test_bad_n_bins(n_bins):
    y, p = _data(0, 2, n=10)
    with pytest.raises(TrustbenchError):
        tm.expected_calibration_error(y, p, n_bins=n_bins)


def test_reliability_bins_agree_with_ece():
    from trustbench.metrics import expected_calibration_error, reliability_bins

    rng = np.random.default_rng(5)
    p1 = rng.random(300)
    proba = np.column_stack([1 - p1, p1])
    y = (rng.random(300) < p1).astype(int)
    conf, acc, count = reliability_bins(y, proba, n_bins=10)
    assert count.sum() == 300
    keep = count > 0
    ece = (count[keep] / 300 * np.abs(acc[keep] - conf[keep])).sum()
    assert ece == pytest.approx(expected_calibration_error(y, proba, n_bins=10), abs=1e-12)
    assert np.isnan(conf[~keep]).all()


# ----------------------------------------------------------------------------- adaptive and group ECE
def _loop_adaptive_ece(y, p, n_bins=15, w=None):
    """Independent adaptive ECE: lay the confidence-sorted rows end to end (row i an interval of
    length w_i) and cut [0, W] into n_bins equal stretches; a loop over bins and rows."""
    w = np.ones(y.shape[0]) if w is None else np.asarray(w, float)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    order = sorted(range(y.shape[0]), key=lambda i: (conf[i], i))
    total = w.sum()
    ece = 0.0
    for b in range(n_bins):
        lo, hi = total * b / n_bins, total * (b + 1) / n_bins
        start, gap = 0.0, 0.0
        for i in order:
            overlap = max(0.0, min(hi, start + w[i]) - max(lo, start))
            gap += overlap * (correct[i] - conf[i])
            start += w[i]
        ece += abs(gap)
    return ece / total


def _array_split_adaptive_ece(y, p, n_bins):
    """The usual implementation: np.array_split of the sorted rows into n_bins bins."""
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    order = np.argsort(conf, kind="stable")
    total = 0.0
    for rows in np.array_split(order, n_bins):
        if rows.size:
            total += rows.size * abs(correct[rows].mean() - conf[rows].mean())
    return total / y.shape[0]


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("n_bins", [1, 4, 10, 15])
def test_adaptive_ece_matches_loop_and_array_split(k, n_bins):
    y, p = _data(40 + k, k, n=120)
    value = tm.adaptive_calibration_error(y, p, n_bins=n_bins)
    assert type(value) is float
    assert value == pytest.approx(_loop_adaptive_ece(y, p, n_bins), abs=ATOL)
    assert value == pytest.approx(_array_split_adaptive_ece(y, p, n_bins), abs=ATOL)  # 120 % R == 0


def test_adaptive_ece_weights_and_bootstrap_match_resampled_rows():
    y, p = _data(7, 2, n=90)
    p = np.round(p, 1)  # ties in confidence
    p[:, 0] = 1 - p[:, 1]
    w = np.random.default_rng(3).exponential(size=90)
    assert tm.adaptive_calibration_error(y, p, w, n_bins=7) == pytest.approx(
        _loop_adaptive_ece(y, p, 7, w), abs=ATOL
    )
    counts = tm.bootstrap_counts(90, 20, np.random.default_rng(4))
    values = tm.adaptive_calibration_error(y, p, counts, n_bins=10)
    assert values.shape == (20,)
    for b in range(20):
        idx = np.repeat(np.arange(90), counts[b])
        np.testing.assert_allclose(
            values[b], _loop_adaptive_ece(y[idx], p[idx], 10), rtol=0, atol=ATOL
        )
        # 90 resampled rows in 10 bins: exactly the array_split bins of the resampled rows
        np.testing.assert_allclose(
            values[b], _array_split_adaptive_ece(y[idx], p[idx], 10), rtol=0, atol=ATOL
        )


def test_adaptive_ece_hand_computed():
    # Confidences 0.6, 0.7, 0.8, 0.9 (sorted), correct 0, 1, 1, 1; two bins of two rows.
    p = np.array([[0.4, 0.6], [0.3, 0.7], [0.2, 0.8], [0.1, 0.9]])
    y = np.array([0, 1, 1, 1])
    # bin 1: acc 1/2, conf 0.65 -> 2/4 * 0.15; bin 2: acc 1, conf 0.85 -> 2/4 * 0.15.
    assert tm.adaptive_calibration_error(y, p, n_bins=2) == pytest.approx(0.15, abs=1e-12)
    # Three bins of 4/3 rows (gaps a - c: -0.6, 0.3, 0.2, 0.1): bin 1 holds row 0 and 1/3 of
    # row 1, bin 2 the other 2/3 of row 1 and 2/3 of row 2, bin 3 the rest of row 2 and row 3.
    expected = (abs(-0.6 + 0.3 / 3) + abs(0.3 * 2 / 3 + 0.2 * 2 / 3) + abs(0.2 / 3 + 0.1)) / 4
    assert tm.adaptive_calibration_error(y, p, n_bins=3) == pytest.approx(expected, abs=1e-12)
    zero = tm.adaptive_calibration_error(y, p, np.vstack([np.ones(4), np.zeros(4)]))
    assert np.isfinite(zero[0]) and np.isnan(zero[1])
    with pytest.raises(TrustbenchError, match="n_bins"):
        tm.adaptive_calibration_error(y, p, n_bins=0)


def test_group_ece_and_difference_match_per_group_loop():
    rng = np.random.default_rng(9)
    y, p = _data(9, 2, n=200)
    groups = rng.choice(np.array(["x", "y", "z"]), 200)
    w = rng.exponential(size=200)
    labels, values = tm.group_calibration_error(y, p, groups, w, n_bins=10)
    expected = [_loop_ece(y[groups == g], p[groups == g], 10, w[groups == g]) for g in labels]
    np.testing.assert_allclose(values, expected, atol=ATOL)
    assert tm.ece_difference(y, p, groups, w, n_bins=10) == pytest.approx(
        max(expected) - min(expected), abs=ATOL
    )
    counts = tm.bootstrap_counts(200, 8, rng)
    counts[0, groups == "z"] = 0  # "z" absent from replicate 0
    _, batch = tm.group_calibration_error(y, p, groups, counts)
    gaps = tm.ece_difference(y, p, groups, counts)
    for b in range(8):
        idx = np.repeat(np.arange(200), counts[b])
        per = [
            _loop_ece(y[idx][groups[idx] == g], p[idx][groups[idx] == g])
            for g in labels
            if (groups[idx] == g).any()
        ]
        np.testing.assert_allclose(batch[b][np.isfinite(batch[b])], per, atol=ATOL)
        np.testing.assert_allclose(gaps[b], max(per) - min(per), atol=ATOL)
    assert np.isnan(batch[0, 2])
    assert np.isnan(tm.ece_difference(y, p, np.full(200, "only")))
