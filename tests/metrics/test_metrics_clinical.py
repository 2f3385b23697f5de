"""Clinical metrics against scikit-learn and statsmodels: the confusion-matrix rates, AUPRC,
prevalence, the no-skill baselines, net benefit and the decision curve, and the logistic
recalibration slope and intercept, on point values, row weights and bootstrap replicates."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
import statsmodels.api as sm
from sklearn.dummy import DummyClassifier
from sklearn.preprocessing import label_binarize

import trustbench.metrics as tm
from trustbench.errors import TrustbenchError
from trustbench.metrics import clinical as K
from trustbench.metrics import recalibration as R
from trustbench.metrics.performance import auprc
from trustbench.metrics.weights import bootstrap_counts, stacked


def _cohort(seed: int = 0, n: int = 400, prevalence: float = 0.3):
    """Binary labels, informative scores with ties (a third rounded to 0.1) and weights."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    score = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.4 * y - 0.8)))
    score[: n // 3] = np.round(score[: n // 3], 1)
    weights = rng.integers(0, 4, n).astype(float)
    return y, score, weights


def _replicates(n: int, b: int = 5, seed: int = 1) -> np.ndarray:
    return bootstrap_counts(n, b, np.random.default_rng(seed))


RATES = {
    "sensitivity": lambda y, p, w: skm.recall_score(y, p, sample_weight=w),
    "specificity": lambda y, p, w: skm.recall_score(y, p, pos_label=0, sample_weight=w),
    "ppv": lambda y, p, w: skm.precision_score(y, p, sample_weight=w),
    "npv": lambda y, p, w: skm.precision_score(y, p, pos_label=0, sample_weight=w),
}


@pytest.mark.parametrize("name", list(RATES))
def test_rates_equal_scikit_learn_on_points_weights_and_replicates(name):
    fn, ref = getattr(K, name), RATES[name]
    y, score, w = _cohort()
    pred = (score >= 0.5).astype(int)
    assert fn(y, pred) == pytest.approx(ref(y, pred, None), abs=1e-12)
    assert fn(y, pred, w) == pytest.approx(ref(y, pred, w), abs=1e-12)
    counts = _replicates(len(y))
    rows = fn(y, pred, counts)
    assert rows.shape == (5,)
    for b in range(5):
        assert rows[b] == pytest.approx(ref(y, pred, counts[b]), abs=1e-12)
    # one prediction vector per replicate (an operating point re-chosen per replicate)
    thresholds = np.array([0.3, 0.5, 0.6, 0.7, 0.4])
    per_row = (score[None, :] >= thresholds[:, None]).astype(int)
    rows = fn(y, per_row, counts)
    for b in range(5):
        assert rows[b] == pytest.approx(ref(y, per_row[b], counts[b]), abs=1e-12)


def test_rates_are_undefined_without_their_denominator():
    y = np.array([0, 0, 0, 0])
    pred = np.array([0, 0, 0, 0])
    assert np.isnan(K.sensitivity(y, pred)) and np.isnan(K.ppv(y, pred))
    assert K.specificity(y, pred) == 1.0 and K.npv(y, pred) == 1.0
    assert np.isnan(K.npv(np.array([0, 1]), np.array([1, 1])))


def test_rates_refuse_bad_predictions():
    with pytest.raises(TrustbenchError, match="y_pred must hold only 0 and 1"):
        K.sensitivity(np.array([0, 1]), np.array([0.2, 0.7]))
    with pytest.raises(TrustbenchError, match=r"y_pred must have shape \(2,\)"):
        K.ppv(np.array([0, 1]), np.array([0, 1, 1]))
    with pytest.raises(TrustbenchError, match="only 0 and 1"):
        K.npv(np.array([0, 2]), np.array([0, 1]))


def test_fairness_specificity_is_the_clinical_one():
    assert tm.specificity is K.specificity


def test_denominators_count_the_rows_each_rate_divides_by():
    y = np.array([1, 1, 0, 0, 0])
    pred = np.array([1, 0, 1, 1, 0])
    got = K.denominators(y, pred)
    assert got == {
        "rows": 5,
        "positives": 2,
        "negatives": 3,
        "predicted_positives": 3,
        "predicted_negatives": 2,
    }
    tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    assert K.ppv(y, pred) * got[K.DENOMINATORS["ppv"]] == pytest.approx(tp)
    assert K.npv(y, pred) * got[K.DENOMINATORS["npv"]] == pytest.approx(tn)
    assert K.specificity(y, pred) * got[K.DENOMINATORS["specificity"]] == pytest.approx(tn)
    assert got["negatives"] == tn + fp and got["positives"] == tp + fn


def test_prevalence_and_no_skill_accuracy_equal_a_most_frequent_dummy():
    y, _, w = _cohort(prevalence=0.76)
    assert K.prevalence(y) == pytest.approx(y.mean())
    assert K.prevalence(y, w) == pytest.approx(np.average(y, weights=w))
    X = np.zeros((len(y), 1))
    for weights in (None, w):
        dummy = DummyClassifier(strategy="most_frequent").fit(X, y, sample_weight=weights)
        expected = skm.accuracy_score(y, dummy.predict(X), sample_weight=weights)
        assert K.no_skill_accuracy(y, 2, weights) == pytest.approx(expected, abs=1e-12)
    prev = K.prevalence(y)
    assert K.no_skill_accuracy(y, 2) == pytest.approx(max(prev, 1 - prev))
    counts = _replicates(len(y))
    rows = K.no_skill_accuracy(y, 2, counts)
    for b in range(5):
        share = np.average(y, weights=counts[b])
        assert rows[b] == pytest.approx(max(share, 1 - share), abs=1e-12)
    three = np.array([0, 1, 2, 2, 2, 1])
    assert K.no_skill_accuracy(three, 3) == pytest.approx(0.5)
    with pytest.raises(TrustbenchError, match=r"class indices in 0\.\.1"):
        K.no_skill_accuracy(three, 2)


def test_net_benefit_hand_computed_case():
    # 10 patients, 4 with the disease; treating 5 of whom 3 have it, at pt = 0.2 (odds 1/4):
    # NB = 3/10 - 2/10 * 1/4 = 0.25; treat all: 0.4 - 0.6/4 = 0.25; treat none: 0.
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    treated = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    assert K.net_benefit(y, treated, 0.2) == pytest.approx(0.25)
    assert K.treat_all_net_benefit(y, 0.2) == pytest.approx(0.25)
    # at pt = 0.5 (odds 1): 3/10 - 2/10 = 0.1; treat all: 0.4 - 0.6 = -0.2
    assert K.net_benefit(y, treated, 0.5) == pytest.approx(0.1)
    assert K.treat_all_net_benefit(y, 0.5) == pytest.approx(-0.2)
    assert K.net_benefit(y, np.zeros(10, int), 0.3) == 0.0  # treating nobody
    with pytest.raises(TrustbenchError, match=r"threshold probability must lie in \(0, 1\)"):
        K.net_benefit(y, treated, 1.0)


def test_net_benefit_equals_the_weighted_confusion_matrix():
    y, score, w = _cohort(seed=3)
    pt = 0.3
    treated = (score >= pt).astype(int)
    counts = _replicates(len(y))
    rows = K.net_benefit(y, treated, pt, counts)
    for b, weights in enumerate([w, *counts]):
        tn, fp, fn, tp = skm.confusion_matrix(y, treated, sample_weight=weights).ravel()
        total = tn + fp + fn + tp
        expected = tp / total - fp / total * pt / (1 - pt)
        got = K.net_benefit(y, treated, pt, w) if b == 0 else rows[b - 1]
        assert got == pytest.approx(expected, abs=1e-12)


def test_decision_curve_columns_are_net_benefits():
    y, score, _ = _cohort(seed=4)
    grid = np.array([0.05, 0.2, 0.5, 0.8])
    model, treat_all = K.decision_curve(y, score, grid)
    for j, pt in enumerate(grid):
        treated = (score >= pt).astype(int)
        assert model[j] == pytest.approx(K.net_benefit(y, treated, pt), abs=1e-12)
        assert treat_all[j] == pytest.approx(K.treat_all_net_benefit(y, pt), abs=1e-12)
    counts = _replicates(len(y))
    model, treat_all = K.decision_curve(y, score, grid, counts)
    assert model.shape == treat_all.shape == (5, 4)
    treated = (score >= grid[2]).astype(int)
    np.testing.assert_allclose(model[:, 2], K.net_benefit(y, treated, 0.5, counts), atol=1e-12)


def test_net_benefit_at_one_half_advantage_is_the_accuracy_advantage():
    """At pt = 0.5 the advantage over max(treat all, treat none) equals accuracy's over always
    predicting the majority class: TP/n - FP/n - max(2 prev - 1, 0) both."""
    y, score, _ = _cohort(seed=5, prevalence=0.6)
    proba = np.column_stack([1 - score, score])
    pred = proba.argmax(axis=1)
    weights = stacked(_replicates(len(y), b=20))
    nb = K.net_benefit(y, pred, 0.5, weights) - np.maximum(
        K.treat_all_net_benefit(y, 0.5, weights), 0
    )
    acc = tm.accuracy(y, proba, weights) - K.no_skill_accuracy(y, 2, weights)
    np.testing.assert_allclose(nb, acc, atol=1e-12)


def test_auprc_equals_average_precision_score():
    y, score, w = _cohort(seed=6)
    proba = np.column_stack([1 - score, score])
    assert auprc(y, proba) == pytest.approx(skm.average_precision_score(y, score), abs=1e-12)
    assert auprc(y, proba, w) == pytest.approx(
        skm.average_precision_score(y, score, sample_weight=w), abs=1e-12
    )
    counts = _replicates(len(y))
    rows = auprc(y, proba, counts)
    for b in range(5):
        expected = skm.average_precision_score(y, score, sample_weight=counts[b])
        assert rows[b] == pytest.approx(expected, abs=1e-12)
    assert np.isnan(auprc(np.zeros(4, int), np.full((4, 2), 0.5)))


def test_auprc_multiclass_is_the_macro_mean():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 300)
    proba = rng.dirichlet(np.ones(3), 300)
    proba[np.arange(300), y] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    w = rng.integers(1, 4, 300).astype(float)
    onehot = label_binarize(y, classes=[0, 1, 2])
    expected = skm.average_precision_score(onehot, proba, average="macro", sample_weight=w)
    assert auprc(y, proba, w) == pytest.approx(expected, abs=1e-12)


def _statsmodels(y, o, w, slope: bool) -> float:
    if slope:
        fit = sm.GLM(y, sm.add_constant(o), family=sm.families.Binomial(), freq_weights=w)
        return float(fit.fit(tol=1e-13).params[1])
    fit = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=o, freq_weights=w)
    return float(fit.fit(tol=1e-13).params[0])


@pytest.mark.parametrize("slope", [True, False])
def test_recalibration_equals_statsmodels(slope):
    y, score, w = _cohort(seed=8, n=500)
    score = np.clip(score**1.5, 0, 1)  # miscalibrated on purpose
    proba = np.column_stack([1 - score, score])
    fn = R.calibration_slope if slope else R.calibration_intercept
    o = R.logit(score)
    assert fn(y, proba) == pytest.approx(_statsmodels(y, o, np.ones(len(y)), slope), abs=1e-6)
    assert fn(y, proba, w) == pytest.approx(_statsmodels(y, o, w, slope), abs=1e-6)
    counts = _replicates(len(y), b=6)
    rows = fn(y, proba, counts)
    assert rows.shape == (6,)
    for b in range(6):
        assert rows[b] == pytest.approx(_statsmodels(y, o, counts[b], slope), abs=1e-6)


def test_recalibration_of_a_calibrated_model_and_of_overconfident_risks():
    rng = np.random.default_rng(9)
    risk = rng.uniform(0.05, 0.95, 20000)
    y = (rng.random(20000) < risk).astype(int)
    calibrated = np.column_stack([1 - risk, risk])
    assert R.calibration_slope(y, calibrated) == pytest.approx(1.0, abs=0.08)
    assert R.calibration_intercept(y, calibrated) == pytest.approx(0.0, abs=0.05)
    extreme = 1 / (1 + np.exp(-2 * R.logit(risk)))  # logits doubled: too extreme
    assert R.calibration_slope(y, np.column_stack([1 - extreme, extreme])) == pytest.approx(
        0.5, abs=0.04
    )
    high = 1 / (1 + np.exp(-(R.logit(risk) + 1)))  # risks overestimated by one logit
    assert R.calibration_intercept(y, np.column_stack([1 - high, high])) == pytest.approx(
        -1.0, abs=0.06
    )


def test_recalibration_is_undefined_for_one_class_or_separation():
    score = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    proba = np.column_stack([1 - score, score])
    assert np.isnan(R.calibration_slope(np.array([0, 0, 0, 1, 1, 1]), proba))  # separated
    assert np.isnan(R.calibration_slope(np.zeros(6, int), proba))
    assert np.isnan(R.calibration_intercept(np.ones(6, int), proba))
    constant = np.full((6, 2), 0.5)
    assert np.isnan(R.calibration_slope(np.array([0, 1, 0, 1, 0, 0]), constant))
    assert R.calibration_intercept(np.array([0, 1, 0, 1, 0, 0]), constant) == pytest.approx(
        np.log(2 / 4)
    )
    counts = np.array([[1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1], [2, 0, 1, 1, 1, 1]])
    y = np.array([0, 1, 0, 1, 0, 1])
    rows = R.calibration_slope(y, proba, counts)
    assert np.isnan(rows[0]) and np.isfinite(rows[1:]).all()  # replicate 0 holds only y = 0
    with pytest.raises(TrustbenchError, match=r"shape \(n, 2\)"):
        R.calibration_slope(y, np.full((6, 3), 1 / 3))
