"""Synthetic shifts: the weights move what they say they move, and bad input is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustbench.data import shifts as S
from trustbench.data.task import FeatureSpec
from trustbench.errors import DataError


@pytest.mark.parametrize("severity", [-1.0, 0.5, 1.0, 2.0])
def test_covariate_tilt_moves_a_gaussian_mean_by_severity_sds(severity):
    x = np.random.default_rng(0).normal(3.0, 2.0, 200_000)
    w = S.covariate_shift_weights(x, severity)
    assert w.mean() == pytest.approx(1.0)
    assert (w > 0).all()
    z = (x - x.mean()) / x.std()
    assert np.average(z, weights=w) == pytest.approx(severity, abs=0.03)
    assert np.sqrt(np.average((z - severity) ** 2, weights=w)) == pytest.approx(1.0, abs=0.03)


def test_covariate_weights_hand_computed_and_missing_values():
    x = np.array([-1.0, 1.0, np.nan])  # mean 0, std 1; NaN counts as z = 0
    w = S.covariate_shift_weights(x, 1.0)
    raw = np.exp([-1.0, 1.0, 0.0])
    np.testing.assert_allclose(w, raw / raw.mean())
    np.testing.assert_allclose(S.covariate_shift_weights(x, 0.0), 1.0)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.array([2.0, 2.0, 2.0]), "constant"),
        (np.array([np.nan, np.nan]), "no finite value"),
        (np.array(["a", "b"], dtype=object), "numeric"),
    ],
)
def test_covariate_bad_feature(x, message):
    with pytest.raises(DataError, match=message):
        S.covariate_shift_weights(x, 1.0)


@pytest.mark.parametrize("severity", [-2.0, 0.0, 0.5, 2.0])
def test_label_shift_moves_the_log_odds_exactly(severity):
    y = np.array([1] * 30 + [0] * 70)
    w = S.label_shift_weights(y, severity)
    assert w.mean() == pytest.approx(1.0)
    shifted = np.average(y, weights=w)
    logit = np.log(shifted / (1 - shifted))
    assert logit == pytest.approx(np.log(0.3 / 0.7) + severity, abs=1e-12)
    # P(x | y) unchanged: every row of a class gets the same weight
    assert np.ptp(w[y == 1]) == 0 and np.ptp(w[y == 0]) == 0


def test_label_shift_multiclass_and_missing_class():
    y = np.array([0, 0, 1, 1, 2, 2])
    prior = S.shifted_prior(np.full(3, 1 / 3), 1.0)
    np.testing.assert_allclose(prior, np.exp([0, 0.5, 1.0]) / np.exp([0, 0.5, 1.0]).sum())
    w = S.label_shift_weights(y, 1.0)
    np.testing.assert_allclose(np.bincount(y, weights=w) / w.sum(), prior)
    with pytest.raises(DataError, match=r"no row of class index \[1\]"):
        S.label_shift_weights(np.array([0, 0, 2]), 1.0, n_classes=3)
    with pytest.raises(DataError, match="finite"):
        S.label_shift_weights(y, float("nan"))


def test_weighted_sample_is_a_selection_with_those_probabilities():
    w = np.array([1.0, 3.0])
    rows = S.weighted_sample(w, 40_000, np.random.default_rng(1))
    assert rows.mean() == pytest.approx(0.75, abs=0.01)
    assert S.effective_sample_size(np.ones(10)) == 10
    assert S.effective_sample_size(np.array([1.0, 0.0, 0.0])) == 1


def test_gaussian_noise_only_on_continuous_features():
    X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "c": ["u", "v", "u", "v"]})
    train = pd.DataFrame({"a": [0.0, 2.0, 4.0, 6.0], "c": ["u"] * 4})
    features = [FeatureSpec("a", "continuous"), FeatureSpec("c", "categorical")]
    noisy = S.gaussian_noise(X, train, features, 0.5, seed=3)
    again = S.gaussian_noise(X, train, features, 0.5, seed=3)
    pd.testing.assert_frame_equal(noisy, again)
    assert noisy["c"].tolist() == X["c"].tolist()
    assert np.isnan(noisy["a"][2])
    expected = np.random.default_rng([3, 7919]).normal(size=4) * 0.5 * train["a"].std()
    np.testing.assert_allclose((noisy["a"] - X["a"])[[0, 1, 3]], expected[[0, 1, 3]])
    pd.testing.assert_frame_equal(S.gaussian_noise(X, train, features, 0.0, 3), X)
