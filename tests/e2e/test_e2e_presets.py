"""End to end: every experiment preset (configs/experiment/*.yaml), shrunk, run into a fresh
MLflow store; a preset that sweeps runs one of its jobs."""

from __future__ import annotations

import mlflow
import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf
from tests.conftest import compose_config

from trustbench.experiment import run_experiment, validate_config
from trustbench.run import group_options

#: Applied to every preset: small bootstrap, few explained rows, short training.
SHRINK = [
    "suite.bootstrap.n_resamples=40",
    "suite.explainability.n_rows=15",
    "suite.explainability.image_rows=6",
    "suite.explainability.robustness_rows=5",
    "suite.explainability.robustness_samples=2",
    "suite.explainability.sanity_rows=5",
    "suite.explainability.faithfulness_runs=4",
    "suite.explainability.pgi_samples=4",
    "suite.generalization.shifts.severities=[1.0]",
    "trainer.epochs=2",
    "tracking.log_model=false",
]
#: Per preset: what else keeps it to a few seconds (fewer reference models, a smaller task).
EXTRA = {
    "smoke": [],
    "heart_audit": [
        "suite.privacy.reference_models=2",
        "suite.privacy.canaries=10",
        "explainer.n_samples=16",
    ],
    "lesions_explainability": [
        "dataset.n_samples=120",
        "dataset.n_ood=30",
        "dataset.size=16",
        "explainer.n_steps=4",
        "suite.explainability.n_steps=4",
        "++suite.explainability.options.smoothgrad.nt_samples=2",
    ],
    "privacy_audit": ["suite.privacy.reference_models=2", "trainer.accountant=rdp"],
    # one job of the sweep (trainer=standard,fair x seeds): the mitigated one
    "fairness_mitigation": ["trainer.max_iter=5"],
}
PRESETS = group_options("experiment")


def test_every_preset_has_a_shrunk_run():
    assert set(PRESETS) == set(EXTRA)
    assert {"smoke", "heart_audit", "lesions_explainability", "privacy_audit"} <= set(PRESETS)


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_runs_end_to_end(preset, tmp_path):
    cfg = compose_config([f"experiment={preset}", *SHRINK, *EXTRA[preset]], tracking_dir=tmp_path)
    assert cfg.tracking.experiment == preset
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = run_experiment(cfg)
    run = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db").get_run(result.run_id)
    assert run.info.status == "FINISHED"
    suites = result.report.suites
    for family, suite in suites.items():
        enabled = cfg.suite[family].enabled
        assert suite.status == ("ok" if enabled else "disabled"), (family, suite.reason)
    metrics = run.data.metrics
    if preset == "privacy_audit":
        assert result.report.run["training"]["trainer"] == "dp"
        assert {"privacy/lira/auc", "privacy/rmia/auc", "privacy/dp/epsilon"} <= set(metrics)
    if preset == "heart_audit":
        assert {"privacy/lira_offline/auc", "privacy/canary/auc"} <= set(metrics)
        assert any(k.startswith("explainability/kernel_shap/") for k in metrics)
    if preset == "lesions_explainability":
        assert "explainability/integrated_gradients/pointing_game" in metrics
        assert "explainability/smoothgrad/deletion_auc" in metrics
    if preset == "fairness_mitigation":
        assert result.report.run["trainer"] == "fair"


def test_fairness_mitigation_sweeps_trainers_and_every_job_validates():
    with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=["experiment=fairness_mitigation"],
            return_hydra_config=True,
        )
    params = OmegaConf.to_container(cfg.hydra.sweeper.params)
    assert params["trainer"].split(",") == ["standard", "fair"]
    for trainer in params["trainer"].split(","):
        job = compose_config(["experiment=fairness_mitigation", f"trainer={trainer}"])
        validate_config(OmegaConf.to_container(job, resolve=True))
