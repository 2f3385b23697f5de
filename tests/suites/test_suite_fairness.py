"""The fairness suite on a small generated cohort: every number against fairlearn, the per-group
table, the operating point, and the bad-input cases of issue 3."""

from __future__ import annotations

import json
import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from statsmodels.stats.proportion import proportion_confint

import trustbench
from trustbench.data import build_task
from trustbench.errors import ConfigError, DataError
from trustbench.metrics.intervals import INTERVAL_METHODS
from trustbench.models import make_preprocessor

FAST = {"bootstrap": {"n_resamples": 200}, "fairness": {"plots": False}}
FAIRLEARN = {
    "demographic_parity_difference": (flm.demographic_parity_difference, {}),
    "demographic_parity_ratio": (flm.demographic_parity_ratio, {}),
    "equalized_odds_difference": (flm.equalized_odds_difference, {}),
    "equalized_odds_ratio": (flm.equalized_odds_ratio, {}),
    "equalized_odds_difference_mean": (flm.equalized_odds_difference, {"agg": "mean"}),
    "equalized_odds_ratio_mean": (flm.equalized_odds_ratio, {"agg": "mean"}),
    "equal_opportunity_difference": (flm.equal_opportunity_difference, {}),
    "equal_opportunity_ratio": (flm.equal_opportunity_ratio, {}),
    "accuracy_score_difference": (flm.accuracy_score_difference, {}),
    "accuracy_score_group_min": (flm.accuracy_score_group_min, {}),
}


def make_task(n: int = 900, seed: int = 0, bias: float = 1.0, **kwargs):
    """A binary cohort with sex, an age group, three hospitals (H3 held out) and a real signal."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["F", "M"]), n, p=[0.4, 0.6])
    age = rng.choice(np.array(["<50", "50-59", "60+"]), n, p=[0.45, 0.4, 0.15])
    hospital = rng.choice(np.array(["H1", "H2", "H3"]), n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    logit = 1.5 * x1 - x2 + bias * (sex == "M") + 0.5 * (age == "60+") + 0.4 * (hospital == "H3")
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame(
        {"x1": x1, "x2": x2, "sex": sex, "age_group": age, "hospital": hospital, "label": label}
    )
    kwargs.setdefault("ood_sites", ["H3"])
    return build_task(
        frame,
        name="toy",
        target="label",
        positive_label="yes",
        sensitive=["sex", "age_group"],
        site="hospital",
        seed=seed,
        **kwargs,
    )


def fit(task):
    model = make_pipeline(make_preprocessor(task.features), LogisticRegression(max_iter=500))
    return model.fit(task.train.X, task.train.y)


def score(task, model=None, **config):
    cfg = {**FAST, **config}
    return trustbench.score(model or fit(task), task, suites=["fairness"], config=cfg)


def fl(name, y, y_pred, groups):
    fn, kw = FAIRLEARN[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fn(y, y_pred, sensitive_features=groups, **kw))


@pytest.fixture(scope="module")
def scored():
    task = make_task()
    model = fit(task)
    return task, model, score(task, model)


def _test_frame(report):
    frame = report.artifacts["predictions.parquet"]
    return frame[frame["split"] == "test"].reset_index(drop=True)


def test_every_gap_equals_fairlearn_per_attribute_intersection_and_worst(scored):
    _, _, report = scored
    assert report.suites["fairness"].status == "ok"
    values = report.values()
    test = _test_frame(report)
    y, y_pred = test["y_true"].to_numpy(), test["y_pred"].to_numpy()
    sex, age = test["sensitive_sex"].to_numpy(), test["sensitive_age_group"].to_numpy()
    crossed = np.array([f"{a} x {b}" for a, b in zip(sex, age, strict=True)])
    for name in FAIRLEARN:
        expected = {}
        for key, groups in (("sex", sex), ("age_group", age), ("sex_x_age_group", crossed)):
            expected[key] = fl(name, y, y_pred, groups)
            assert values[f"fairness/{key}/{name}"] == pytest.approx(expected[key], abs=1e-12)
        declared = [expected["sex"], expected["age_group"]]
        worst = (
            min(declared) if name.endswith(("ratio", "ratio_mean", "group_min")) else max(declared)
        )
        assert values[f"fairness/{name}"] == pytest.approx(worst, abs=1e-12), name
    metric = report["fairness/sex/demographic_parity_difference"]
    assert metric.ci_low <= metric.ci_high and metric.n == len(test)


def test_group_values_and_the_calibration_gap(scored):
    _, _, report = scored
    values = report.values()
    test = _test_frame(report)
    proba = test[["proba_0", "proba_1"]].to_numpy()
    for group, rows in test.groupby("sensitive_sex"):
        y, yp = rows["y_true"], rows["y_pred"]
        assert values[f"fairness/sex/{group}/accuracy"] == pytest.approx(skm.accuracy_score(y, yp))
        assert values[f"fairness/sex/{group}/selection_rate"] == pytest.approx(yp.mean())
        assert values[f"fairness/sex/{group}/true_positive_rate"] == pytest.approx(
            skm.recall_score(y, yp)
        )
        assert values[f"fairness/sex/{group}/false_positive_rate"] == pytest.approx(
            flm.false_positive_rate(y, yp)
        )
    # per-group values of intersections are in the table, not in MLflow
    assert not any(
        k.startswith("fairness/sex_x_age_group/") and k.endswith("/accuracy") for k in values
    )
    assert "fairness/age_group/lt50/accuracy" in values  # safe names
    eces = [
        trustbench.metrics.expected_calibration_error(
            test["y_true"][m].to_numpy(), proba[m.to_numpy()]
        )
        for m in (test["sensitive_sex"] == "F", test["sensitive_sex"] == "M")
    ]
    assert values["fairness/sex/ece_difference"] == pytest.approx(abs(eces[0] - eces[1]), abs=1e-12)


def test_group_table_holds_every_group_and_matches_metricframe(scored):
    _, _, report = scored
    table = report.artifacts["fairness/groups.parquet"]
    assert list(table.columns) == [
        "attribute", "group", "metric", "value", "ci_low", "ci_high", "ci_method", "n",
        "denominator", "flag", "operating_point",
    ]  # fmt: skip
    test = _test_frame(report)
    frame = flm.MetricFrame(
        metrics={
            "selection_rate": flm.selection_rate,
            "accuracy": skm.accuracy_score,
            "true_positive_rate": flm.true_positive_rate,
            "false_positive_rate": flm.false_positive_rate,
            "false_negative_rate": flm.false_negative_rate,
            "precision": skm.precision_score,
            "count": flm.count,
        },
        y_true=test["y_true"],
        y_pred=test["y_pred"],
        sensitive_features=test[["sensitive_sex", "sensitive_age_group"]],
    )
    rows = table[(table["attribute"] == "sex_x_age_group") & (table["operating_point"] == "argmax")]
    assert set(rows["group"]) == {f"{s} x {a}" for s in "FM" for a in ("<50", "50-59", "60+")}
    for (sex, age), expected in frame.by_group.iterrows():
        group = rows[rows["group"] == f"{sex} x {age}"].set_index("metric")
        for metric in ("selection_rate", "accuracy", "true_positive_rate", "false_positive_rate",
                       "false_negative_rate", "precision"):  # fmt: skip
            assert group.loc[metric, "value"] == pytest.approx(expected[metric], abs=1e-12)
        assert (group["n"] == expected["count"]).all()
        small = expected["count"] < 30
        assert group["flag"].fillna("").str.contains("small group").all() == small
    for (group_label,), rows_ in test.groupby(["sensitive_sex"]):
        sex_rows = table[(table["attribute"] == "sex") & (table["group"] == group_label)]
        auc = sex_rows[sex_rows["metric"] == "roc_auc"]
        assert auc["value"].item() == pytest.approx(
            skm.roc_auc_score(rows_["y_true"], rows_["proba_1"]), abs=1e-12
        )
    argmax = table[table["operating_point"] == "argmax"]
    assert set(argmax["metric"]) == {
        "selection_rate", "accuracy", "true_positive_rate", "false_positive_rate",
        "false_negative_rate", "precision", "roc_auc", "ece",
    }  # fmt: skip
    assert set(table["operating_point"]) == {"argmax", "sensitivity>=0.9"}
    defined = table.dropna(subset=["ci_low"])
    assert (defined["ci_low"] <= defined["ci_high"] + 1e-12).all()
    notes = report.suites["fairness"].notes
    assert any("small group" in note for note in notes)


def test_operating_point_fixes_overall_sensitivity(scored):
    _, _, report = scored
    values = report.values()
    test = _test_frame(report)
    y, score_ = test["y_true"].to_numpy(), test["proba_1"].to_numpy()
    pos = score_[y == 1]
    threshold = max(t for t in np.unique(pos) if np.mean(pos >= t) >= 0.9 - 1e-12)
    y_pred = (score_ >= threshold).astype(int)
    for key, groups in (("sex", test["sensitive_sex"]), ("age_group", test["sensitive_age_group"])):
        for name in ("demographic_parity_difference", "equalized_odds_difference",
                     "equal_opportunity_difference", "accuracy_score_difference"):  # fmt: skip
            assert values[f"fairness/at_sensitivity_0.9/{key}/{name}"] == pytest.approx(
                fl(name, y, y_pred, groups), abs=1e-12
            )
    assert values["fairness/at_sensitivity_0.9/specificity"] == pytest.approx(
        np.mean(y_pred[y == 0] == 0)
    )
    metric = report["fairness/at_sensitivity_0.9/sex/equalized_odds_difference"]
    assert "largest threshold with overall sensitivity >= 0.9" in metric.definition
    assert any(
        note.startswith("operating point: threshold") for note in report.suites["fairness"].notes
    )


def test_group_without_positives_is_undefined_with_the_reason():
    task = make_task(seed=1)
    model = fit(task)
    test = task.test
    test.y = np.where(test.sensitive["age_group"].to_numpy() == "60+", 0, test.y)
    report = score(task, model)
    metric = report["fairness/age_group/60plus/true_positive_rate"]
    assert metric.value is None
    assert "no positive labels in split 'test'" in metric.note
    eo = report["fairness/age_group/equalized_odds_difference"]
    assert eo.value is not None and "'60+' (no positives)" in eo.note
    assert "fairlearn would count" in eo.note
    table = report.artifacts["fairness/groups.parquet"]
    row = table.query(
        "attribute == 'age_group' and group == '60+' and metric == 'true_positive_rate'"
    )
    assert row["value"].isna().all() and row["flag"].str.contains("no positive labels").all()
    # where definitions part: fairlearn scores the TPR as 0 and the gap as the largest TPR
    frame = report.artifacts["predictions.parquet"].query("split == 'test'")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fl_tpr = flm.MetricFrame(
            metrics=flm.true_positive_rate,
            y_true=frame["y_true"],
            y_pred=frame["y_pred"],
            sensitive_features=frame["sensitive_age_group"],
        ).by_group["60+"]
    assert fl_tpr == 0.0


def test_one_class_split_makes_odds_gaps_undefined_with_a_note():
    task = make_task(seed=2)
    model = fit(task)
    task.test.y = np.ones_like(task.test.y)
    report = score(task, model)
    assert report.suites["fairness"].status == "ok"
    assert any("holds only class 'yes'" in note for note in report.suites["fairness"].notes)
    eo = report["fairness/sex/equalized_odds_difference"]
    assert eo.value is None and eo.note.startswith("undefined")
    assert report["fairness/sex/demographic_parity_difference"].value is not None
    assert report["fairness/sex/F/false_positive_rate"].value is None
    # no positives at all: no operating point, said once in the notes
    task.test.y = np.zeros_like(task.test.y)
    report = score(task, model)
    notes = report.suites["fairness"].notes
    assert "operating point at sensitivity 0.9 undefined: split 'test' has no positives" in notes
    assert not any("at_sensitivity" in key for key in report.values())
    # a single positive: replicates that lose it have no threshold and are left out of the CI
    task.test.y[np.flatnonzero(task.test.sensitive["sex"].to_numpy() == "M")[0]] = 1
    report = score(task, model)
    metric = report["fairness/at_sensitivity_0.9/specificity"]
    assert metric.value is not None and metric.ci_low <= metric.ci_high


def test_continuous_sensitive_attribute_says_how_to_bin_it():
    task = make_task(seed=3)
    model = fit(task)
    for split in task.splits.values():
        ages = np.random.default_rng(0).integers(20, 90, len(split)).astype(str)
        split.sensitive["age_group"] = ages
    report = score(task, model)
    fairness = report.suites["fairness"]
    assert fairness.status == "failed"
    assert "Sensitive attribute 'age_group' in split 'test'" in fairness.reason
    assert "look continuous" in fairness.reason and "sensitive_bins" in fairness.reason
    assert "\n" not in fairness.reason
    # at load time the same column is refused before any training
    frame = pd.DataFrame({"x": np.arange(60.0), "age": np.arange(60) + 20, "y": ["a", "b"] * 30})
    with pytest.raises(DataError, match="looks continuous; bin it with sensitive_bins"):
        build_task(frame, name="toy", target="y", sensitive=["age"])


def test_intersections_option():
    task = make_task(seed=4)
    model = fit(task)
    none = score(task, model, fairness={"plots": False, "intersections": False})
    assert not any("sex_x_age_group" in k for k in none.values())
    explicit = score(
        task, model, fairness={"plots": False, "intersections": [["age_group", "sex"]]}
    )
    assert "fairness/age_group_x_sex/demographic_parity_difference" in explicit.values()
    bad = score(task, model, fairness={"plots": False, "intersections": [["sex", "race"]]})
    assert bad.suites["fairness"].status == "failed"
    assert "unknown sensitive attribute 'race'" in bad.suites["fairness"].reason


def test_plots_and_bad_config(make_config):
    task = make_task(seed=5)
    report = score(task, fairness={"plots": True, "target_sensitivity": None})
    assert {"plots/fairness_by_sex.png", "plots/fairness_by_sex_x_age_group.png"} <= set(
        report.artifacts
    )
    assert not any("at_sensitivity" in k for k in report.values())
    from trustbench.experiment import validate_config

    cfg = make_config(["suite.fairness.target_sensitivity=1.5"])
    from omegaconf import OmegaConf

    with pytest.raises(ConfigError, match="target_sensitivity: expected null or a number in"):
        validate_config(OmegaConf.to_container(cfg, resolve=True))


class Mixture:
    """A randomized classifier (as ``FairClassifier.randomized``): with probability 0.6 the
    fitted ``base``'s prediction, else the group-blind rule ``x1 > 0``. Its argmax equals the
    base's prediction on every row, its expected rates do not."""

    randomized = True
    method = "mixture"

    def __init__(self, base):
        self.base = base

    def predict_proba(self, X):
        q = 0.6 * self.base.predict(X) + 0.4 * (X["x1"].to_numpy() > 0)
        return np.column_stack([1.0 - q, q])


def test_randomized_model_is_scored_by_its_expected_rates_with_the_argmax_in_a_note():
    task = make_task(seed=6, bias=2.0)
    base = fit(task)
    report = score(task, Mixture(base))
    values = report.values()
    test = _test_frame(report)
    y, q, sex = test["y_true"].to_numpy(), test["proba_1"].to_numpy(), test["sensitive_sex"]
    np.testing.assert_array_equal(test["y_pred"], base.predict(task.test.X))  # argmax = base
    tpr = {g: q[(sex == g) & (y == 1)].mean() for g in "FM"}
    fpr = {g: q[(sex == g) & (y == 0)].mean() for g in "FM"}
    expected = max(abs(tpr["F"] - tpr["M"]), abs(fpr["F"] - fpr["M"]))
    argmax = fl("equalized_odds_difference", y, test["y_pred"], sex)
    assert values["fairness/sex/equalized_odds_difference"] == pytest.approx(expected, abs=1e-12)
    assert values["fairness/sex/F/true_positive_rate"] == pytest.approx(tpr["F"], abs=1e-12)
    assert argmax - expected > 0.05  # the argmax (the unmitigated model) is the less fair form
    metric = report["fairness/equalized_odds_difference"]  # worst of sex and age_group
    assert "expected over the randomized classifier's draws" in metric.definition
    assert metric.value == max(expected, values["fairness/age_group/equalized_odds_difference"])
    age = test["sensitive_age_group"]
    argmax_headline = max(argmax, fl("equalized_odds_difference", y, test["y_pred"], age))
    note = next(n for n in report.suites["fairness"].notes if n.startswith("randomized"))
    assert (
        f"equalized_odds_difference {argmax_headline:.4f} (argmax) vs {metric.value:.4f} "
        "(expected)" in note
    )
    table = report.artifacts["fairness/groups.parquet"]
    assert set(table["operating_point"]) == {"expected", "sensitivity>=0.9"}


class _MissesOldPatients:
    """A fitted model that never flags patients of 60 and over: their TPR is 0 events."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_

    def predict_proba(self, X):
        proba = self.model.predict_proba(X).copy()
        old = (X["age_group"] == "60+").to_numpy()
        proba[old] = [0.99, 0.01]
        return proba


def test_rates_with_zero_events_get_jeffreys_intervals_over_their_denominator():
    task = make_task()
    report = score(task, _MissesOldPatients(fit(task)))
    test = _test_frame(report)
    old = test["sensitive_age_group"] == "60+"
    positives = int((test["y_true"][old] == 1).sum())
    assert positives > 0
    tpr = report["fairness/age_group/60plus/true_positive_rate"]
    # the percentile bootstrap gave [0, 0] here; a rate of 0 events has an upper end above 0
    assert tpr.value == 0.0 and tpr.ci_low == 0.0 and tpr.ci_method == "jeffreys"
    assert tpr.ci_high == pytest.approx(proportion_confint(0, positives, method="jeffreys")[1])
    assert tpr.n == positives  # the denominator, not the group's size
    table = report.artifacts["fairness/groups.parquet"]
    row = table[
        (table["attribute"] == "age_group") & (table["group"] == "60+")
        & (table["metric"] == "true_positive_rate") & (table["operating_point"] == "argmax")
    ].iloc[0]  # fmt: skip
    assert row["ci_high"] > 0 and row["denominator"] == positives and row["n"] == old.sum()
    # a ratio built on the zero rate is 0, but its interval is no longer [0, 0]: the box over
    # the groups' Jeffreys intervals
    ratio = report["fairness/age_group/equal_opportunity_ratio"]
    assert ratio.value == 0.0 and ratio.ci_method == "box" and ratio.ci_high > 0.0
    gap = report["fairness/age_group/equal_opportunity_difference"]
    assert gap.ci_method == "box" and gap.ci_low < gap.value < gap.ci_high
    # a gap whose groups all have some events keeps the bias-corrected bootstrap
    assert report["fairness/sex/demographic_parity_difference"].ci_method == "bc"


def test_every_interval_in_the_report_json_names_its_method():
    task = make_task()
    report = score(task)
    data = json.loads(report.to_json())
    metrics = [m for suite in data["suites"].values() for m in suite["metrics"]]
    with_ci = [m for m in metrics if m["ci_low"] is not None]
    assert with_ci and all(m["ci_method"] in INTERVAL_METHODS for m in with_ci)


def test_operating_point_rates_keep_binomial_noise_when_the_threshold_moves():
    # the audit's case: a TPR of 1 from 2 positives at the operating point was [1, 1]
    task = make_task()
    report = score(task)
    table = report.artifacts["fairness/groups.parquet"]
    rows = table[
        (table["operating_point"] != "argmax") & (table["metric"] == "true_positive_rate")
        & table["denominator"].notna()
    ]  # fmt: skip
    assert len(rows) and set(rows["ci_method"].dropna()) == {"hull"}
    for _, row in rows.iterrows():
        k, n = round(row["value"] * row["denominator"]), row["denominator"]
        low, high = proportion_confint(k, n, method="jeffreys")
        assert row["ci_high"] - row["ci_low"] > 0
        assert row["ci_low"] <= (0.0 if k == 0 else low) + 1e-12
        assert row["ci_high"] >= (1.0 if k == n else high) - 1e-12
