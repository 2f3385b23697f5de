"""The performance suite's clinical half on generated cohorts: every value against scikit-learn
from the predictions, the operating point, the intervals, the no-skill warning (a model that
always says "no" on a 76%-"no" cohort), the positive-class statement, multiclass tasks and
config errors."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from rich.console import Console
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import trustbench
from trustbench.data import build_task
from trustbench.errors import ConfigError
from trustbench.metrics import REGISTRY, percentile_interval, threshold_at_sensitivity
from trustbench.models import make_preprocessor
from trustbench.reporting.card import headline_metrics, render_card
from trustbench.suites.performance import check_config
from trustbench.suites.performance.results import versus_baseline

FAST = {"bootstrap": {"n_resamples": 200}}


def cohort(n: int = 2000, prevalence: float = 0.24, signal: float = 2.0, seed: int = 0, **kw):
    """Patients with two measurements; ``signal`` 0 makes the label pure noise."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prevalence
    x1 = rng.normal(size=n) + signal * y
    x2 = rng.normal(size=n)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "label": np.where(y, "yes", "no")})
    return build_task(frame, name="cohort", target="label", seed=seed, **kw)


def fit(task):
    model = make_pipeline(make_preprocessor(task.features), LogisticRegression(max_iter=500))
    return model.fit(task.train.X, task.train.y)


def score(task, model, **performance):
    config = {**FAST, "performance": performance} if performance else FAST
    return trustbench.score(model, task, suites=["performance"], config=config)


@pytest.fixture(scope="module")
def good():
    task = cohort()
    report = score(task, fit(task))
    return task, report


def _test_rows(report):
    frame = report.artifacts["predictions.parquet"]
    test = frame[frame["split"] == "test"]
    return test["y_true"].to_numpy(), test["y_pred"].to_numpy(), test["proba_1"].to_numpy()


def test_clinical_values_equal_scikit_learn_from_the_predictions(good):
    _, report = good
    values = report.values()
    y, y_pred, p1 = _test_rows(report)
    tn, fp, fn, tp = skm.confusion_matrix(y, y_pred).ravel()
    n = len(y)
    assert values["performance/sensitivity"] == pytest.approx(skm.recall_score(y, y_pred))
    assert values["performance/specificity"] == pytest.approx(
        skm.recall_score(y, y_pred, pos_label=0)
    )
    assert values["performance/ppv"] == pytest.approx(skm.precision_score(y, y_pred))
    assert values["performance/npv"] == pytest.approx(skm.precision_score(y, y_pred, pos_label=0))
    assert values["performance/sensitivity"] == pytest.approx(tp / (tp + fn))
    assert values["performance/specificity"] == pytest.approx(tn / (tn + fp))
    assert values["performance/prevalence"] == pytest.approx(y.mean())
    assert values["performance/auprc"] == pytest.approx(skm.average_precision_score(y, p1))
    assert values["performance/net_benefit"] == pytest.approx(tp / n - fp / n)  # pt = 0.5
    assert values["performance/net_benefit_treat_all"] == pytest.approx(y.mean() - (1 - y.mean()))
    assert values["performance/no_skill_accuracy"] == pytest.approx(max(y.mean(), 1 - y.mean()))
    assert np.isfinite(values["performance/calibration_slope"])
    # a well-specified logistic model is close to calibrated on its own distribution
    assert values["performance/calibration_slope"] == pytest.approx(1.0, abs=0.35)
    assert values["performance/calibration_intercept"] == pytest.approx(0.0, abs=0.35)


def test_rates_carry_jeffreys_intervals_of_their_denominators(good):
    _, report = good
    y, y_pred, _ = _test_rows(report)
    expected = {
        "sensitivity": int((y == 1).sum()),
        "specificity": int((y == 0).sum()),
        "ppv": int((y_pred == 1).sum()),
        "npv": int((y_pred == 0).sum()),
        "prevalence": len(y),
        "accuracy": len(y),
    }
    for name, denominator in expected.items():
        metric = report[f"performance/{name}"]
        assert metric.ci_method == "jeffreys" and metric.n == denominator, name
        assert metric.ci_low <= metric.value <= metric.ci_high
    for name in ("auprc", "calibration_slope", "net_benefit", "no_skill_accuracy"):
        assert report[f"performance/{name}"].ci_method == "percentile", name


def test_operating_point_rates_use_the_fairness_threshold(good):
    _, report = good
    y, _, p1 = _test_rows(report)
    t = threshold_at_sensitivity(y, p1, 0.9)
    pred = (p1 >= t).astype(int)
    values = report.values()
    assert values["performance/at_sensitivity_0.9/sensitivity"] >= 0.9
    assert values["performance/at_sensitivity_0.9/sensitivity"] == pytest.approx(
        skm.recall_score(y, pred)
    )
    assert values["performance/at_sensitivity_0.9/specificity"] == pytest.approx(
        skm.recall_score(y, pred, pos_label=0)
    )
    assert values["performance/at_sensitivity_0.9/ppv"] == pytest.approx(
        skm.precision_score(y, pred)
    )
    assert values["performance/at_sensitivity_0.9/npv"] == pytest.approx(
        skm.precision_score(y, pred, pos_label=0)
    )
    # re-chosen in every replicate: no denominator, so a percentile interval
    assert report["performance/at_sensitivity_0.9/ppv"].ci_method == "percentile"
    notes = " ".join(report.suites["performance"].notes)
    assert f"threshold {t:.4f} on proba_1" in notes


def test_a_good_model_raises_no_warning_and_draws_the_decision_curve(good):
    _, report = good
    assert report.suites["performance"].warnings == []
    assert "plots/decision_curve.png" in report.artifacts


def test_always_no_on_a_76_percent_no_cohort_is_a_warning_on_the_card():
    task = cohort(prevalence=0.24)
    model = DummyClassifier(strategy="prior").fit(task.train.X, task.train.y)
    report = score(task, model)
    warnings = report.suites["performance"].warnings
    assert any(
        w.startswith("accuracy = ")
        and "does not beat the no-skill baseline" in w
        and "always predicting 'no'" in w
        for w in warnings
    ), warnings
    assert any(w.startswith("net benefit at pt = 0.5") for w in warnings), warnings
    html = render_card(report)
    assert "No warnings." not in html and "does not beat the no-skill baseline" in html


def test_a_test_split_with_few_positives_is_a_warning_and_a_note_on_its_intervals():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(22, bool), np.zeros(78, bool)]  # test: 7 positives of 30
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=100) + 2.0 * y,
            "x2": rng.normal(size=100),
            "label": np.where(y, "yes", "no"),
        }
    )
    task = build_task(frame, name="thin", target="label", seed=0)
    assert int(task.test.y.sum()) == 7
    report = score(task, fit(task))
    suite = report.suites["performance"]
    thin = [w for w in suite.warnings if w.startswith("split 'test' (30 rows) holds only 7 rows")]
    assert len(thin) == 1, suite.warnings
    assert "of class 'yes' (fewer than 10): the bootstrap intervals of " in thin[0]
    assert "roc_auc" in thin[0] and "not trustworthy" in thin[0]
    note = "interval not trustworthy: 'test' holds only 7 rows of class 'yes' (< 10)"
    assert note in report["performance/roc_auc"].note
    assert report["performance/roc_auc"].ci_method == "percentile"
    # a Jeffreys interval carries its own denominator (7 positives): no note
    assert report["performance/sensitivity"].ci_method == "jeffreys"
    assert not report["performance/sensitivity"].note
    assert "holds only 7 rows of class" in render_card(report)


def test_enough_rows_of_every_class_raise_no_thin_class_warning(good):
    _, report = good
    assert not any("holds only" in (m.note or "") for m in report.metrics())


def test_a_model_of_noise_features_is_a_warning():
    task = cohort(prevalence=0.24, signal=0.0, n=600)
    report = score(task, fit(task))
    warnings = report.suites["performance"].warnings
    assert any("no-skill baseline" in w and w.startswith("accuracy") for w in warnings)


def test_the_baseline_rule_point_value_then_paired_interval():
    ctx = SimpleNamespace(ci_level=0.95, interval=lambda r: percentile_interval(r, 0.95))
    rng = np.random.default_rng(0)
    baseline = np.full(201, 0.76)
    clear = 0.80 + rng.normal(0, 0.005, 201)  # advantage 0.04, interval far from 0
    marginal = 0.765 + rng.normal(0, 0.01, 201)  # advantage 0.005, interval reaching below 0
    clear[0], marginal[0] = 0.80, 0.765  # row 0: the point values
    worse = np.full(201, 0.754)
    note, warning = versus_baseline(ctx, "accuracy", clear, baseline, "always 'no'", "test")
    assert warning is None and "advantage +0.0" in note and "paired bootstrap" in note
    _, warning = versus_baseline(ctx, "accuracy", marginal, baseline, "always 'no'", "test")
    assert warning is not None and "beats the no-skill baseline" in warning
    assert "reaches 0" in warning
    _, warning = versus_baseline(ctx, "accuracy", worse, baseline, "always 'no'", "test")
    assert warning.startswith("accuracy = 0.7540 does not beat the no-skill baseline")
    _, warning = versus_baseline(ctx, "accuracy", baseline + 1e-15, baseline, "always", "test")
    assert "does not beat" in warning  # a floating-point tie is no advantage


def test_positive_class_is_stated_in_notes_report_card_and_console(good):
    _, report = good
    statement = report.run["positive_class"]
    assert "positive class 'yes'" in statement
    assert "second of the sorted labels ['no', 'yes']" in statement
    assert "set dataset.positive_label" in statement
    assert report.suites["performance"].notes[0].startswith(statement)
    assert "positive class 'yes'" in report.to_json()
    html = render_card(report)
    assert "positive class" in html and "sorted labels" in html
    console = Console(record=True, width=200)
    report.summary(console=console)
    assert "chosen implicitly as the second of the sorted labels ['no', 'yes']" in (
        console.export_text()
    )
    explicit = cohort(n=300, positive_label="no")
    named = score(explicit, fit(explicit)).run["positive_class"]
    assert "positive class 'no'" in named and "given as positive_label" in named


def test_headlines_come_first_and_all_reach_the_card(good):
    _, report = good
    metrics = report.suites["performance"].metrics
    headlines = [s.name for s in REGISTRY.headlines("performance")]
    assert [m.name for m in metrics[: len(headlines)]] == headlines
    for name in ("sensitivity", "specificity", "ppv", "npv", "auprc", "calibration_slope"):
        assert name in headlines
    shown = [m.name for m in headline_metrics("performance", metrics)]
    assert shown == headlines and "net_benefit" in shown


def test_net_benefit_threshold_and_plots_options():
    task = cohort(n=800)
    model = fit(task)
    report = score(task, model, net_benefit_threshold=0.2, plots=False)
    y, _, p1 = _test_rows(report)
    treated = p1 >= 0.2
    tp, fp = np.sum(treated & (y == 1)), np.sum(treated & (y == 0))
    expected = tp / len(y) - fp / len(y) * 0.2 / 0.8
    assert report.values()["performance/net_benefit"] == pytest.approx(expected)
    assert report.values()["performance/net_benefit_treat_all"] == pytest.approx(
        y.mean() - (1 - y.mean()) * 0.25
    )
    assert "plots/decision_curve.png" not in report.artifacts


def test_multiclass_tasks_skip_the_binary_metrics_with_a_note():
    rng = np.random.default_rng(2)
    label = rng.choice(np.array(["a", "b", "c"]), 600, p=[0.5, 0.3, 0.2])
    x = rng.normal(size=600) + (label == "b") * 2.0 - (label == "c") * 2.0
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=600), "label": label})
    task = build_task(frame, name="three", target="label", seed=0)
    report = score(task, fit(task))
    suite = report.suites["performance"]
    assert suite.status == "ok"
    keys = {m.key for m in suite.metrics}
    assert "performance/sensitivity" not in keys and "performance/net_benefit" not in keys
    assert {"performance/auprc", "performance/no_skill_accuracy"} <= keys
    assert any("binary-task metrics" in n and "3 classes" in n for n in suite.notes)
    assert report.run["positive_class"] is None
    share = np.bincount(_test_rows(report)[0], minlength=3).max() / (_test_rows(report)[0].size)
    assert report.values()["performance/no_skill_accuracy"] == pytest.approx(share)


def test_config_errors_name_the_key_before_training():
    with pytest.raises(
        ConfigError, match=r"suite\.performance\.metrics: .*'sensitivity'.*clinical"
    ):
        check_config({"metrics": ["accuracy", "sensitivity"]})
    with pytest.raises(ConfigError, match=r"suite\.performance\.clinical: .*'roc_auc'.*metrics"):
        check_config({"clinical": ["roc_auc"]})
    with pytest.raises(ConfigError, match=r"Did you mean 'specificity'"):
        check_config({"clinical": ["specifity"]})
    with pytest.raises(ConfigError, match="reported with 'net_benefit'"):
        check_config({"clinical": ["net_benefit_treat_all"]})
    with pytest.raises(ConfigError, match=r"net_benefit_threshold: expected null or a number"):
        check_config({"net_benefit_threshold": 1.5})
    with pytest.raises(ConfigError, match=r"decision_curve: expected \[start, stop, step\]"):
        check_config({"decision_curve": [0.9, 0.1, 0.01]})
    check_config({})  # the shipped defaults are valid
