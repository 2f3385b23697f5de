"""End to end: the real config, shrunk, run into a temporary MLflow store; then every logged
performance, fairness, calibration, uncertainty and privacy number is recomputed from the
artifacts with scikit-learn / fairlearn."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn import metrics as skm
from tests.conftest import assert_every_key_registered, compose_config, run_logged

from trustbench.experiment import run_experiment
from trustbench.metrics import REGISTRY, threshold_at_sensitivity
from trustbench.report import FAMILIES, TrustReport

ARTIFACTS = [
    "config.yaml",
    "trust_report.json",
    "predictions.parquet",
    "privacy/mia_scores.parquet",
    "explainability/attributions.npz",
    "uncertainty/groups.parquet",
    "uncertainty/calibration_rows.parquet",
    "plots/risk_coverage.png",
    "plots/decision_curve.png",
]


def ece_reference(y: np.ndarray, proba: np.ndarray, n_bins: int = 15) -> float:
    """Independent top-label ECE: a loop over right-closed equal-width bins."""
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(float)
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        in_bin = (confidence > lo) & (confidence <= hi) if b else (confidence <= hi)
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return total


@pytest.fixture(scope="module")
def heart_run(tmp_path_factory):
    """The default experiment (heart, logreg, standard), shrunk, logged to a fresh store."""
    return run_logged([], tmp_path_factory.mktemp("heart_run"))


def test_every_logged_key_of_the_default_run_is_registered(heart_run):
    assert_every_key_registered(heart_run[1].data.metrics)


def test_run_holds_every_family_and_every_artifact(heart_run):
    _, run, local = heart_run
    families = {key.split("/")[0] for key in run.data.metrics}
    assert families == set(FAMILIES)
    for family in FAMILIES:
        assert run.data.tags[f"trustbench.suite.{family}.status"] == "ok"
    for relative in ARTIFACTS:
        assert (local / relative).is_file(), relative
    assert run.info.status == "FINISHED"


def test_logged_model_reloads_and_reproduces_the_predictions(heart_run):
    result, run, local = heart_run
    uri = result.report.run["tracking_uri"]
    mlflow.set_tracking_uri(uri)
    models = mlflow.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
        output_format="list",
    )
    assert len(models) == 1 and models[0].name == "model"
    model = mlflow.sklearn.load_model(f"models:/{models[0].model_id}")
    predictions = pd.read_parquet(local / "predictions.parquet").query("split == 'test'")
    from trustbench.data import load

    task = load("heart", seed=0)
    np.testing.assert_allclose(
        model.predict_proba(task.test.X), predictions[["proba_0", "proba_1"]].to_numpy(), atol=1e-12
    )


def test_params_and_tags_record_the_run(heart_run):
    result, run, local = heart_run
    params, tags = run.data.params, run.data.tags
    assert params["dataset.name"] == "heart"
    assert params["model.name"] == "logreg"
    assert params["trainer.name"] == "standard"
    assert params["seed"] == "0"
    assert len(tags["trustbench.run_identity"]) == 16
    assert len(tags["trustbench.dataset_fingerprint"]) == 64
    assert tags["trustbench.dataset_fingerprint"] == result.report.run["fingerprint"]
    config = yaml.safe_load((local / "config.yaml").read_text())
    assert config["dataset"]["name"] == "heart"


def test_every_metric_has_its_interval(heart_run):
    _, run, _ = heart_run
    metrics = run.data.metrics
    for key in (
        "performance/accuracy",
        "performance/roc_auc",
        "fairness/sex/demographic_parity_difference",
        "generalization/ece",
        "privacy/loss/auc",
        "explainability/ablation/deletion_auc",
    ):
        assert metrics[f"{key}/ci_low"] <= metrics[key] + 1e-12 or key == "generalization/ece"
        assert metrics[f"{key}/ci_low"] < metrics[f"{key}/ci_high"]


def test_trust_report_round_trips(heart_run):
    result, run, local = heart_run
    report = TrustReport.from_json((local / "trust_report.json").read_text())
    assert report.values() == result.report.values()
    for metric in report.metrics():
        # a group's selection rate is descriptive ("none"): never ranked, never "higher is better";
        # a calibration slope's ideal is 1 ("target:1")
        assert metric.direction in ("max", "min", "target:0", "target:0.5", "target:1", "none")
        assert metric.direction == REGISTRY.require(metric.key).spec.direction
        if metric.value is not None:
            assert run.data.metrics[metric.key] == pytest.approx(metric.value, abs=0, rel=0)


def test_performance_and_calibration_recomputed_from_predictions(heart_run):
    _, run, local = heart_run
    metrics = run.data.metrics
    predictions = pd.read_parquet(local / "predictions.parquet")
    assert set(predictions["split"]) == {"train", "test", "ood"}
    test = predictions[predictions["split"] == "test"]
    y, proba = test["y_true"].to_numpy(), test[["proba_0", "proba_1"]].to_numpy()
    assert metrics["performance/accuracy"] == pytest.approx(
        skm.accuracy_score(y, test["y_pred"]), abs=1e-12
    )
    assert metrics["performance/balanced_accuracy"] == pytest.approx(
        skm.balanced_accuracy_score(y, test["y_pred"]), abs=1e-12
    )
    assert metrics["performance/roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba[:, 1]), abs=1e-12
    )
    assert metrics["performance/log_loss"] == pytest.approx(
        skm.log_loss(y, proba, labels=[0, 1]), abs=1e-9
    )
    assert metrics["performance/brier"] == pytest.approx(
        skm.brier_score_loss(y, proba[:, 1]), abs=1e-12
    )
    assert metrics["generalization/ece"] == pytest.approx(ece_reference(y, proba), abs=1e-12)
    ood = predictions[predictions["split"] == "ood"]
    ood_acc = skm.accuracy_score(ood["y_true"], ood["y_pred"])
    assert metrics["generalization/ood_accuracy"] == pytest.approx(ood_acc, abs=1e-12)
    assert metrics["generalization/accuracy_drop"] == pytest.approx(
        skm.accuracy_score(y, test["y_pred"]) - ood_acc, abs=1e-12
    )
    assert metrics["generalization/ood_roc_auc"] == pytest.approx(
        skm.roc_auc_score(ood["y_true"], ood["proba_1"]), abs=1e-12
    )
    assert metrics["generalization/ood_ece"] == pytest.approx(
        ece_reference(ood["y_true"].to_numpy(), ood[["proba_0", "proba_1"]].to_numpy()), abs=1e-12
    )
    assert set(ood["site"]) == {"VA Long Beach"}


def test_clinical_performance_recomputed_from_predictions(heart_run):
    _, run, local = heart_run
    metrics = run.data.metrics
    test = pd.read_parquet(local / "predictions.parquet").query("split == 'test'")
    y, y_pred, p1 = test["y_true"].to_numpy(), test["y_pred"].to_numpy(), test["proba_1"].to_numpy()
    tn, fp, fn, tp = skm.confusion_matrix(y, y_pred).ravel()
    assert metrics["performance/sensitivity"] == pytest.approx(tp / (tp + fn), abs=1e-12)
    assert metrics["performance/specificity"] == pytest.approx(tn / (tn + fp), abs=1e-12)
    assert metrics["performance/ppv"] == pytest.approx(tp / (tp + fp), abs=1e-12)
    assert metrics["performance/npv"] == pytest.approx(tn / (tn + fn), abs=1e-12)
    assert metrics["performance/auprc"] == pytest.approx(
        skm.average_precision_score(y, p1), abs=1e-12
    )
    assert metrics["performance/net_benefit"] == pytest.approx((tp - fp) / len(y), abs=1e-12)
    assert metrics["performance/no_skill_accuracy"] == pytest.approx(
        max(y.mean(), 1 - y.mean()), abs=1e-12
    )
    t = threshold_at_sensitivity(y, p1, 0.9)
    assert metrics["performance/at_sensitivity_0.9/specificity"] == pytest.approx(
        skm.recall_score(y, p1 >= t, pos_label=0), abs=1e-12
    )
    assert metrics["performance/at_sensitivity_0.9/specificity"] == pytest.approx(
        metrics["fairness/at_sensitivity_0.9/specificity"], abs=1e-12
    )  # the same operating point as the fairness suite
    report = json.loads((local / "trust_report.json").read_text())
    assert report["run"]["positive_class"].startswith("positive class 'present' (classes[1])")
    assert report["suites"]["performance"]["notes"][0].startswith("positive class 'present'")
    assert report["suites"]["performance"]["warnings"] == []


def test_fairness_recomputed_with_fairlearn(heart_run):
    _, run, local = heart_run
    metrics = run.data.metrics
    test = pd.read_parquet(local / "predictions.parquet").query("split == 'test'")
    worst_dp = worst_eo = 0.0
    for attribute in ("sex", "age_group"):
        groups = test[f"sensitive_{attribute}"]
        dp = demographic_parity_difference(
            test["y_true"], test["y_pred"], sensitive_features=groups
        )
        eo = equalized_odds_difference(test["y_true"], test["y_pred"], sensitive_features=groups)
        assert metrics[f"fairness/{attribute}/demographic_parity_difference"] == pytest.approx(
            dp, abs=1e-12
        )
        assert metrics[f"fairness/{attribute}/equalized_odds_difference"] == pytest.approx(
            eo, abs=1e-12
        )
        worst_dp, worst_eo = max(worst_dp, dp), max(worst_eo, eo)
        for group, rows in test.groupby(groups):
            safe = group.replace("<", "lt").replace("+", "plus")
            key = f"fairness/{attribute}/{safe}/accuracy"
            assert metrics[key] == pytest.approx(
                skm.accuracy_score(rows["y_true"], rows["y_pred"]), abs=1e-12
            )
    assert metrics["fairness/demographic_parity_difference"] == pytest.approx(worst_dp, abs=1e-12)
    assert metrics["fairness/equalized_odds_difference"] == pytest.approx(worst_eo, abs=1e-12)


def test_privacy_recomputed_from_attack_scores(heart_run):
    _, run, local = heart_run
    metrics = run.data.metrics
    scores = pd.read_parquet(local / "privacy/mia_scores.parquet")
    assert scores["member"].sum() == (1 - scores["member"]).sum()  # balanced audit set
    assert set(scores.loc[scores["member"] == 1, "split"]) == {"train"}
    assert set(scores.loc[scores["member"] == 0, "split"]) == {"test"}
    auc = skm.roc_auc_score(scores["member"], scores["loss"])
    assert metrics["privacy/loss/auc"] == pytest.approx(auc, abs=1e-12)
    fpr, tpr, _ = skm.roc_curve(scores["member"], scores["loss"])
    assert metrics["privacy/loss/tpr_at_fpr_0.01"] == pytest.approx(
        tpr[fpr <= 0.01].max(), abs=1e-12
    )
    assert metrics["privacy/loss/advantage"] == pytest.approx((tpr - fpr).max(), abs=1e-12)
    # the member scores are log p(y_true) of the logged train predictions
    predictions = (
        pd.read_parquet(local / "predictions.parquet").query("split == 'train'").set_index("row_id")
    )
    members = scores[scores["member"] == 1].set_index("row_id")
    p_true = predictions.loc[members.index].apply(lambda r: r[f"proba_{int(r['y_true'])}"], axis=1)
    np.testing.assert_allclose(members["loss"], np.log(p_true), atol=1e-12)


def test_same_config_and_seed_give_identical_metrics(tmp_path):
    cfg = compose_config(["model=mlp"], tracking_dir=tmp_path)
    first = run_experiment(cfg, track=False).report.values()
    second = run_experiment(cfg, track=False).report.values()
    assert first == second
    other_seed = run_experiment(
        compose_config(["model=mlp", "seed=1"]), track=False
    ).report.values()
    assert other_seed != first


def _fairlearn_gaps(y, y_pred, groups):
    """Every fairness scalar of the run, computed by fairlearn on explicit rows."""
    import warnings

    import fairlearn.metrics as flm

    kw = {"sensitive_features": groups}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "demographic_parity_difference": flm.demographic_parity_difference(y, y_pred, **kw),
            "demographic_parity_ratio": flm.demographic_parity_ratio(y, y_pred, **kw),
            "equalized_odds_difference": flm.equalized_odds_difference(y, y_pred, **kw),
            "equalized_odds_ratio": flm.equalized_odds_ratio(y, y_pred, **kw),
            "equalized_odds_difference_mean": flm.equalized_odds_difference(
                y, y_pred, agg="mean", **kw
            ),
            "equalized_odds_ratio_mean": flm.equalized_odds_ratio(y, y_pred, agg="mean", **kw),
            "equal_opportunity_difference": flm.equal_opportunity_difference(y, y_pred, **kw),
            "equal_opportunity_ratio": flm.equal_opportunity_ratio(y, y_pred, **kw),
            "accuracy_score_difference": flm.accuracy_score_difference(y, y_pred, **kw),
            "accuracy_score_group_min": flm.accuracy_score_group_min(y, y_pred, **kw),
        }


def test_every_fairness_scalar_and_group_value_recomputed_with_fairlearn(heart_run):
    _, run, local = heart_run
    metrics = run.data.metrics
    test = pd.read_parquet(local / "predictions.parquet").query("split == 'test'")
    y, y_pred, score = test["y_true"], test["y_pred"], test["proba_1"].to_numpy()
    pos = score[y == 1]
    threshold = max(t for t in np.unique(pos) if np.mean(pos >= t) >= 0.9 - 1e-12)
    at_point = (score >= threshold).astype(int)
    crossed = test["sensitive_sex"] + " x " + test["sensitive_age_group"]
    for key, groups in (
        ("sex", test["sensitive_sex"]),
        ("age_group", test["sensitive_age_group"]),
        ("sex_x_age_group", crossed),
    ):
        for name, value in _fairlearn_gaps(y, y_pred, groups).items():
            assert metrics[f"fairness/{key}/{name}"] == pytest.approx(value, abs=1e-12), name
        at = _fairlearn_gaps(y, at_point, groups)
        for name in ("demographic_parity_difference", "equalized_odds_difference"):
            assert metrics[f"fairness/at_sensitivity_0.9/{key}/{name}"] == pytest.approx(
                at[name], abs=1e-12
            )
    table = pd.read_parquet(local / "fairness/groups.parquet")
    for group, rows in test.groupby("sensitive_sex"):
        assert metrics[f"fairness/sex/{group}/true_positive_rate"] == pytest.approx(
            skm.recall_score(rows["y_true"], rows["y_pred"]), abs=1e-12
        )
        assert metrics[f"fairness/sex/{group}/selection_rate"] == pytest.approx(
            rows["y_pred"].mean(), abs=1e-12
        )
        in_group = test["sensitive_sex"] == group
        groups_ece = ece_reference(
            rows["y_true"].to_numpy(), rows[["proba_0", "proba_1"]].to_numpy()
        )
        logged = table.query(
            "attribute == 'sex' and group == @group and metric == 'ece' "
            "and operating_point == 'argmax'"
        )["value"]
        assert logged.item() == pytest.approx(groups_ece, abs=1e-12)
        assert (
            int(in_group.sum())
            == table.query("attribute == 'sex' and group == @group")["n"].iloc[0]
        )
    assert (local / "plots/fairness_by_sex_x_age_group.png").is_file()


def test_generalization_in_depth_recomputed_from_the_artifacts(heart_run):
    _, run, local = heart_run
    metrics = run.data.metrics
    predictions = pd.read_parquet(local / "predictions.parquet")
    by_split = {s: f for s, f in predictions.groupby("split")}
    test, ood, train = by_split["test"], by_split["ood"], by_split["train"]

    def proba(frame):
        return frame[["proba_0", "proba_1"]].to_numpy()

    assert metrics["generalization/ood_brier"] == pytest.approx(
        skm.brier_score_loss(ood["y_true"], ood["proba_1"]), abs=1e-12
    )
    assert metrics["generalization/ood_log_loss"] == pytest.approx(
        skm.log_loss(ood["y_true"], proba(ood), labels=[0, 1]), abs=1e-9
    )
    assert metrics["generalization/roc_auc_drop"] == pytest.approx(
        skm.roc_auc_score(test["y_true"], test["proba_1"])
        - skm.roc_auc_score(ood["y_true"], ood["proba_1"]),
        abs=1e-12,
    )
    assert metrics["generalization/ece_drop"] == pytest.approx(
        ece_reference(ood["y_true"].to_numpy(), proba(ood))
        - ece_reference(test["y_true"].to_numpy(), proba(test)),
        abs=1e-12,
    )
    assert metrics["generalization/train_test_gap/accuracy"] == pytest.approx(
        skm.accuracy_score(train["y_true"], train["y_pred"])
        - skm.accuracy_score(test["y_true"], test["y_pred"]),
        abs=1e-12,
    )
    sites = pd.concat([test, ood])
    for site, rows in sites.groupby("site"):
        assert metrics[f"generalization/site/{site}/roc_auc"] == pytest.approx(
            skm.roc_auc_score(rows["y_true"], rows["proba_1"]), abs=1e-12
        )
    assert metrics["generalization/worst_site_accuracy"] == pytest.approx(
        (sites["y_true"] == sites["y_pred"]).groupby(sites["site"]).mean().min()
    )
    gaps = _fairlearn_gaps(ood["y_true"], ood["y_pred"], ood["sensitive_sex"])
    assert metrics[
        "generalization/ood_fairness/sex/demographic_parity_difference"
    ] == pytest.approx(gaps["demographic_parity_difference"], abs=1e-12)
    shifts = pd.read_parquet(local / "generalization/shifts.parquet")
    for (kind, severity), rows in shifts.groupby(["kind", "severity"]):
        key = f"generalization/shift/{kind}/{severity:g}"
        assert metrics[f"{key}/accuracy"] == pytest.approx(
            skm.accuracy_score(
                rows["y_true"],
                rows[["proba_0", "proba_1"]].to_numpy().argmax(1),
                sample_weight=rows["weight"],
            ),
            abs=1e-12,
        )
        assert metrics[f"{key}/roc_auc"] == pytest.approx(
            skm.roc_auc_score(rows["y_true"], rows["proba_1"], sample_weight=rows["weight"]),
            abs=1e-12,
        )
    assert set(shifts["row_id"]) == set(test["row_id"])
    for plot in ("plots/reliability_diagram.png", "plots/shift_curves.png"):
        assert (local / plot).is_file()


def test_uncertainty_recomputed_from_the_artifacts(heart_run):
    """Split conformal LAC sets by hand (the k-th smallest calibration score, k = ceil(0.9 (n +
    1))) on the logged calibration rows, and the OOD AUROC of the top-label probability."""
    _, run, local = heart_run
    metrics = run.data.metrics
    predictions = pd.read_parquet(local / "predictions.parquet")
    parts = pd.read_parquet(local / "uncertainty/calibration_rows.parquet")
    test = predictions[predictions["split"] == "test"].merge(parts, on="row_id")
    cal, scored = test[test["part"] == "calibration"], test[test["part"] == "scored"]

    def true_score(frame):  # LAC: 1 - p_y
        proba = frame[["proba_0", "proba_1"]].to_numpy()
        return 1 - proba[np.arange(len(frame)), frame["y_true"].to_numpy()]

    s = np.sort(true_score(cal))
    q = s[int(np.ceil(0.9 * (len(s) + 1))) - 1]
    ood = predictions[predictions["split"] == "ood"]
    for split, frame in (("test", scored), ("ood", ood)):
        covered = true_score(frame) <= q + 1e-8
        in_set = 1 - frame[["proba_0", "proba_1"]].to_numpy() <= q + 1e-8
        assert metrics[f"uncertainty/lac/{split}/coverage"] == pytest.approx(covered.mean())
        assert metrics[f"uncertainty/lac/{split}/set_size"] == pytest.approx(in_set.sum(1).mean())
    both = pd.concat([predictions[predictions["split"] == "test"], ood])
    assert metrics["uncertainty/ood_detection/msp/auroc"] == pytest.approx(
        skm.roc_auc_score(both["split"] == "ood", -both[["proba_0", "proba_1"]].max(axis=1)),
        abs=1e-12,
    )
