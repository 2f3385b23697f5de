"""The generalization suite: ID vs OOD, calibration, sites, fairness under shift and synthetic
shifts, each recomputed from the logged predictions with scikit-learn / fairlearn."""

from __future__ import annotations

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from tests.metrics.test_metrics_calibration import _loop_adaptive_ece, _loop_ece
from tests.suites.test_suite_fairness import fit, make_task

import trustbench
from trustbench.api import merged_suite_config
from trustbench.data import build_task
from trustbench.data import shifts as S
from trustbench.errors import ConfigError
from trustbench.models import wrap
from trustbench.suites import load_suite_config
from trustbench.suites.context import ScoringContext
from trustbench.suites.generalization.suite import check_config

FAST = {"bootstrap": {"n_resamples": 200}, "generalization": {"plots": False}}
SKLEARN = {
    "accuracy": lambda y, p, w=None: skm.accuracy_score(y, p.argmax(1), sample_weight=w),
    "balanced_accuracy": lambda y, p, w=None: skm.balanced_accuracy_score(y, p.argmax(1)),
    "roc_auc": lambda y, p, w=None: skm.roc_auc_score(y, p[:, 1], sample_weight=w),
    "log_loss": lambda y, p, w=None: skm.log_loss(y, p, labels=[0, 1]),
    "brier": lambda y, p, w=None: skm.brier_score_loss(y, p[:, 1]),
    "ece": lambda y, p, w=None: _loop_ece(y, p, 15, w),
    "adaptive_ece": lambda y, p, w=None: _loop_adaptive_ece(y, p, 15, w),
}


def score(task, model=None, **config):
    cfg = {**FAST, **{k: {**FAST.get(k, {}), **v} for k, v in config.items()}}
    return trustbench.score(model or fit(task), task, suites=["generalization"], config=cfg)


def split_arrays(report, split):
    frame = report.artifacts["predictions.parquet"]
    frame = frame[frame["split"] == split].reset_index(drop=True)
    return frame, frame["y_true"].to_numpy(), frame[["proba_0", "proba_1"]].to_numpy()


@pytest.fixture(scope="module")
def scored():
    task = make_task(seed=0)
    model = fit(task)
    return task, model, score(task, model)


def test_id_vs_ood_drops_and_overfitting_gap(scored):
    _, _, report = scored
    values = report.values()
    _, y_te, p_te = split_arrays(report, "test")
    _, y_ood, p_ood = split_arrays(report, "ood")
    _, y_tr, p_tr = split_arrays(report, "train")
    for name, ref in SKLEARN.items():
        test_value, ood_value = ref(y_te, p_te), ref(y_ood, p_ood)
        assert values[f"generalization/ood_{name}"] == pytest.approx(ood_value, abs=1e-9), name
        worse = (
            ood_value - test_value
            if name in ("log_loss", "brier", "ece", "adaptive_ece")
            else test_value - ood_value
        )
        assert values[f"generalization/{name}_drop"] == pytest.approx(worse, abs=1e-9), name
    assert values["generalization/ece"] == pytest.approx(SKLEARN["ece"](y_te, p_te), abs=1e-12)
    assert values["generalization/adaptive_ece"] == pytest.approx(
        _loop_adaptive_ece(y_te, p_te), abs=1e-9
    )
    assert values["generalization/train_test_gap/accuracy"] == pytest.approx(
        SKLEARN["accuracy"](y_tr, p_tr) - SKLEARN["accuracy"](y_te, p_te)
    )
    assert values["generalization/train_test_gap/log_loss"] == pytest.approx(
        SKLEARN["log_loss"](y_te, p_te) - SKLEARN["log_loss"](y_tr, p_tr), abs=1e-9
    )
    drop = report["generalization/accuracy_drop"]
    assert drop.split == "test,ood" and drop.direction == "target:0"
    assert drop.ci_low < drop.value < drop.ci_high


def test_per_site_breakdown_and_worst_site(scored):
    _, _, report = scored
    values = report.values()
    frame = report.artifacts["predictions.parquet"]
    frame = frame[frame["split"].isin(["test", "ood"])]
    accuracies = []
    for site, rows in frame.groupby("site"):
        y, p = rows["y_true"].to_numpy(), rows[["proba_0", "proba_1"]].to_numpy()
        accuracies.append(SKLEARN["accuracy"](y, p))
        for name in ("accuracy", "roc_auc", "ece"):
            assert values[f"generalization/site/{site}/{name}"] == pytest.approx(
                SKLEARN[name](y, p), abs=1e-12
            )
    assert set(frame["site"]) == {"H1", "H2", "H3"}
    assert values["generalization/worst_site_accuracy"] == pytest.approx(min(accuracies))
    assert "held out of training" in report["generalization/site/H3/accuracy"].definition
    assert report["generalization/site/H1/accuracy"].split == "test"


def test_fairness_under_shift_and_its_change(scored):
    _, _, report = scored
    values = report.values()
    frames = {s: split_arrays(report, s)[0] for s in ("test", "ood")}
    worst = {}
    for split, frame in frames.items():
        worst[split] = 0.0
        for attribute in ("sex", "age_group"):
            eod = flm.equalized_odds_difference(
                frame["y_true"], frame["y_pred"], sensitive_features=frame[f"sensitive_{attribute}"]
            )
            worst[split] = max(worst[split], eod)
            if split == "ood":
                key = f"generalization/ood_fairness/{attribute}/equalized_odds_difference"
                assert values[key] == pytest.approx(eod, abs=1e-12)
                test_eod = flm.equalized_odds_difference(
                    frames["test"]["y_true"],
                    frames["test"]["y_pred"],
                    sensitive_features=frames["test"][f"sensitive_{attribute}"],
                )
                assert values[f"{key}_change"] == pytest.approx(eod - test_eod, abs=1e-12)
    assert values["generalization/ood_fairness/equalized_odds_difference"] == pytest.approx(
        worst["ood"], abs=1e-12
    )
    assert values["generalization/ood_fairness/equalized_odds_difference_change"] == pytest.approx(
        worst["ood"] - worst["test"], abs=1e-12
    )


def test_shift_curves_recomputed_from_the_shift_table(scored):
    task, model, report = scored
    values = report.values()
    table = report.artifacts["generalization/shifts.parquet"]
    assert set(table["kind"]) == {"covariate", "label_prior", "noise"}
    assert sorted(set(table["severity"])) == [0.5, 1.0, 2.0]
    for (kind, severity), rows in table.groupby(["kind", "severity"]):
        y, p, w = (
            rows["y_true"].to_numpy(),
            rows[["proba_0", "proba_1"]].to_numpy(),
            rows["weight"].to_numpy(),
        )
        for name in ("accuracy", "roc_auc", "ece"):
            key = f"generalization/shift/{kind}/{severity:g}/{name}"
            assert values[key] == pytest.approx(SKLEARN[name](y, p, w), abs=1e-9), key
        metric = report[f"generalization/shift/{kind}/{severity:g}/accuracy"]
        assert metric.n == round(S.effective_sample_size(w))
    test = task.test
    label = table.query("kind == 'label_prior' and severity == 1.0")
    np.testing.assert_allclose(label["weight"], S.label_shift_weights(test.y, 1.0))
    cov = table.query("kind == 'covariate' and severity == 2.0")
    np.testing.assert_allclose(cov["weight"], S.covariate_shift_weights(test.X["x1"], 2.0))
    noisy = S.gaussian_noise(test.X, task.train.X, task.features, 0.5, seed=0)
    np.testing.assert_allclose(
        table.query("kind == 'noise' and severity == 0.5")[["proba_0", "proba_1"]],
        model.predict_proba(noisy),
    )
    notes = report.suites["generalization"].notes
    assert "covariate shift on feature 'x1'" in notes


def test_empty_missing_and_one_class_ood():
    task = make_task(seed=6)
    model = fit(task)
    task.splits["ood"] = task.ood.subset(np.array([], dtype=int))
    report = score(task, model)
    assert report.suites["generalization"].status == "ok"
    assert any(
        "ood split of dataset 'toy' is empty (0 rows)" in n
        for n in report.suites["generalization"].notes
    )
    assert not any(k.startswith("generalization/ood_") for k in report.values())
    assert "generalization/site/H1/accuracy" in report.values()

    del task.splits["ood"]
    report = score(task, model)
    assert any("no ood split for dataset 'toy'" in n for n in report.suites["generalization"].notes)

    task = make_task(seed=6)
    task.splits["ood"] = task.ood.subset(np.flatnonzero(task.ood.y == 1))
    report = score(task, model)
    auc = report["generalization/ood_roc_auc"]
    assert auc.value is None
    assert auc.note == "undefined: split 'ood' holds only class 'yes' (ROC AUC needs every class)"
    assert report["generalization/ood_accuracy"].value is not None
    site = report["generalization/site/H3/roc_auc"]
    assert site.value is None and "single class" in site.note


def test_an_ood_split_with_a_thin_class_is_a_warning_and_a_note(scored):
    _, model, report = scored
    assert report.suites["generalization"].warnings == []
    task = make_task(seed=0)
    keep = np.r_[np.flatnonzero(task.ood.y == 1), np.flatnonzero(task.ood.y == 0)[:3]]
    task.splits["ood"] = task.ood.subset(keep)
    suite = score(task, model).suites["generalization"]
    expected = f"split 'ood' ({len(keep)} rows) holds only 3 rows of class 'no' (fewer than 10): "
    assert [w for w in suite.warnings if w.startswith(expected)], suite.warnings
    auc = next(m for m in suite.metrics if m.name == "ood_roc_auc")
    assert "interval not trustworthy: 'ood' holds only 3 rows of class 'no' (< 10)" in auc.note
    drop = next(m for m in suite.metrics if m.name == "roc_auc_drop")
    assert "'ood' holds only 3 rows" in drop.note
    assert not any("holds only" in (m.note or "") for m in suite.metrics if m.split == "test")


def test_options_switch_parts_off_and_bad_names_are_refused():
    task = make_task(seed=7, ood_sites=None, ood_shift={"kind": "none"})
    report = score(
        task,
        generalization={
            "per_site": True,
            "shifts": {"kinds": ["label_prior"], "severities": [1.0]},
        },
    )
    keys = report.values()
    # no ood split, but the test rows still come from three hospitals
    assert report["generalization/site/H3/accuracy"].split == "test"
    assert any("no ood split" in n for n in report.suites["generalization"].notes)
    assert "generalization/shift/label_prior/1/roc_auc" in keys
    assert not any(k.startswith("generalization/shift/noise") for k in keys)
    report = score(task, generalization={"per_site": False, "shifts": {"kinds": []}})
    assert not any("/site/" in k or "/shift/" in k for k in report.values())
    bad = score(
        task,
        generalization={"shifts": {"kinds": ["covariate"], "severities": [1.0], "feature": "sex"}},
    )
    assert bad.suites["generalization"].status == "failed"
    assert (
        "expected a continuous feature of dataset 'toy' (x1, x2), got 'sex'"
        in bad.suites["generalization"].reason
    )
    with pytest.raises(ConfigError, match=r"Unknown shift 'nosie'\. Did you mean 'noise'"):
        check_config({"shifts": {"kinds": ["nosie"]}})
    with pytest.raises(ConfigError, match="ood_fairness: Unknown metric"):
        check_config({"ood_fairness": ["equalised_odds_difference"]})
    with pytest.raises(ConfigError, match="severities: expected finite numbers"):
        check_config({"shifts": {"kinds": ["noise"], "severities": ["high"]}})


def _context(task, model, config=FAST):
    """A scoring context with the suite's config and seed: the same bootstrap counts."""
    proba = {name: model.predict_proba(split.X) for name, split in task.splits.items()}
    cfg = load_suite_config(merged_suite_config(config))
    return ScoringContext(model=wrap(model), task=task, proba=proba, config=cfg, seed=0)


def _auc_drop_row(y_te, p_te, y_ood, p_ood, counts_test, counts_ood):
    """roc_auc(test) - roc_auc(ood): the point value, then one value per bootstrap replicate."""
    auc = SKLEARN["roc_auc"]
    row = [auc(y_te, p_te) - auc(y_ood, p_ood)]
    for c_test, c_ood in zip(counts_test, counts_ood, strict=True):
        row.append(auc(y_te, p_te, c_test) - auc(y_ood, p_ood, c_ood))
    return np.asarray(row)


def test_noise_copy_drop_is_a_paired_bootstrap_over_the_same_patients():
    task = make_task(seed=3, ood_sites=None, ood_shift={"kind": "noise", "severity": 0.5})
    assert task.paired_split("ood") == "test"
    model = fit(task)
    report = score(task, model)
    _, y_te, p_te = split_arrays(report, "test")
    _, y_ood, p_ood = split_arrays(report, "ood")
    ctx = _context(task, model)
    counts = ctx.counts("test")
    paired = ctx.from_row(
        "generalization",
        "roc_auc_drop",
        _auc_drop_row(y_te, p_te, y_ood, p_ood, counts, counts),
        n=len(y_te),
        split="test,ood",
    )
    independent = ctx.from_row(
        "generalization",
        "roc_auc_drop",
        _auc_drop_row(y_te, p_te, y_ood, p_ood, counts, ctx.counts("ood")),
        n=len(y_te),
        split="test,ood",
    )
    drop = report["generalization/roc_auc_drop"]
    assert drop.value == pytest.approx(paired.value, abs=1e-12)
    assert drop.ci_low == pytest.approx(paired.ci_low, abs=1e-9)
    assert drop.ci_high == pytest.approx(paired.ci_high, abs=1e-9)
    width = drop.ci_high - drop.ci_low
    assert width < 0.6 * (independent.ci_high - independent.ci_low)
    assert "paired bootstrap over the same patients" in drop.definition
    notes = report.suites["generalization"].notes
    assert any("robustness to measurement noise, not a shift" in n for n in notes)
    # the test patients are not counted twice (clean and noisy) in the per-site breakdown
    assert report["generalization/site/H3/accuracy"].split == "test"
    assert any("per-site breakdown on the test patients only" in n for n in notes)


def test_site_drop_resamples_test_and_ood_independently(scored):
    task, _, report = scored
    assert task.paired_split("ood") is None
    drop = report["generalization/accuracy_drop"]
    assert "independent resamples of test and ood" in drop.definition
    notes = report.suites["generalization"].notes
    assert not any("measurement noise" in n for n in notes)


def _coded_task(with_measurement: bool):
    """A cohort whose first numeric feature is a 0/1 code stored as numbers."""
    rng = np.random.default_rng(5)
    n = 600
    frame = pd.DataFrame(
        {
            "smoker": rng.integers(0, 2, n).astype(float),
            "stage": rng.integers(0, 4, n),
            "sex": rng.choice(np.array(["F", "M"]), n),
        }
    )
    logit = frame["smoker"] - 0.5 * frame["stage"] + 0.5
    if with_measurement:
        frame["x1"] = rng.normal(size=n)
        logit = logit + 1.5 * frame["x1"]
    frame["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return build_task(
        frame, name="coded", target="label", positive_label="yes", sensitive=["sex"], seed=5
    )


def test_default_covariate_feature_is_a_continuous_measurement():
    shifts = {"shifts": {"kinds": ["covariate", "noise"], "severities": [1.0]}}
    report = score(task := _coded_task(True), generalization=shifts)
    assert task.features_of_kind("continuous")[0] == "smoker"
    notes = report.suites["generalization"].notes
    assert "covariate shift on feature 'x1'" in notes
    assert "feature 'x1'" in report["generalization/shift/covariate/1/accuracy"].definition
    report = score(_coded_task(False), generalization=shifts)
    notes = report.suites["generalization"].notes
    for kind in ("covariate", "noise"):
        assert (
            f"{kind} shift skipped: dataset 'coded' has no truly continuous feature (every "
            "numeric feature is integer-coded with at most 10 levels: smoker, stage)" in notes
        )
    assert not any("/shift/covariate/" in k for k in report.values())
