"""End to end on other datasets, models and trainers (untracked: the report is checked)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import assert_every_key_registered, compose_config

from trustbench.experiment import run_experiment


def test_dp_run_reports_opacus_epsilon_within_target():
    cfg = compose_config(
        ["model=mlp", "trainer=dp", "trainer.target_epsilon=3", "trainer.epochs=3"]
    )
    report = run_experiment(cfg, track=False).report
    assert_every_key_registered(report.values())
    training = report.run["training"]
    assert training["trainer"] == "dp"
    assert training["accountant"] == "prv"
    assert 0 < report["privacy/dp/epsilon"].value <= 3.0
    assert report["privacy/dp/delta"].value == pytest.approx(1 / (10 * report.run["n"]["train"]))
    assert training["steps"] == training["accounted_steps"] > 0
    assert training["noise_multiplier"] > 0 and 0 < training["sample_rate"] < 1
    # every suite scores the DP model, gradient explainers included
    assert {name: s.status for name, s in report.suites.items()} == dict.fromkeys(
        report.suites, "ok"
    )
    assert report["explainability/saliency/deletion_auc"].value is not None


def test_dp_with_fixed_noise_and_rdp_accountant():
    cfg = compose_config(
        [
            "model=mlp",
            "trainer=dp",
            "trainer.target_epsilon=null",
            "trainer.noise_multiplier=2.0",
            "trainer.accountant=rdp",
            "trainer.epochs=2",
        ]
    )
    report = run_experiment(cfg, track=False).report
    assert report.run["training"]["noise_multiplier"] == 2.0
    assert report["privacy/dp/epsilon"].value > 0


def test_synthetic_mlp_scores_ground_truth_and_gradient_explainer():
    cfg = compose_config(
        [
            "dataset=synthetic",
            "dataset.n_samples=1200",
            "model=mlp",
            "trainer.epochs=30",
            "explainer=saliency",
            "suite.explainability.n_rows=150",
            "suite.explainability.baselines=[ablation,random]",
        ]
    )
    report = run_experiment(cfg, track=False).report
    values = report.values()
    for explainer in ("saliency", "ablation", "random"):
        for metric in ("deletion_auc", "gt_feature_agreement", "gt_rank_correlation"):
            assert values[f"explainability/{explainer}/{metric}"] is not None
    # explanations of a model that learned the task beat the random control on every metric
    for explainer in ("saliency", "ablation"):
        assert (
            values[f"explainability/{explainer}/deletion_auc"]
            < values["explainability/random/deletion_auc"] - 0.05
        )
        assert (
            values[f"explainability/{explainer}/gt_feature_agreement"]
            > values["explainability/random/gt_feature_agreement"] + 0.1
        )
        assert values[f"explainability/{explainer}/gt_global_rank_correlation"] > 0.6
    assert values["performance/roc_auc"] > 0.8


def test_breast_cancer_fairness_is_not_applicable_with_reason():
    cfg = compose_config(["dataset=breast_cancer", "model=gbdt"])
    report = run_experiment(cfg, track=False).report
    fairness = report.suites["fairness"]
    assert fairness.status == "not_applicable"
    assert "no sensitive attribute" in fairness.reason
    assert not any(k.startswith("fairness/") for k in report.values())
    assert report.suites["performance"].status == "ok"
    assert report.values()["generalization/ood_accuracy"] is not None


def test_a_disabled_suite_is_recorded_and_others_run():
    cfg = compose_config(["suite.privacy.enabled=false", "suite.explainability.enabled=false"])
    report = run_experiment(cfg, track=False).report
    assert report.suites["privacy"].status == "disabled"
    assert report.suites["explainability"].status == "disabled"
    assert report.suites["performance"].status == "ok"


def test_a_failing_suite_is_recorded_as_failed_and_logged(tmp_path, monkeypatch):
    import mlflow

    from trustbench import suites

    def broken(ctx, cfg):
        raise RuntimeError("attribution blew up")

    monkeypatch.setitem(suites.SUITES, "explainability", broken)
    monkeypatch.chdir(tmp_path)
    result = run_experiment(compose_config([], tracking_dir=tmp_path))
    suite = result.report.suites["explainability"]
    assert suite.status == "failed" and "attribution blew up" in suite.reason
    assert all(
        result.report.suites[f].status == "ok" for f in ("performance", "fairness", "privacy")
    )
    tags = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db").get_run(result.run_id).data.tags
    assert tags["trustbench.suite.explainability.status"] == "failed"
    assert "attribution blew up" in tags["trustbench.suite.explainability.reason"]


def test_csv_dataset_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    import pandas as pd

    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 80, n),
            "marker": rng.normal(size=n),
            "smoker": rng.choice(["yes", "no"], n),
            "sex": rng.choice(["F", "M"], n),
            "hospital": rng.choice(["A", "B", "C"], n),
        }
    )
    frame["outcome"] = np.where(frame["marker"] + rng.normal(scale=0.5, size=n) > 0, "sick", "well")
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    cfg = compose_config(
        [
            "dataset=csv",
            f"dataset.path={path}",
            "dataset.target=outcome",
            "dataset.sensitive=[sex]",
            "dataset.sensitive_bins={age:[0,50,65,200]}",
            "dataset.site=hospital",
            "dataset.ood_sites=[C]",
            "dataset.positive_label=sick",
        ]
    )
    report = run_experiment(cfg, track=False).report
    assert report.run["classes"] == ["well", "sick"]
    assert report.run["sensitive"] == ["sex", "age_group"]
    assert "fairness/age_group/demographic_parity_difference" in report.values()
    assert all(report.suites[f].status == "ok" for f in report.suites)
    assert report.values()["performance/roc_auc"] > 0.8
