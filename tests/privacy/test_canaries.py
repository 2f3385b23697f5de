"""Canary audit: insertion, the one-run epsilon bound, and a tracked run with canaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from scipy import stats
from tests.conftest import compose_config

from trustbench.data import load
from trustbench.experiment import run_experiment
from trustbench.privacy.canaries import guess_epsilon_lower_bound, insert_canaries


def test_insert_canaries_only_changes_train():
    task = load("heart", seed=0)
    augmented, canaries = insert_canaries(task, 40, seed=0)
    k = int(canaries.included.sum())
    assert 0 < k < 40
    assert len(augmented.train) == len(task.train) + k
    assert augmented.splits["test"] is task.splits["test"]
    # mislabelled duplicates: the inserted rows carry the flipped label of their source row
    position = {r: i for i, r in enumerate(task.train.row_id)}
    source_y = task.train.y[[position[r] for r in canaries.source_row_id]]
    np.testing.assert_array_equal(canaries.y, (source_y + 1) % len(task.classes))
    np.testing.assert_array_equal(
        augmented.train.y[len(task.train) :], canaries.y[canaries.included]
    )
    assert (augmented.train.row_id[len(task.train) :] < 0).all()


def test_guess_bound_hand_cases():
    included = np.repeat([True, False], 20)
    perfect = guess_epsilon_lower_bound(np.arange(40.0)[::-1], included, k=10, level=0.95)
    p_lo = 0.05 ** (1 / 20)  # all 20 guesses correct: one-sided CP lower bound
    assert perfect["correct"] == 20 and perfect["epsilon"] == pytest.approx(
        np.log(p_lo / (1 - p_lo))
    )
    # 15 of 20 correct
    score = np.arange(40.0)[::-1].copy()
    score[[0, 1, 2, 3, 4]] = -np.arange(1, 6)  # five IN canaries pushed to the bottom
    res = guess_epsilon_lower_bound(score, included, k=10, level=0.95)
    ref = stats.binomtest(res["correct"], 20, alternative="greater").proportion_ci(0.95).low
    expected = np.log(ref / (1 - ref)) if ref > 0.5 else 0.0
    assert res["epsilon"] == pytest.approx(expected)
    chance = guess_epsilon_lower_bound(np.zeros(40), included, k=10)
    assert chance["epsilon"] == 0.0


def test_tracked_run_with_canaries_keeps_them_out_of_other_suites(tmp_path):
    cfg = compose_config(
        [
            "suite.privacy.canaries=40",
            "suite.explainability.enabled=false",
            "suite.fairness.enabled=false",
            "suite.generalization.enabled=false",
        ],
        tracking_dir=tmp_path,
    )
    result = run_experiment(cfg)
    report = result.report
    assert report.run["n"]["train"] == 504  # the scored task is the original one
    assert report.run["training"]["canaries_inserted"] > 0
    for key in ("canary/auc", "canary/guess_accuracy", "canary/epsilon_lower_bound"):
        assert report[f"privacy/{key}"].value is not None
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    local = tmp_path / "artifacts"
    local.mkdir()
    client.download_artifacts(result.run_id, "predictions.parquet", str(local))
    predictions = pd.read_parquet(local / "predictions.parquet")
    assert (predictions["row_id"] >= 0).all()
    assert (predictions["split"] == "train").sum() == 504
    run = client.get_run(result.run_id)
    assert run.data.params["suite.privacy.canaries"] == "40"
    assert "privacy/canary/epsilon_lower_bound" in run.data.metrics


def test_logged_model_carries_no_canary_data(tmp_path):
    """Canaries reach the privacy suite through its scoring context; the fitted model, and the
    model logged to MLflow, hold none of them."""
    import pickle

    import mlflow

    from trustbench.privacy.canaries import CanarySet

    cfg = compose_config(
        [
            "model=mlp",
            "trainer.epochs=2",
            "suite.privacy.canaries=20",
            "suite.explainability.enabled=false",
            "suite.fairness.enabled=false",
            "suite.generalization.enabled=false",
        ],
        tracking_dir=tmp_path,
    )
    result = run_experiment(cfg)
    assert "privacy/canary/epsilon_lower_bound" in result.report.values()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    run = MlflowClient().get_run(result.run_id)
    inserted = result.report.run["training"]["canaries_inserted"]
    assert run.data.params["training.canaries_inserted"] == str(inserted)
    (logged,) = mlflow.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
        output_format="list",
    )
    reloaded = mlflow.sklearn.load_model(f"models:/{logged.model_id}")
    for model in (result.model, reloaded):
        assert not any(isinstance(v, CanarySet) for v in vars(model).values())
        assert not hasattr(model, "canaries_")
        blob = pickle.dumps(model)
        assert b"CanarySet" not in blob and b"canar" not in blob
