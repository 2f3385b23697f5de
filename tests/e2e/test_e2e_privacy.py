"""End to end: reference-model attacks logged to MLflow, recomputable from the logged scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from mlflow.tracking import MlflowClient
from tests.conftest import assert_every_key_registered, compose_config

from trustbench.experiment import run_experiment

ONLY_PRIVACY = [
    "suite.fairness.enabled=false",
    "suite.generalization.enabled=false",
    "suite.explainability.enabled=false",
]


@pytest.fixture(scope="module")
def privacy_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("privacy")
    cfg = compose_config(
        [
            "model=mlp",
            "suite.privacy.attacks=[loss,lira,lira_offline,rmia]",
            "suite.privacy.reference_models=4",
            *ONLY_PRIVACY,
        ],
        tracking_dir=tmp,
    )
    result = run_experiment(cfg)
    client = MlflowClient(f"sqlite:///{tmp}/mlflow.db")
    local = tmp / "artifacts"
    local.mkdir()
    client.download_artifacts(result.run_id, "", str(local))
    return result, client.get_run(result.run_id), local, tmp, cfg


def test_reference_attacks_log_metrics_roc_and_plot(privacy_run):
    result, run, local, _, _ = privacy_run
    metrics = run.data.metrics
    assert_every_key_registered(metrics)
    for attack in ("loss", "lira", "lira_offline", "rmia"):
        for name in ("auc", "balanced_accuracy", "advantage", "tpr_at_fpr_0.01", "tpr_at_fpr_0"):
            assert f"privacy/{attack}/{name}" in metrics
        assert f"privacy/{attack}/auc/ci_low" in metrics
        assert f"privacy/{attack}/epsilon_lower_bound" in metrics
        assert f"privacy/{attack}/sex/Male/auc" in metrics
    assert (local / "plots/attack_roc.png").stat().st_size > 0
    roc = pd.read_parquet(local / "privacy/roc.parquet")
    assert list(roc.columns) == ["attack", "fpr", "tpr", "threshold"]
    scores = pd.read_parquet(local / "privacy/mia_scores.parquet")
    for attack in ("lira", "rmia"):
        assert metrics[f"privacy/{attack}/auc"] == pytest.approx(
            skm.roc_auc_score(scores["member"], scores[attack]), abs=1e-12
        )
        curve = roc[roc["attack"] == attack]
        fpr, tpr, _ = skm.roc_curve(scores["member"], scores[attack], drop_intermediate=False)
        np.testing.assert_allclose(curve["fpr"], fpr)
        np.testing.assert_allclose(curve["tpr"], tpr)
    # with rmia, half of test is the population z: 108 non-members audited on heart
    assert (scores["member"] == 0).sum() == 108
    assert result.report.suites["privacy"].status == "ok"
    # 0.001 < 1/108: not resolvable on this audit set, so not logged, and the report says why
    assert "privacy/lira/tpr_at_fpr_0.001" not in metrics
    note = result.report["privacy/lira/tpr_at_fpr_0.001"].note
    assert "not resolvable: 108 non-members" in note


def test_reference_models_are_cached_beside_the_store_and_reused(privacy_run):
    _, _, _, tmp, cfg = privacy_run
    cached = list((tmp / "privacy_cache").glob("reference_*.npz"))
    assert len(cached) == 1
    cfg.suite.privacy.attacks = ["lira"]  # another target scoring, same recipe and data
    again = run_experiment(cfg)
    notes = " ".join(again.report.suites["privacy"].notes)
    assert "loaded from cache" in notes
    assert len(list((tmp / "privacy_cache").glob("reference_*.npz"))) == 1


def test_image_task_reference_attacks_and_canaries():
    cfg = compose_config(
        [
            "dataset=lesions",
            "dataset.n_samples=200",
            "dataset.n_ood=40",
            "dataset.size=32",
            "model=cnn",
            "trainer.epochs=1",
            "suite.privacy.attacks=[loss,lira,rmia]",
            "suite.privacy.reference_models=2",
            "suite.privacy.canaries=10",
            *ONLY_PRIVACY,
        ]
    )
    report = run_experiment(cfg, track=False).report
    suite = report.suites["privacy"]
    assert suite.status == "ok", suite.reason
    for key in ("lira/auc", "rmia/auc", "canary/guess_accuracy"):
        assert report[f"privacy/{key}"].value is not None
    assert report.run["n"]["train"] == 140  # canaries never reach the scored task
