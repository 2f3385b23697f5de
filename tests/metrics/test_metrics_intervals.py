"""The named interval methods against statsmodels and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr, ndtri
from statsmodels.stats.proportion import proportion_confint

from trustbench.errors import TrustbenchError
from trustbench.metrics import REGISTRY
from trustbench.metrics.intervals import (
    INTERVAL_METHODS,
    bc_interval,
    box_gap_interval,
    interval_of,
    jeffreys_interval,
    percentile_interval,
    recentred_interval,
)
from trustbench.metrics.spec import INTERVALS


def test_every_registered_method_is_defined_and_every_spec_names_one():
    assert set(INTERVALS) | {"box"} == set(INTERVAL_METHODS)
    assert {spec.interval for spec in REGISTRY} <= set(INTERVALS)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_jeffreys_matches_statsmodels_inside_and_is_zero_or_one_at_the_boundary(level):
    k = np.array([0, 1, 2, 3, 10, 19, 20, 35, 69, 70])
    n = np.array([20, 20, 20, 20, 20, 20, 20, 70, 70, 70])
    low, high = jeffreys_interval(k, n, level)
    ref_low, ref_high = proportion_confint(k, n, alpha=1 - level, method="jeffreys")
    inside = (k > 0) & (k < n)
    np.testing.assert_allclose(low[inside], ref_low[inside], atol=1e-12)
    np.testing.assert_allclose(high[inside], ref_high[inside], atol=1e-12)
    # Brown, Cai & DasGupta's boundary rule: the end at an impossible side is the bound itself
    assert np.all(low[k == 0] == 0.0) and np.all(high[k == n] == 1.0)
    np.testing.assert_allclose(high[k == 0], ref_high[k == 0], atol=1e-12)
    np.testing.assert_allclose(low[k == n], ref_low[k == n], atol=1e-12)


def test_jeffreys_never_collapses_with_zero_or_all_events():
    # the audit's case: a group TPR of 0/70 had the percentile bootstrap interval [0, 0]
    low, high = jeffreys_interval(0, 70)
    assert low == 0.0 and high == pytest.approx(0.03512, abs=1e-4)
    low, high = jeffreys_interval(2, 2)
    assert high == 1.0 and 0.2 < low < 0.5  # two of two positives found is weak evidence
    assert np.isnan(jeffreys_interval(0, 0)[0])
    with pytest.raises(TrustbenchError, match="0 <= k <= n"):
        jeffreys_interval(3, 2)


def test_bc_equals_percentile_when_replicates_centre_on_the_estimate():
    rng = np.random.default_rng(0)
    reps = rng.normal(size=4001)
    point = float(np.median(reps))
    assert bc_interval(point, reps) == pytest.approx(percentile_interval(reps), abs=1e-9)


def test_bc_hand_case_moves_the_interval_against_the_bias():
    reps = np.arange(1, 101, dtype=float)  # replicates 1..100, estimate below 30 of them
    point = 70.5
    z0 = ndtri(0.70)
    z = ndtri(0.975)
    expected = np.percentile(reps, 100 * ndtr(np.array([2 * z0 - z, 2 * z0 + z])))
    assert bc_interval(point, reps) == pytest.approx(tuple(expected), abs=1e-12)
    low, high = bc_interval(point, reps)
    p_low, p_high = percentile_interval(reps)
    assert low > p_low and high > p_high  # replicates below the estimate: interval moves up
    # every replicate on one side stays finite (z0 bounded by half a replicate)
    assert np.all(np.isfinite(bc_interval(200.0, reps)))
    assert bc_interval(float("nan"), reps) != bc_interval(float("nan"), reps)  # (nan, nan)


def test_recentred_is_the_percentile_interval_shifted_by_the_replicates_bias():
    reps = np.array([0.10, 0.12, 0.15, 0.11, 0.14, 0.13, np.nan])
    point = 0.09
    bias = np.nanmean(reps) - point
    expected = np.array(percentile_interval(reps)) - bias
    assert recentred_interval(point, reps) == pytest.approx(tuple(expected), abs=1e-12)


def test_box_interval_of_each_reduction_by_hand():
    lows = [np.array([0.0, 0.30, np.nan]), np.array([0.10, 0.20, 0.5])]
    highs = [np.array([0.05, 0.50, np.nan]), np.array([0.30, 0.40, 0.6])]
    # difference: [max(0, max lo - min hi), max hi - min lo]
    assert box_gap_interval("difference", lows[:1], highs[:1]) == pytest.approx((0.25, 0.50))
    # ratio: [min lo / max hi, min(1, min hi / max lo)]
    assert box_gap_interval("ratio", lows[:1], highs[:1]) == pytest.approx((0.0, 0.05 / 0.30))
    assert box_gap_interval("group_min", lows[1:], highs[1:]) == pytest.approx((0.10, 0.30))
    # two rates: the worse of the two (largest difference), or their mean
    both = box_gap_interval("difference", lows, highs)
    assert both == pytest.approx((max(0.25, 0.20), max(0.50, 0.50)))
    mean = box_gap_interval("difference", lows, highs, agg="mean")
    assert mean == pytest.approx(((0.25 + 0.20) / 2, (0.50 + 0.50) / 2))
    one_group = [np.array([0.1, np.nan])], [np.array([0.2, np.nan])]
    assert np.isnan(box_gap_interval("difference", *one_group)[0])


def test_interval_of_names_the_method_it_used():
    reps = np.linspace(0.6, 0.8, 201)
    assert interval_of("jeffreys", 0.7, reps, 0.95, denominator=100)[2] == "jeffreys"
    low, high, method = interval_of("jeffreys", 0.7, reps, 0.95)  # no denominator
    assert method == "percentile" and (low, high) == percentile_interval(reps)
    assert interval_of("jeffreys", 0.7, reps, 0.95, denominator=100)[:2] == pytest.approx(
        tuple(float(e) for e in jeffreys_interval(70, 100))
    )
    with pytest.raises(TrustbenchError, match="method must be one of"):
        interval_of("wald", 0.7, reps, 0.95)


def _exact_coverage(p: float, n_rows: int, prevalence: float, level: float = 0.95) -> float:
    """Exact coverage of the Jeffreys interval of a rate whose denominator is random
    (``Binomial(n_rows, prevalence)``, e.g. a group's positives), at true rate ``p``."""
    from scipy.stats import binom

    total = weight = 0.0
    for n in range(1, n_rows + 1):
        w = binom.pmf(n, n_rows, prevalence)
        k = np.arange(n + 1)
        low, high = jeffreys_interval(k, np.full(n + 1, n), level)
        total += w * np.sum(binom.pmf(k, n, p) * ((low <= p) & (p <= high)))
        weight += w
    return total / weight


@pytest.mark.parametrize(
    ("n_rows", "prevalence", "most"), [(30, 0.66, 0.98), (100, 0.5, 0.98), (10, 0.5, 0.981)]
)
def test_jeffreys_exact_coverage_stays_between_92_and_98_percent_for_every_rate(
    n_rows, prevalence, most
):
    # no simulation noise: the binomial probabilities of every outcome, for every true rate
    coverage = np.array(
        [_exact_coverage(p, n_rows, prevalence) for p in np.linspace(0.02, 0.98, 49)]
    )
    # (about five positives: up to 98.0%, the discreteness of so few patients)
    assert coverage.min() >= 0.92 and coverage.max() <= most
    assert abs(coverage.mean() - 0.95) < 0.012


def test_hull_holds_both_the_jeffreys_and_the_bootstrap_interval():
    # a rate re-thresholded in every replicate: 2 of 2 positives found at the point threshold,
    # every replicate finds them all too; the bootstrap alone says [1, 1]
    reps = np.ones(500)
    low, high, method = interval_of("hull", 1.0, reps, 0.95, denominator=2)
    assert method == "hull" and (low, high) == pytest.approx(
        (float(jeffreys_interval(2, 2)[0]), 1.0)
    )
    # replicates spread wider than the binomial noise: the hull takes their ends
    reps = np.linspace(0.2, 0.9, 701)
    low, high, _ = interval_of("hull", 0.6, reps, 0.95, denominator=1000)
    assert (low, high) == pytest.approx(percentile_interval(reps))


def _cells(counts: dict[tuple[int, int], int], group: str):
    y, pred = [], []
    for (label, predicted), n in counts.items():
        y += [label] * n
        pred += [predicted] * n
    return np.array(y), np.array(pred), np.array([group] * len(y))


def test_gap_of_a_tiny_group_gets_the_box_when_the_bootstrap_excludes_its_estimate():
    # a held-out hospital with 6 women (2 of 3 positives found, 1 of 3 negatives flagged)
    from trustbench.metrics.group_stats import group_stats, worst, worst_box_interval

    parts = [
        _cells({(0, 0): 2, (0, 1): 1, (1, 0): 1, (1, 1): 2}, "F"),
        _cells({(0, 0): 30, (0, 1): 18, (1, 0): 42, (1, 1): 104}, "M"),
    ]
    y, pred, sex = (np.concatenate(a) for a in zip(*parts, strict=True))
    proba = np.column_stack([1.0 - pred, pred]).astype(float)
    counts = np.random.default_rng(0).multinomial(len(y), np.full(len(y), 1 / len(y)), 1000)
    stats = group_stats(y, proba, sex, counts, 15, y_pred=pred, calibration=False)
    row = stats.gaps["equalized_odds_difference"]
    # the women's rates swing in every resample: the estimate sits below 97.5% of them, and the
    # bias-corrected interval leaves it out
    low, high = bc_interval(row[0], row[1:])
    assert not low <= row[0] <= high
    box = stats.box_interval("equalized_odds_difference", 0.95)
    assert box is not None and box[0] <= row[0] <= box[1]
    # the worst over attributes inherits it (one attribute here: the same gap)
    worst_row = worst([row], "target:0")
    assert worst_box_interval([stats], "equalized_odds_difference", "target:0", 0.95, worst_row)
