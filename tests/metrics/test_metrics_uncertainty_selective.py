"""Selective prediction: AURC and E-AURC by hand, the oracle by brute force, rates at a coverage,
bootstrap replicates equal to the resampled rows, and an informative confidence beating a
random one."""

from __future__ import annotations

import numpy as np
import pytest

from trustbench.metrics import uncertainty_selective as S
from trustbench.metrics.weights import bootstrap_counts


def test_aurc_and_excess_aurc_of_a_hand_computed_case():
    confidence = np.array([0.9, 0.8, 0.7, 0.6])
    error = np.array([0, 1, 0, 1])
    # risks of the 1, 2, 3, 4 most confident rows: 0, 1/2, 1/3, 2/4
    assert S.aurc(confidence, error) == pytest.approx((0 + 1 / 2 + 1 / 3 + 2 / 4) / 4)
    # oracle: both correct rows first, then the errors: 0, 0, 1/3, 2/4
    assert S.oracle_aurc(error) == pytest.approx((1 / 3 + 2 / 4) / 4)
    assert S.excess_aurc(confidence, error) == pytest.approx((1 / 2) / 4)
    coverage, risk = S.risk_coverage_curve(confidence, error)
    np.testing.assert_allclose(coverage, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(risk, [0, 1 / 2, 1 / 3, 1 / 2])


def test_tied_confidences_are_answered_together():
    # the two rows at 0.9 cannot be separated by a threshold: both get the risk 1/2
    confidence = np.array([0.9, 0.9, 0.7, 0.6])
    error = np.array([0, 1, 0, 1])
    assert S.aurc(confidence, error) == pytest.approx((2 * (1 / 2) + 1 / 3 + 2 / 4) / 4)
    # an uninformative confidence (everything tied) scores its error rate
    assert S.aurc(np.full(4, 0.5), error) == pytest.approx(0.5)


def _oracle_by_sorting(error, weights):
    rows = np.repeat(np.arange(len(error)), weights)
    e = np.sort(error[rows])  # correct rows first
    return float(np.mean(np.cumsum(e) / np.arange(1, len(e) + 1)))


def test_oracle_equals_the_sorted_order_and_lower_bounds_aurc():
    rng = np.random.default_rng(0)
    error = (rng.random(40) < 0.3).astype(float)
    confidence = rng.random(40)
    counts = bootstrap_counts(40, 20, rng)
    oracle = S.oracle_aurc(error, counts)
    for b in range(20):
        assert oracle[b] == pytest.approx(_oracle_by_sorting(error, counts[b]), abs=1e-12)
    assert np.all(S.excess_aurc(confidence, error, counts) >= -1e-12)


def test_bootstrap_replicates_equal_the_resampled_rows():
    rng = np.random.default_rng(1)
    confidence = np.round(rng.random(60), 1)  # ties between different rows too
    error = (rng.random(60) < 0.25).astype(float)
    y = rng.integers(0, 2, 60)
    y_pred = np.where(error == 1, 1 - y, y)
    counts = bootstrap_counts(60, 8, rng)
    group = rng.random(60) < 0.4
    rows_aurc = S.aurc(confidence, error, counts)
    rows_excess = S.excess_aurc(confidence, error, counts)
    rates = S.selective_rates(y, y_pred, confidence, 0.8, counts, rows=group)
    for b in range(8):
        r = np.repeat(np.arange(60), counts[b])
        assert rows_aurc[b] == pytest.approx(S.aurc(confidence[r], error[r]), abs=1e-12)
        assert rows_excess[b] == pytest.approx(S.excess_aurc(confidence[r], error[r]), abs=1e-12)
        plain = S.selective_rates(y[r], y_pred[r], confidence[r], 0.8, rows=group[r])
        for key in ("accuracy", "sensitivity", "retained"):
            assert rates[key][b] == pytest.approx(plain[key], abs=1e-12, nan_ok=True), key


def test_rates_at_a_coverage_answer_the_most_confident_share():
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.55, 0.52, 0.51, 0.5])
    y = np.array([1, 1, 0, 1, 0, 1, 0, 1, 1, 0])
    y_pred = np.array([1, 1, 0, 0, 0, 1, 1, 0, 1, 1])  # wrong at 0.8, 0.55, 0.52 and 0.5
    at_half = S.selective_rates(y, y_pred, confidence, 0.5)
    assert at_half["accuracy"] == pytest.approx(4 / 5)
    assert at_half["sensitivity"] == pytest.approx(2 / 3)  # positives answered: 0.99, 0.95, 0.8
    assert at_half["retained"] == pytest.approx(0.5)
    # 0.25 of 10 rows: the two most confident and half of the third
    np.testing.assert_allclose(S.selected_fraction(confidence, 0.25), [1, 1, 0.5] + [0] * 7)
    # a group's rates come from the threshold every row gets
    group = np.arange(10) >= 3
    assert S.selective_rates(y, y_pred, confidence, 0.5, rows=group)["retained"] == pytest.approx(
        2 / 7
    )


def test_an_informative_confidence_beats_a_random_one():
    rng = np.random.default_rng(0)
    n = 2000
    confidence = rng.uniform(0.5, 1.0, n)
    error = (rng.random(n) > confidence).astype(float)  # calibrated: P(error) = 1 - confidence
    random = rng.permutation(confidence)
    assert S.aurc(confidence, error) < S.aurc(random, error) - 0.05
    assert S.excess_aurc(confidence, error) < S.excess_aurc(random, error)
    assert S.aurc(random, error) == pytest.approx(error.mean(), abs=0.03)
