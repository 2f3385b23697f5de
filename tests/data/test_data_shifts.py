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
    X = pd.DataFrame({"a": [1.5, 2.25, np.nan, 4.0], "c": ["u", "v", "u", "v"]})
    train = pd.DataFrame({"a": [0.5, 2.0, 4.5, 6.0], "c": ["u"] * 4})
    features = [FeatureSpec("a", "continuous"), FeatureSpec("c", "categorical")]
    noisy = S.gaussian_noise(X, train, features, 0.5, seed=3)
    again = S.gaussian_noise(X, train, features, 0.5, seed=3)
    pd.testing.assert_frame_equal(noisy, again)
    assert noisy["c"].tolist() == X["c"].tolist()
    assert np.isnan(noisy["a"][2])
    expected = np.random.default_rng([3, 7919]).normal(size=4) * 0.5 * train["a"].std()
    clipped = np.clip(X["a"] + expected, 0.5, 6.0)  # the range seen in train and X
    np.testing.assert_allclose(noisy["a"][[0, 1, 3]], clipped[[0, 1, 3]])
    pd.testing.assert_frame_equal(S.gaussian_noise(X, train, features, 0.0, 3), X)


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        ([0.0, 1.0, 1.0, np.nan], "levels"),  # a 0/1 code stored as numbers
        (np.arange(10.0), "levels"),  # 10 integer values: still coded levels
        (np.arange(11.0), "count"),  # 11: a count
        ([0.5, 1.0, 1.0], "continuous"),
        ([np.nan, np.nan], "levels"),  # no value: nothing to perturb
    ],
)
def test_numeric_scale_rule(values, scale):
    assert S.numeric_scale(values) == scale


def test_noise_leaves_coded_levels_and_keeps_counts_and_ranges_valid():
    rng = np.random.default_rng(0)
    n = 400

    def table(k):
        return pd.DataFrame(
            {
                "sex": rng.integers(0, 2, k).astype(float),
                "grade": rng.integers(1, 6, k).astype(float),
                "cigs": np.where(rng.random(k) < 0.6, 0, rng.integers(1, 41, k)).astype(float),
                "bmi": rng.gamma(20.0, 1.3, k),
            }
        )

    train, X = table(n), table(200)
    features = [FeatureSpec(c, "continuous") for c in train.columns]
    assert S.noise_scales(train, features) == {
        "sex": "levels",
        "grade": "levels",
        "cigs": "count",
        "bmi": "continuous",
    }
    noisy = S.gaussian_noise(X, train, features, 2.0, seed=1)
    assert noisy["sex"].equals(X["sex"]) and set(noisy["sex"]) <= {0.0, 1.0}
    assert noisy["grade"].equals(X["grade"])
    cigs = noisy["cigs"].to_numpy()
    assert np.array_equal(cigs, np.round(cigs)) and (cigs != X["cigs"]).mean() > 0.5
    assert cigs.min() >= 0 and cigs.max() <= max(train["cigs"].max(), X["cigs"].max())
    low = min(train["bmi"].min(), X["bmi"].min())
    high = max(train["bmi"].max(), X["bmi"].max())
    assert noisy["bmi"].between(low, high).all() and (noisy["bmi"] != X["bmi"]).all()
