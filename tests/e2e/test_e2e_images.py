"""End to end on image tasks: lesions + cnn logged to MLflow (every family but
explainability), the logged model reloads, shift numbers recompute from their artifact;
lesions + cnn under DP; digits + logreg."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from tests.conftest import assert_every_key_registered, compose_config, run_logged

from trustbench.data import load
from trustbench.experiment import run_experiment
from trustbench.report import FAMILIES

LESIONS = ["dataset=lesions", "dataset.n_samples=300", "dataset.n_ood=80", "dataset.size=16"]
SHIFTS = "suite.generalization.shifts.severities=[1.0]"
EXPLAIN = [
    "suite.explainability.image_rows=16",
    "suite.explainability.faithfulness_runs=8",
    "suite.explainability.robustness_rows=8",
    "suite.explainability.robustness_samples=2",
    "suite.explainability.sanity_rows=8",
]


@pytest.fixture(scope="module")
def lesions_run(tmp_path_factory):
    return run_logged(
        [*LESIONS, "model=cnn", SHIFTS, *EXPLAIN], tmp_path_factory.mktemp("lesions_run")
    )


def test_lesions_cnn_logs_every_family(lesions_run):
    _, run, local = lesions_run
    assert run.info.status == "FINISHED"
    assert_every_key_registered(run.data.metrics)
    families = {key.split("/")[0] for key in run.data.metrics}
    assert families == set(FAMILIES)
    tags = run.data.tags
    for family in FAMILIES:
        assert tags[f"trustbench.suite.{family}.status"] == "ok"
    metrics = run.data.metrics
    # localisation, faithfulness, robustness, complexity and sanity for saliency, IG and random
    for explainer in ("saliency", "integrated_gradients", "random"):
        for name in (
            "pointing_game",
            "relevance_mass_accuracy",
            "relevance_rank_accuracy",
            "deletion_auc",
            "insertion_auc",
            "faithfulness_correlation",
            "infidelity",
            "max_sensitivity",
            "relative_input_stability",
            "sparseness",
            "entropy",
            "randomisation_similarity",
        ):
            key = f"explainability/{explainer}/{name}"
            assert key in metrics and f"{key}/ci_low" in metrics, key
    assert (local / "plots" / "attribution_maps.png").exists()
    for name in (
        "performance/roc_auc",
        "fairness/sex/demographic_parity_difference",
        "generalization/ood_roc_auc",
        "generalization/site/D/accuracy",
        "generalization/shift/noise/1/accuracy",
        "generalization/shift/blur/1/roc_auc",
        "generalization/shift/contrast/1/ece",
        "generalization/shift/label_prior/1/accuracy",
        "privacy/loss/auc",
    ):
        assert name in metrics, name
    assert not any(k.startswith("generalization/shift/covariate/") for k in metrics)
    predictions = pd.read_parquet(local / "predictions.parquet")
    assert set(predictions["split"]) == {"train", "test", "ood"}
    assert {"sensitive_sex", "sensitive_age_group", "site"} <= set(predictions.columns)


def test_shift_numbers_recompute_from_the_artifact(lesions_run):
    _, run, local = lesions_run
    shifts = pd.read_parquet(local / "generalization/shifts.parquet")
    for kind in ("noise", "blur", "contrast"):
        rows = shifts.query("kind == @kind")
        accuracy = skm.accuracy_score(
            rows["y_true"], rows[["proba_0", "proba_1"]].to_numpy().argmax(1)
        )
        assert run.data.metrics[f"generalization/shift/{kind}/1/accuracy"] == pytest.approx(
            accuracy
        )


def test_logged_cnn_reloads_and_reproduces_the_predictions(lesions_run):
    result, run, local = lesions_run
    mlflow.set_tracking_uri(result.report.run["tracking_uri"])
    models = mlflow.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
        output_format="list",
    )
    model = mlflow.sklearn.load_model(f"models:/{models[0].model_id}")
    task = load("lesions", seed=0, n_samples=300, n_ood=80, size=16)
    predictions = pd.read_parquet(local / "predictions.parquet").query("split == 'ood'")
    np.testing.assert_allclose(
        model.predict_proba(task.ood.X), predictions[["proba_0", "proba_1"]].to_numpy(), atol=1e-6
    )


def test_lesions_cnn_trains_under_dp():
    off = ["suite.fairness.enabled=false", "suite.generalization.enabled=false"]
    # A fixed noise multiplier: calibrating one to a target epsilon costs the accountant
    # many evaluations (the default run's target_epsilon=3 is checked from the CLI).
    dp = ["trainer=dp", "trainer.epochs=2", "trainer.accountant=rdp"]
    dp += ["trainer.target_epsilon=null", "trainer.noise_multiplier=1.0"]
    result = run_experiment(compose_config([*LESIONS, "model=cnn", *dp, *off]), track=False)
    assert 0 < result.report.run["training"]["epsilon"] < 100
    assert result.report.run["training"]["noise_multiplier"] == 1.0
    privacy = {m.name: m.value for m in result.report.suites["privacy"].metrics}
    assert privacy["dp/epsilon"] == pytest.approx(result.report.run["training"]["epsilon"])


def test_digits_with_logreg_scores_without_fairness():
    cfg = compose_config(["dataset=digits", SHIFTS])
    report = run_experiment(cfg, track=False).report
    assert report.suites["fairness"].status == "not_applicable"
    performance = {m.name: m.value for m in report.suites["performance"].metrics}
    assert performance["accuracy"] > 0.9
    general = {m.name for m in report.suites["generalization"].metrics}
    assert {"ood_accuracy", "accuracy_drop", "shift/blur/1/accuracy"} <= general


def test_lesions_cnn_with_threshold_optimizer():
    fair = ["trainer=fair", "trainer.method=threshold_optimizer"]
    fair += ["trainer.constraint=true_positive_rate_parity", "trainer.sensitive=[sex]"]
    off = ["suite.generalization.enabled=false", "suite.privacy.enabled=false"]
    report = run_experiment(
        compose_config([*LESIONS, "model=cnn", *fair, *off]), track=False
    ).report
    assert report.run["training"]["method"] == "threshold_optimizer"
    fairness = {m.name: m.value for m in report.suites["fairness"].metrics}
    assert np.isfinite(fairness["sex/equal_opportunity_difference"])
