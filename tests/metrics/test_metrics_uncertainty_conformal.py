"""Split conformal sets against MAPIE 1.6 (same fitted model, same calibration and test rows),
on resampled rows, and the textbook behaviours: the finite-sample bound, Mondrian calibration
closing a group's coverage gap, and coverage falling under shift."""

from __future__ import annotations

import numpy as np
import pytest
from mapie.classification import SplitConformalClassifier
from mapie.metrics.classification import (
    classification_coverage_score,
    classification_mean_width_score,
)
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from trustbench.metrics import uncertainty_conformal as C
from trustbench.metrics.weights import bootstrap_counts

SEED = 7  # MAPIE's random_state: APS draws its calibration uniforms from RandomState(SEED)


class ZeroUniforms(np.random.RandomState):
    """A RandomState whose uniforms are 0: MAPIE's APS calibration score without randomisation."""

    def uniform(self, low=0.0, high=1.0, size=None):
        return np.zeros(size)


@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(
        n_samples=1500, n_features=8, n_informative=5, n_classes=4, n_clusters_per_class=1,
        flip_y=0.1, random_state=0,
    )  # fmt: skip
    group = np.where(X[:, 0] > 0.3, "a", "b")
    model = LogisticRegression(max_iter=1000).fit(X[:600], y[:600])
    cal, test = slice(600, 900), slice(900, None)
    return {
        "model": model,
        "X_cal": X[cal], "y_cal": y[cal], "p_cal": model.predict_proba(X[cal]), "g_cal": group[cal],
        "X": X[test], "y": y[test], "p": model.predict_proba(X[test]), "g": group[test],
    }  # fmt: skip


def _mapie(d, method, level, rows=slice(None), random_state=SEED):
    mapie = SplitConformalClassifier(
        d["model"], confidence_level=level, conformity_score=method, prefit=True,
        random_state=random_state,
    ).conformalize(d["X_cal"][rows], d["y_cal"][rows])  # fmt: skip
    sets = mapie.predict_set(d["X"])[1][:, :, 0]
    return sets, mapie._mapie_classifier.conformity_score_function_.quantiles_[0]


def _uniforms(method, n, random_state=SEED):
    if method != "aps":
        return None
    if isinstance(random_state, np.random.RandomState):
        return random_state.uniform(size=n)
    return np.random.RandomState(random_state).uniform(size=n)


@pytest.mark.parametrize("method", ["lac", "aps"])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_sets_coverage_and_size_equal_mapie(fitted, method, level):
    d = fitted
    sets, quantile = _mapie(d, method, level)
    ours = C.split_conformal(
        d["p_cal"], d["y_cal"], d["p"], d["y"], level, method, u=_uniforms(method, len(d["y_cal"]))
    )
    assert ours["threshold"] == pytest.approx(quantile, abs=1e-12)
    np.testing.assert_array_equal(C.set_membership(d["p"], ours["threshold"], method), sets)
    assert ours["coverage"] == pytest.approx(
        classification_coverage_score(d["y"], sets)[0], abs=1e-9
    )
    assert ours["set_size"] == pytest.approx(classification_mean_width_score(sets), abs=1e-9)


@pytest.mark.parametrize("method", ["lac", "aps"])
def test_per_group_coverage_of_the_marginal_sets_equals_mapie_on_the_group(fitted, method):
    d = fitted
    sets, _ = _mapie(d, method, 0.9)
    q = C.conformal_quantile(
        C.conformity_scores(d["p_cal"], d["y_cal"], method, _uniforms(method, len(d["y_cal"]))), 0.9
    )
    covered, size = C.coverage_and_size(d["p"], d["y"], [q], method)
    ones = np.ones((1, len(d["y"])))
    for g in ("a", "b"):
        rows = d["g"] == g
        assert C.group_means(covered, ones, rows)[0] == pytest.approx(
            classification_coverage_score(d["y"][rows], sets[rows])[0], abs=1e-9
        )
        assert C.group_means(size, ones, rows)[0] == pytest.approx(
            classification_mean_width_score(sets[rows]), abs=1e-9
        )


@pytest.mark.parametrize("method", ["lac", "aps"])
def test_mondrian_equals_one_mapie_predictor_per_group(fitted, method):
    d = fitted
    u = np.zeros(len(d["y_cal"]))
    for g in ("a", "b"):  # MAPIE draws each group's uniforms afresh from RandomState(SEED)
        u[d["g_cal"] == g] = _uniforms("aps", int((d["g_cal"] == g).sum()))
    scores = C.conformity_scores(d["p_cal"], d["y_cal"], method, u if method == "aps" else None)
    thresholds = C.mondrian_thresholds(scores, d["g_cal"], d["g"], 0.9)
    covered, size = C.coverage_and_size(d["p"], d["y"], thresholds[None], method)
    for g in ("a", "b"):
        rows = d["g"] == g
        sets, quantile = _mapie(d, method, 0.9, rows=d["g_cal"] == g)
        assert thresholds[rows][0] == pytest.approx(quantile, abs=1e-12)
        assert covered[0, rows].mean() == pytest.approx(
            classification_coverage_score(d["y"][rows], sets[rows])[0], abs=1e-9
        )
        assert size[0, rows].mean() == pytest.approx(
            classification_mean_width_score(sets[rows]), abs=1e-9
        )


def test_aps_without_randomisation_equals_mapie_with_zero_uniforms(fitted):
    d = fitted
    sets, quantile = _mapie(d, "aps", 0.9, random_state=ZeroUniforms(0))
    ours = C.split_conformal(d["p_cal"], d["y_cal"], d["p"], d["y"], 0.9, "aps")
    assert ours["threshold"] == pytest.approx(quantile, abs=1e-12)
    np.testing.assert_array_equal(C.set_membership(d["p"], ours["threshold"], "aps"), sets)


def test_too_few_calibration_rows_give_full_sets():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=20)
    y = rng.integers(0, 3, 20)
    assert C.min_calibration_size(0.9) == 9
    assert np.isfinite(C.conformal_quantile(C.conformity_scores(p[:9], y[:9]), 0.9))
    q = C.conformal_quantile(C.conformity_scores(p[:8], y[:8]), 0.9)
    assert q == np.inf
    for method in ("lac", "aps"):
        assert C.set_membership(p, q, method).all()


def test_bootstrap_replicates_equal_the_resampled_rows(fitted):
    d = fitted
    rng = np.random.default_rng(1)
    cal_w = bootstrap_counts(len(d["y_cal"]), 5, rng)
    w = bootstrap_counts(len(d["y"]), 5, rng)
    u = rng.uniform(size=len(d["y_cal"]))
    for method in ("lac", "aps"):
        rows = C.split_conformal(
            d["p_cal"], d["y_cal"], d["p"], d["y"], 0.9, method, u=u,
            calibration_weights=cal_w, weights=w,
        )  # fmt: skip
        for b in range(5):
            ci, ti = (
                np.repeat(np.arange(len(d["y_cal"])), cal_w[b]),
                np.repeat(np.arange(len(d["y"])), w[b]),
            )
            plain = C.split_conformal(
                d["p_cal"][ci], d["y_cal"][ci], d["p"][ti], d["y"][ti], 0.9, method, u=u[ci]
            )
            for key in ("coverage", "set_size", "threshold"):
                assert rows[key][b] == pytest.approx(plain[key], abs=1e-12), (method, key)


def _labels(p, rng):
    """Labels drawn from the probabilities themselves: the model is calibrated."""
    return (rng.random((len(p), 1)) > np.cumsum(p, axis=1)).sum(axis=1)


def test_marginal_coverage_lies_within_the_finite_sample_bound():
    """Averaged over many calibration draws, 1 - alpha <= coverage <= 1 - alpha + 1/(n + 1)."""
    rng = np.random.default_rng(0)
    n, m, seeds, level = 24, 400, 1500, 0.9
    p = rng.dirichlet(np.full(3, 0.7), size=(seeds, n + m))
    y = _labels(p.reshape(-1, 3), rng).reshape(seeds, n + m)
    scores = 1.0 - np.take_along_axis(p, y[..., None], axis=2)[..., 0]  # LAC, continuous
    q = np.array([C.conformal_quantile(s[:n], level) for s in scores])
    coverage = (scores[:, n:] <= q[:, None] + C.EPSILON).mean(axis=1)
    spread = 3 * coverage.std() / np.sqrt(seeds)
    assert level - spread <= coverage.mean() <= level + 1 / (n + 1) + spread
    # the expected coverage of a draw is exactly k / (n + 1), k = ceil((n + 1)(1 - alpha)) = 23
    assert coverage.mean() == pytest.approx(23 / 25, abs=spread)


def _hard_group_task(rng, n):
    """Group b's labels are noisier than its (shared) probabilities say."""
    p1 = rng.uniform(0.05, 0.95, n)
    proba = np.column_stack([1 - p1, p1])
    group = np.where(rng.random(n) < 0.3, "b", "a")
    y = (rng.random(n) < p1).astype(int)
    flip = (group == "b") & (rng.random(n) < 0.35)
    return proba, np.where(flip, 1 - y, y), group


def test_mondrian_closes_the_coverage_gap_marginal_calibration_leaves():
    rng = np.random.default_rng(0)
    p_cal, y_cal, g_cal = _hard_group_task(rng, 3000)
    p, y, g = _hard_group_task(rng, 6000)
    scores = C.conformity_scores(p_cal, y_cal, "lac")
    marginal = C.conformal_quantile(scores, 0.9)
    mondrian = C.mondrian_thresholds(scores, g_cal, g, 0.9)
    cov_marginal, _ = C.coverage_and_size(p, y, [marginal], "lac")
    cov_mondrian, _ = C.coverage_and_size(p, y, mondrian[None], "lac")
    hard = g == "b"
    assert cov_marginal[0, hard].mean() < 0.85  # marginal sets under-cover the hard group
    assert cov_mondrian[0, hard].mean() == pytest.approx(0.9, abs=0.02)
    assert cov_mondrian[0, ~hard].mean() == pytest.approx(0.9, abs=0.02)


def test_coverage_falls_on_a_strongly_shifted_split():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=4000)
    y = _labels(p, rng)
    shifted_y = (y + 1) % 3  # the same inputs, labels moved: what the model knew no longer holds
    cal, rest = slice(0, 1000), slice(1000, None)
    in_dist = C.split_conformal(p[cal], y[cal], p[rest], y[rest], 0.9)
    shifted = C.split_conformal(p[cal], y[cal], p[rest], shifted_y[rest], 0.9)
    assert in_dist["coverage"] == pytest.approx(0.9, abs=0.02)
    assert shifted["coverage"] < 0.7
