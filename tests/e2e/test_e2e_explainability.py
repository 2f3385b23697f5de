"""End to end: ``trustbench dataset=synthetic model=gbdt explainer=kernel_shap`` (shrunk) logs
ground-truth agreement for a scikit-learn model, with CIs, and the attributions artifact."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from tests.conftest import compose_config

from trustbench.experiment import run_experiment


def test_gbdt_kernel_shap_logs_ground_truth_agreement(tmp_path):
    cfg = compose_config(
        [
            "dataset=synthetic",
            "dataset.n_samples=600",
            "model=gbdt",
            "model.estimator.max_iter=30",
            "explainer=kernel_shap",
            "explainer.n_samples=64",
            "suite.explainability.n_rows=30",
            "suite.explainability.robustness_rows=10",
            "suite.explainability.robustness_samples=2",
            "suite.privacy.enabled=false",
            "suite.generalization.enabled=false",
            "suite.fairness.enabled=false",
        ],
        tracking_dir=tmp_path,
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = run_experiment(cfg)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    metrics = client.get_run(result.run_id).data.metrics
    for name in (
        "gt_feature_agreement",
        "gt_rank_agreement",
        "gt_sign_agreement",
        "gt_pairwise_rank_agreement",
        "gt_rank_correlation",
    ):
        key = f"explainability/kernel_shap/{name}"
        assert key in metrics and f"{key}/ci_low" in metrics and f"{key}/ci_high" in metrics
        assert metrics[key] >= metrics["explainability/random/" + name]
    assert metrics["explainability/kernel_shap/gt_feature_agreement"] > 0.5
    assert "explainability/kernel_shap/deletion_auc" in metrics
    local = Path(client.download_artifacts(result.run_id, "explainability", str(tmp_path / "a")))
    npz = np.load(local / "attributions.npz")
    assert npz["kernel_shap"].shape == (30, len(npz["feature_names"]))
