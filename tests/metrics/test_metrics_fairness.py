"""Fairness metrics against fairlearn, point values, weights and bootstrap replicates."""

from __future__ import annotations

import warnings

import fairlearn.metrics as flm
import numpy as np
import pytest
import sklearn.metrics as skm

import trustbench.metrics as tm
from trustbench.errors import TrustbenchError

ATOL = 1e-9


def _data(seed: int, n: int = 300, labels=("a", "b", "c")):
    rng = np.random.default_rng(seed)
    groups = rng.choice(np.array(labels), n, p=[0.5, 0.3, 0.2][: len(labels)])
    y = rng.integers(0, 2, n)
    bias = np.select([groups == labels[0], groups == labels[1]], [0.2, -0.1], 0.0)
    y_pred = (rng.random(n) < 0.3 + 0.4 * y + bias).astype(int)
    return y, y_pred, groups


def _fl(fn, y, y_pred, groups, w=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fn(y, y_pred, sensitive_features=groups, sample_weight=w))


def _fl_worst_group_accuracy(y, y_pred, groups, w=None):
    frame = flm.MetricFrame(
        metrics=skm.accuracy_score,
        y_true=y,
        y_pred=y_pred,
        sensitive_features=groups,
        sample_params={"sample_weight": w},
    )
    return float(frame.group_min())


REFERENCES = {
    "demographic_parity_difference": lambda *a: _fl(flm.demographic_parity_difference, *a),
    "demographic_parity_ratio": lambda *a: _fl(flm.demographic_parity_ratio, *a),
    "equalized_odds_difference": lambda *a: _fl(flm.equalized_odds_difference, *a),
    "equal_opportunity_difference": lambda *a: _fl(flm.equal_opportunity_difference, *a),
    "worst_group_accuracy": _fl_worst_group_accuracy,
}
NAMES = sorted(REFERENCES)


def _ours(name):
    return getattr(tm, name)


def _restricted(fn, y, y_pred, groups, need):
    """fairlearn ``fn`` on the groups holding a row with ``y == need`` (all groups if None)."""
    keep = np.ones(y.shape[0], dtype=bool)
    if need is not None:
        for g in np.unique(groups):
            if not np.any(y[groups == g] == need):
                keep &= groups != g
    if np.unique(groups[keep]).shape[0] < 2:
        return np.nan
    return fn(y[keep], y_pred[keep], groups[keep])


def _reference_on_rows(name, y, y_pred, groups):
    """fairlearn on explicit rows, restricted to the groups where our metric is defined.

    Groups absent from the rows are absent for fairlearn too; for a TPR (FPR) comparison we
    also drop groups without positives (negatives), which fairlearn would score as rate 0.
    Fewer than 2 groups left: NaN.
    """
    if name == "equal_opportunity_difference":
        return _restricted(REFERENCES[name], y, y_pred, groups, need=1)
    if name == "equalized_odds_difference":
        tpr_diff = _restricted(
            lambda *a: _fl(flm.true_positive_rate_difference, *a), y, y_pred, groups, need=1
        )
        fpr_diff = _restricted(
            lambda *a: _fl(flm.false_positive_rate_difference, *a), y, y_pred, groups, need=0
        )
        return max(tpr_diff, fpr_diff) if np.isfinite(tpr_diff + fpr_diff) else np.nan
    return _restricted(REFERENCES[name], y, y_pred, groups, need=None)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_value_matches_fairlearn(name, seed):
    y, y_pred, groups = _data(seed)
    value = _ours(name)(y, y_pred, groups)
    assert type(value) is float
    assert value == pytest.approx(REFERENCES[name](y, y_pred, groups), abs=ATOL)


@pytest.mark.parametrize("name", NAMES)
def test_integer_group_labels(name):
    y, y_pred, groups = _data(5, labels=(3, 7, 11))
    value = _ours(name)(y, y_pred, groups)
    assert value == pytest.approx(REFERENCES[name](y, y_pred, groups), abs=ATOL)


@pytest.mark.parametrize("name", NAMES)
def test_row_weights_match_sample_weight(name):
    y, y_pred, groups = _data(7)
    w = np.random.default_rng(0).exponential(size=y.shape[0])
    assert _ours(name)(y, y_pred, groups, w) == pytest.approx(
        REFERENCES[name](y, y_pred, groups, w), abs=ATOL
    )


@pytest.mark.parametrize("name", NAMES)
def test_bootstrap_rows_match_resampled_reference(name):
    # Group "c" is tiny, so some replicates lose it or its positives.
    rng = np.random.default_rng(3)
    y, y_pred, groups = _data(3, n=80)
    c_rows = np.flatnonzero(groups == "c")
    keep_c = c_rows[:3]
    drop = np.setdiff1d(c_rows, keep_c)
    y, y_pred, groups = np.delete(y, drop), np.delete(y_pred, drop), np.delete(groups, drop)
    y[keep_c[:2]] = [1, 0]  # make "c" hold both classes
    n = y.shape[0]
    counts = tm.bootstrap_counts(n, 12, rng)
    counts[0, groups == "c"] = 0  # "c" absent
    counts[1, (groups == "c") & (y == 1)] = 0  # "c" present without positives
    counts[2, groups != "a"] = 0  # only one group left
    values = _ours(name)(y, y_pred, groups, counts)
    assert values.shape == (12,)
    for b in range(12):
        idx = np.repeat(np.arange(n), counts[b])
        expected = _reference_on_rows(name, y[idx], y_pred[idx], groups[idx])
        np.testing.assert_allclose(values[b], expected, rtol=0, atol=ATOL, err_msg=str(b))
    assert np.isnan(values[2])


def test_group_rates_match_fairlearn_per_group():
    y, y_pred, groups = _data(11)
    w = np.random.default_rng(1).integers(0, 3, y.shape[0]).astype(float)
    rates = tm.group_rates(y, y_pred, groups, w)
    frame = flm.MetricFrame(
        metrics={
            "selection_rate": flm.selection_rate,
            "tpr": flm.true_positive_rate,
            "fpr": flm.false_positive_rate,
            "accuracy": skm.accuracy_score,
        },
        y_true=y,
        y_pred=y_pred,
        sensitive_features=groups,
        sample_params={
            key: {"sample_weight": w} for key in ("selection_rate", "tpr", "fpr", "accuracy")
        },
    )
    by_group = frame.by_group
    np.testing.assert_array_equal(rates.labels, np.array(["a", "b", "c"]))
    for field in ("selection_rate", "tpr", "fpr", "accuracy"):
        expected = by_group[field].loc[list(rates.labels)].to_numpy(dtype=float)
        np.testing.assert_allclose(getattr(rates, field), expected, rtol=0, atol=ATOL)
    np.testing.assert_allclose(rates.size, [w[groups == g].sum() for g in rates.labels])
    np.testing.assert_allclose(
        rates.positives, [w[(groups == g) & (y == 1)].sum() for g in rates.labels]
    )
    batch = tm.group_rates(y, y_pred, groups, np.vstack([w, w, np.zeros_like(w)]))
    assert batch.tpr.shape == (3, 3)
    np.testing.assert_allclose(batch.tpr[1], rates.tpr, atol=1e-15)
    assert np.all(np.isnan(batch.selection_rate[2]))


def test_group_accuracy():
    y = np.array([1, 0, 1, 1, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 0, 0])
    groups = np.array(["x", "x", "y", "y", "y", "z"])
    labels, values = tm.group_accuracy(y, y_pred, groups)
    np.testing.assert_array_equal(labels, ["x", "y", "z"])
    np.testing.assert_allclose(values, [0.5, 2 / 3, 1.0])
    assert tm.worst_group_accuracy(y, y_pred, groups) == pytest.approx(0.5)
    labels, batch = tm.group_accuracy(y, y_pred, groups, np.array([[1, 1, 1, 1, 1, 0]] * 2))
    assert batch.shape == (2, 3)
    assert np.isnan(batch[0, 2])


def test_demographic_parity_hand_computed():
    y = np.array([1, 0, 1, 0])
    y_pred = np.array([1, 0, 0, 0])
    groups = np.array(["a", "a", "b", "b"])
    assert tm.demographic_parity_difference(y, y_pred, groups) == 0.5
    assert tm.demographic_parity_ratio(y, y_pred, groups) == 0.0
    # Weight row 1 three times: group a selects 1 of 4 -> 0.25.
    w = np.array([1, 3, 1, 1])
    assert tm.demographic_parity_difference(y, y_pred, groups, w) == 0.25
    # Nobody selected anywhere: ratio 0/0 is undefined (fairlearn also returns NaN).
    zeros = np.zeros(4, dtype=int)
    assert tm.demographic_parity_difference(y, zeros, groups) == 0.0
    assert np.isnan(tm.demographic_parity_ratio(y, zeros, groups))
    assert np.isnan(_fl(flm.demographic_parity_ratio, y, zeros, groups))


def test_group_without_positives_is_left_out_of_tpr_comparisons():
    # Group "b" has no positives. Its FPR is defined, its TPR is not.
    y = np.array([1, 1, 0, 0, 0, 0, 0, 1, 1, 0])
    y_pred = np.array([1, 0, 0, 1, 1, 0, 0, 1, 1, 0])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "c", "c", "c"])
    rates = tm.group_rates(y, y_pred, groups)
    assert np.isnan(rates.tpr[1])
    # TPR: a 1/2, c 1 -> 0.5; FPR: a 1/2, b 1/3, c 0 -> 0.5.
    assert tm.equal_opportunity_difference(y, y_pred, groups) == pytest.approx(0.5)
    assert tm.equalized_odds_difference(y, y_pred, groups) == pytest.approx(0.5)
    # fairlearn scores b's TPR as 0 instead, and finds a TPR spread of 1.
    assert _fl(flm.equal_opportunity_difference, y, y_pred, groups) == pytest.approx(1.0)
    assert _fl(flm.equalized_odds_difference, y, y_pred, groups) == pytest.approx(1.0)
    # With only one group holding positives the TPR spread is undefined.
    keep = groups != "c"
    assert np.isnan(tm.equal_opportunity_difference(y[keep], y_pred[keep], groups[keep]))
    assert np.isnan(tm.equalized_odds_difference(y[keep], y_pred[keep], groups[keep]))
    assert tm.demographic_parity_difference(y[keep], y_pred[keep], groups[keep]) == pytest.approx(
        0.5 - 1 / 3
    )


def test_fewer_than_two_groups_is_nan():
    y, y_pred, groups = _data(0, n=50)
    one = np.full(50, "only")
    for name in NAMES:
        assert np.isnan(_ours(name)(y, y_pred, one)), name
    # fairlearn reports 0.0 for a single group.
    assert _fl(flm.demographic_parity_difference, y, y_pred, one) == 0.0
    # A group with zero weight is left out: here only "a" keeps weight.
    w = (groups == "a").astype(float)
    for name in NAMES:
        assert np.isnan(_ours(name)(y, y_pred, groups, w)), name


def test_absent_group_is_skipped():
    y, y_pred, groups = _data(4)
    w = (groups != "b").astype(float)
    keep = groups != "b"
    for name in NAMES:
        assert _ours(name)(y, y_pred, groups, w) == pytest.approx(
            REFERENCES[name](y[keep], y_pred[keep], groups[keep]), abs=ATOL
        ), name


@pytest.mark.parametrize(
    "y, y_pred, groups",
    [
        (np.array([0, 2]), np.array([0, 1]), np.array(["a", "b"])),
        (np.array([0, 1]), np.array([0, 0.5]), np.array(["a", "b"])),
        (np.array([0, 1]), np.array([0, 1, 1]), np.array(["a", "b"])),
        (np.array([0, 1]), np.array([0, 1]), np.array(["a", "b", "c"])),
    ],
)
def test_bad_inputs_raise(y, y_pred, groups):
    with pytest.raises(TrustbenchError):
        tm.demographic_parity_difference(y, y_pred, groups)


def test_many_groups_match_fairlearn():
    # 60 groups: the per-group sums take the sparse one-hot path.
    rng = np.random.default_rng(12)
    n = 3000
    groups = rng.integers(0, 60, n)
    y = rng.integers(0, 2, n)
    y_pred = (rng.random(n) < 0.3 + 0.4 * y + 0.004 * groups).astype(int)
    for name in NAMES:
        assert _ours(name)(y, y_pred, groups) == pytest.approx(
            REFERENCES[name](y, y_pred, groups), abs=ATOL
        ), name


# ----------------------------------------------------------------------------- issue 3 additions
def _fl_kw(fn, **kw):
    def call(y, y_pred, groups, w=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(fn(y, y_pred, sensitive_features=groups, sample_weight=w, **kw))

    return call


MORE = {
    "equalized_odds_difference_mean": (
        lambda *a: tm.equalized_odds_difference(*a, agg="mean"),
        _fl_kw(flm.equalized_odds_difference, agg="mean"),
    ),
    "equalized_odds_ratio": (tm.equalized_odds_ratio, _fl_kw(flm.equalized_odds_ratio)),
    "equalized_odds_ratio_mean": (
        lambda *a: tm.equalized_odds_ratio(*a, agg="mean"),
        _fl_kw(flm.equalized_odds_ratio, agg="mean"),
    ),
    "equal_opportunity_ratio": (tm.equal_opportunity_ratio, _fl_kw(flm.equal_opportunity_ratio)),
    "accuracy_score_difference": (
        tm.accuracy_score_difference,
        _fl_kw(flm.accuracy_score_difference),
    ),
    "accuracy_score_group_min": (
        tm.accuracy_score_group_min,
        _fl_kw(flm.accuracy_score_group_min),
    ),
}


@pytest.mark.parametrize("name", sorted(MORE))
@pytest.mark.parametrize("seed", [0, 1])
def test_fairlearn_named_metrics_match_fairlearn(name, seed):
    ours, reference = MORE[name]
    y, y_pred, groups = _data(seed)
    value = ours(y, y_pred, groups)
    assert type(value) is float
    assert value == pytest.approx(reference(y, y_pred, groups), abs=ATOL)
    w = np.random.default_rng(seed).exponential(size=y.shape[0])
    assert ours(y, y_pred, groups, w) == pytest.approx(reference(y, y_pred, groups, w), abs=ATOL)


@pytest.mark.parametrize("name", sorted(MORE))
def test_fairlearn_named_metrics_replicates_match_resampled_fairlearn(name):
    # Large groups holding both classes: every replicate keeps every rate defined, where the
    # definitions of trustbench and fairlearn agree.
    ours, reference = MORE[name]
    y, y_pred, groups = _data(21, n=400)
    counts = tm.bootstrap_counts(y.shape[0], 8, np.random.default_rng(4))
    values = ours(y, y_pred, groups, counts)
    assert values.shape == (8,)
    for b in range(8):
        idx = np.repeat(np.arange(y.shape[0]), counts[b])
        for g in np.unique(groups):
            assert len(np.unique(y[idx][groups[idx] == g])) == 2  # the precondition
        expected = reference(y[idx], y_pred[idx], groups[idx])
        np.testing.assert_allclose(values[b], expected, rtol=0, atol=ATOL, err_msg=str(b))


def test_rate_gaps_equal_the_functions():
    y, y_pred, groups = _data(8)
    counts = tm.bootstrap_counts(y.shape[0], 20, np.random.default_rng(0))
    gaps = tm.rate_gaps(tm.group_rates(y, y_pred, groups, counts))
    functions = {
        "demographic_parity_difference": tm.demographic_parity_difference,
        "demographic_parity_ratio": tm.demographic_parity_ratio,
        "equalized_odds_difference": tm.equalized_odds_difference,
        "equal_opportunity_difference": tm.equal_opportunity_difference,
        "accuracy_score_group_min": tm.worst_group_accuracy,
        **{name: ours for name, (ours, _) in MORE.items()},
    }
    assert set(functions) == set(gaps)
    for name, fn in functions.items():
        np.testing.assert_allclose(gaps[name], fn(y, y_pred, groups, counts), atol=0, err_msg=name)


def test_group_rates_fnr_and_precision_match_metricframe():
    y, y_pred, groups = _data(13)
    w = np.random.default_rng(2).integers(0, 3, y.shape[0]).astype(float)
    rates = tm.group_rates(y, y_pred, groups, w)
    frame = flm.MetricFrame(
        metrics={"fnr": flm.false_negative_rate, "precision": skm.precision_score},
        y_true=y,
        y_pred=y_pred,
        sensitive_features=groups,
        sample_params={"fnr": {"sample_weight": w}, "precision": {"sample_weight": w}},
    )
    by_group = frame.by_group.loc[list(rates.labels)]
    np.testing.assert_allclose(rates.fnr, by_group["fnr"].to_numpy(float), atol=ATOL)
    np.testing.assert_allclose(rates.precision, by_group["precision"].to_numpy(float), atol=ATOL)
    np.testing.assert_allclose(
        rates.negatives, [w[(groups == g) & (y == 0)].sum() for g in rates.labels]
    )


def test_prediction_matrix_equals_one_call_per_row():
    y, _, groups = _data(9, n=150)
    rng = np.random.default_rng(5)
    preds = (rng.random((6, 150)) < 0.5).astype(int)
    counts = tm.bootstrap_counts(150, 6, rng)
    for fn in (tm.equalized_odds_difference, tm.demographic_parity_ratio, tm.worst_group_accuracy):
        batch = fn(y, preds, groups, counts)
        unweighted = fn(y, preds, groups)
        assert batch.shape == unweighted.shape == (6,)
        for b in range(6):
            assert batch[b] == pytest.approx(fn(y, preds[b], groups, counts[b]), abs=1e-12)
            assert unweighted[b] == pytest.approx(fn(y, preds[b], groups), abs=1e-12)
    with pytest.raises(TrustbenchError, match="needs weights of shape"):
        tm.demographic_parity_difference(y, preds, groups, counts[:4])


def test_unknown_agg_names_the_choices():
    y, y_pred, groups = _data(0, n=40)
    with pytest.raises(TrustbenchError, match=r"agg must be one of \['worst_case', 'mean'\]"):
        tm.equalized_odds_ratio(y, y_pred, groups, agg="max")


def test_ratios_hand_computed_and_undefined():
    # a: TPR 1/2, FPR 1/2; b: TPR 1, FPR 1/4.
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0])
    y_pred = np.array([1, 0, 1, 0, 1, 1, 0, 0, 0])
    groups = np.array(["a"] * 4 + ["b"] * 5)
    assert tm.equalized_odds_ratio(y, y_pred, groups) == pytest.approx(0.5)
    assert tm.equalized_odds_ratio(y, y_pred, groups, agg="mean") == pytest.approx(0.5)
    assert tm.equal_opportunity_ratio(y, y_pred, groups) == pytest.approx(0.5)
    assert tm.equalized_odds_difference(y, y_pred, groups, agg="mean") == pytest.approx(0.375)
    # accuracy: a 2/4, b 4/5
    assert tm.accuracy_score_difference(y, y_pred, groups) == pytest.approx(0.3)
    assert tm.accuracy_score_group_min(y, y_pred, groups) == pytest.approx(0.5)
    # Nobody with y=0 predicted positive anywhere: the FPR ratio is 0/0, so the ratio is NaN.
    no_fp = np.where(y == 0, 0, y_pred)
    assert np.isnan(tm.equalized_odds_ratio(y, no_fp, groups))


def test_group_roc_auc_matches_sklearn_and_resampled_rows():
    rng = np.random.default_rng(6)
    n = 240
    groups = rng.choice(np.array(["a", "b", "c"]), n)
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1), 2)  # ties
    w = rng.exponential(size=n)
    labels, values = tm.group_roc_auc(y, score, groups, w)
    expected = [
        skm.roc_auc_score(y[groups == g], score[groups == g], sample_weight=w[groups == g])
        for g in labels
    ]
    np.testing.assert_allclose(values, expected, atol=ATOL)
    counts = tm.bootstrap_counts(n, 10, rng)
    _, batch = tm.group_roc_auc(y, score, groups, counts)
    assert batch.shape == (10, 3)
    for b in range(10):
        idx = np.repeat(np.arange(n), counts[b])
        for k, g in enumerate(labels):
            rows = idx[groups[idx] == g]
            np.testing.assert_allclose(
                batch[b, k], skm.roc_auc_score(y[rows], score[rows]), atol=ATOL
            )
    one_class = np.where(groups == "c", 1, y)
    _, values = tm.group_roc_auc(one_class, score, groups)
    assert np.isnan(values[2]) and np.isfinite(values[:2]).all()


def _threshold_reference(y, score, target):
    """Direct search: the largest positive score whose sensitivity reaches the target."""
    pos = score[y == 1]
    if pos.size == 0:
        return np.nan
    ok = [t for t in np.unique(pos) if np.mean(pos >= t) >= target - 1e-12]
    return max(ok)


@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95, 1.0])
def test_threshold_at_sensitivity_matches_direct_search(target):
    rng = np.random.default_rng(int(target * 100))
    n = 150
    y = rng.integers(0, 2, n)
    score = np.round(rng.random(n) * 0.6 + 0.3 * y, 2)
    t = tm.threshold_at_sensitivity(y, score, target)
    assert t == _threshold_reference(y, score, target)
    assert np.mean(score[y == 1] >= t) >= target - 1e-12
    above = score[y == 1][score[y == 1] > t]
    assert above.size / (y == 1).sum() < target  # no larger threshold reaches the target
    counts = tm.bootstrap_counts(n, 12, rng)
    reps = tm.threshold_at_sensitivity(y, score, target, counts)
    for b in range(12):
        idx = np.repeat(np.arange(n), counts[b])
        assert reps[b] == _threshold_reference(y[idx], score[idx], target), b


def test_specificity_matches_sklearn_and_takes_one_prediction_row_per_replicate():
    rng = np.random.default_rng(5)
    n = 80
    y = rng.integers(0, 2, n)
    y_pred = rng.integers(0, 2, n)
    w = rng.random(n)
    expected = skm.recall_score(y, y_pred, pos_label=0, sample_weight=w)
    assert tm.specificity(y, y_pred, w) == pytest.approx(expected, abs=1e-12)
    assert tm.specificity(y, y_pred) == pytest.approx(skm.recall_score(y, y_pred, pos_label=0))
    counts = tm.bootstrap_counts(n, 6, rng)
    score = rng.random(n)
    thresholds = rng.random(6)
    reps = tm.specificity(y, tm.predict_at_threshold(score, thresholds), counts)
    for b in range(6):
        idx = np.repeat(np.arange(n), counts[b])
        direct = skm.recall_score(y[idx], score[idx] >= thresholds[b], pos_label=0)
        assert reps[b] == pytest.approx(direct, abs=1e-12), b
    assert tm.specificity(y, np.vstack([y_pred, 1 - y_pred])).shape == (2,)
    assert np.isnan(tm.specificity(np.ones(4, int), np.zeros(4, int)))
    with pytest.raises(TrustbenchError, match="y_pred"):
        tm.specificity(y, y_pred[:-1])


def test_threshold_hand_computed_and_edge_cases():
    y = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    score = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.9, 0.1])
    # 9 of 10 positives are needed: the 9th largest positive score is 0.3.
    assert tm.threshold_at_sensitivity(y, score, 0.9) == 0.3
    assert tm.threshold_at_sensitivity(y, score, 0.85) == 0.3
    assert tm.threshold_at_sensitivity(y, score, 0.8) == 0.4
    np.testing.assert_array_equal(tm.predict_at_threshold(score, 0.3), score >= 0.3)
    assert np.isnan(tm.threshold_at_sensitivity(np.zeros(4, int), np.ones(4) / 2, 0.9))
    batch = tm.threshold_at_sensitivity(y, score, 0.9, np.vstack([np.ones(12), (y == 0) * 1.0]))
    assert batch[0] == 0.3 and np.isnan(batch[1])
    assert tm.predict_at_threshold(score, batch).shape == (2, 12)
    for bad in (0, 1.5, -0.1, True):
        with pytest.raises(TrustbenchError, match="target sensitivity"):
            tm.threshold_at_sensitivity(y, score, bad)


def test_gaps_at_operating_point_match_fairlearn_on_resampled_rows():
    # The threshold is re-chosen on every replicate's rows, then fairlearn scores the
    # thresholded predictions of those rows.
    rng = np.random.default_rng(17)
    n = 300
    groups = rng.choice(np.array(["a", "b"]), n)
    y = rng.integers(0, 2, n)
    score = np.clip(0.4 * y + 0.5 * rng.random(n) + 0.1 * (groups == "a"), 0, 1)
    counts = tm.bootstrap_counts(n, 10, rng)
    thresholds = tm.threshold_at_sensitivity(y, score, 0.9, counts)
    preds = tm.predict_at_threshold(score, thresholds)
    values = tm.equalized_odds_difference(y, preds, groups, counts)
    for b in range(10):
        idx = np.repeat(np.arange(n), counts[b])
        t = _threshold_reference(y[idx], score[idx], 0.9)
        expected = _fl(
            flm.equalized_odds_difference, y[idx], (score[idx] >= t).astype(int), groups[idx]
        )
        np.testing.assert_allclose(values[b], expected, atol=ATOL)


def test_soft_rates_are_fairlearn_rates_averaged_over_the_randomized_draws():
    """q = P(yhat = 1) of a randomized classifier: group_rates(soft=True) equals fairlearn's
    MetricFrame averaged over predictions drawn from q (Monte Carlo, within 5 standard errors)."""
    rng = np.random.default_rng(5)
    y, _, groups = _data(21, n=240)
    q = np.clip(rng.beta(0.6, 0.6, y.shape[0]) + 0.2 * y, 0.0, 1.0)
    w = rng.integers(1, 4, y.shape[0]).astype(float)
    rates = tm.group_rates(y, q, groups, w, soft=True)
    metrics = {
        "selection_rate": flm.selection_rate,
        "tpr": flm.true_positive_rate,
        "fpr": flm.false_positive_rate,
        "accuracy": skm.accuracy_score,
    }
    draws = []
    for _ in range(120):
        frame = flm.MetricFrame(
            metrics=metrics,
            y_true=y,
            y_pred=(rng.random(y.shape[0]) < q).astype(int),
            sensitive_features=groups,
            sample_params={key: {"sample_weight": w} for key in metrics},
        )
        draws.append(frame.by_group.loc[list(rates.labels), list(metrics)].to_numpy(float))
    draws = np.stack(draws)  # (draws, G, metrics)
    mean, se = draws.mean(axis=0), draws.std(axis=0) / np.sqrt(draws.shape[0])
    for k, field in enumerate(metrics):
        ours = getattr(rates, field)
        assert np.all(np.abs(ours - mean[:, k]) <= 5 * se[:, k] + 1e-12), field
    # the hard path is the soft path at q in {0, 1}
    hard = (q > 0.5).astype(int)
    for field in metrics:
        np.testing.assert_allclose(
            getattr(tm.group_rates(y, hard, groups, w, soft=True), field),
            getattr(tm.group_rates(y, hard, groups, w), field),
            atol=1e-15,
        )


def test_soft_rates_and_gaps_hand_computed():
    y = np.array([1, 1, 0, 1, 0])
    q = np.array([0.5, 1.0, 0.25, 0.2, 0.6])
    groups = np.array(["a", "a", "a", "b", "b"])
    rates = tm.group_rates(y, q, groups, np.ones((1, 5)), soft=True)
    np.testing.assert_allclose(rates.selection_rate[0], [1.75 / 3, 0.4])
    np.testing.assert_allclose(rates.tpr[0], [0.75, 0.2])
    np.testing.assert_allclose(rates.fpr[0], [0.25, 0.6])
    np.testing.assert_allclose(rates.fnr[0], [0.25, 0.8])
    np.testing.assert_allclose(rates.accuracy[0], [(0.5 + 1.0 + 0.75) / 3, (0.2 + 0.4) / 2])
    np.testing.assert_allclose(rates.precision[0], [1.5 / 1.75, 0.2 / 0.8])  # ratio of sums
    gaps = tm.rate_gaps(rates)
    assert gaps["equalized_odds_difference"][0] == pytest.approx(0.55)
    assert gaps["demographic_parity_difference"][0] == pytest.approx(1.75 / 3 - 0.4)
    with pytest.raises(TrustbenchError, match=r"must lie in \[0, 1\]; received 1 value"):
        tm.group_rates(y, np.array([0.5, 1.2, 0, 0, 0]), groups, soft=True)
    with pytest.raises(TrustbenchError, match="must hold only 0 and 1"):
        tm.group_rates(y, q, groups)  # soft predictions need soft=True
