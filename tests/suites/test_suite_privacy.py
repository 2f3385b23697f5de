"""The privacy suite: its config checks, the expected behaviour of the attacks and of DP."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

import trustbench
from trustbench.data import load
from trustbench.errors import ConfigError
from trustbench.models import TorchClassifier
from trustbench.models.mlp import MLP
from trustbench.suites.privacy.suite import check_config


def test_check_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="reference_models"):
        check_config({"attacks": ["lira"], "reference_models": 0})
    with pytest.raises(ConfigError, match="trainer=fair"):
        check_config({"attacks": ["rmia"], "reference_models": 4}, trainer="fair")
    check_config({"attacks": ["rmia"], "reference_models": 4}, trainer="dp")  # DP-SGD references
    with pytest.raises(ConfigError, match="lira_variance"):
        check_config({"attacks": ["loss"], "lira_variance": "global"})
    with pytest.raises(ConfigError, match="Did you mean 'lira'"):
        check_config({"attacks": ["lirra"]})


OVERFIT_PRIVACY = {
    "bootstrap": {"n_resamples": 50},
    "privacy": {
        "attacks": ["loss", "lira", "lira_offline", "rmia"],
        "reference_models": 8,
        "fpr_levels": [0.05, 0.0],
        "per_group": False,
    },
}


def _overfit_task():
    return load("synthetic", seed=0, n_samples=300, n_categorical=0, n_informative=2)


@pytest.fixture(scope="module")
def overfit_report():
    """A wide MLP trained long on 210 noisy rows: it memorises its training labels."""
    torch.set_num_threads(1)
    task = _overfit_task()
    model = TorchClassifier(
        partial(MLP, hidden_sizes=(64, 64), dropout=0.0),
        task.features,
        epochs=80,
        batch_size=32,
        lr=3e-3,
        weight_decay=0.0,
        seed=0,
        device="cpu",
    ).fit(task.train.X, task.train.y)
    return trustbench.score(model, task, suites=["privacy"], seed=0, config=OVERFIT_PRIVACY)


def test_reference_attacks_beat_loss_threshold_at_low_fpr(overfit_report):
    values = overfit_report.values()
    loss = values["privacy/loss/tpr_at_fpr_0.05"]
    for attack in ("lira", "rmia"):
        assert values[f"privacy/{attack}/tpr_at_fpr_0.05"] > loss + 0.1, attack
        assert values[f"privacy/{attack}/auc"] > values["privacy/loss/auc"]
    assert overfit_report.suites["privacy"].status == "ok"
    scores = overfit_report.artifacts["privacy/mia_scores.parquet"]
    assert {"loss", "lira", "lira_offline", "rmia", "member", "row_id", "split"} <= set(scores)
    roc = overfit_report.artifacts["privacy/roc.parquet"]
    assert set(roc["attack"]) == {"loss", "lira", "lira_offline", "rmia"}


def test_dp_sgd_reference_models_find_no_leak_in_the_same_recipe_at_epsilon_one(
    make_config, overfit_report
):
    """The overfit recipe, trained with DP-SGD at epsilon 1: LiRA and RMIA, whose reference
    models are trained with DP-SGD too, fall to chance and stay below the guarantee."""
    from trustbench.training import train

    cfg = make_config(
        [
            "model=mlp",
            "model.module.dropout=0.0",
            "trainer=dp",
            "trainer.target_epsilon=1.0",
            "trainer.epochs=30",
            "trainer.batch_size=32",
            "trainer.grad_sample_mode=functorch",
        ]
    )
    task = _overfit_task()
    trained = train(cfg.model, cfg.trainer, task, seed=0, device="cpu")
    report = trustbench.score(
        trained.model,
        task,
        suites=["privacy"],
        seed=0,
        config=OVERFIT_PRIVACY,
        training=trained.record,
    )
    values = report.values()
    eps = values["privacy/dp/epsilon"]
    assert eps == pytest.approx(1.0, abs=0.05)
    for attack in ("lira", "lira_offline", "rmia"):
        auc = report[f"privacy/{attack}/auc"]
        assert auc.ci_low < 0.5 < auc.ci_high, attack
        assert overfit_report.values()[f"privacy/{attack}/auc"] > auc.value + 0.1, attack
        assert values[f"privacy/{attack}/epsilon_lower_bound"] < eps, attack
    assert any("reference models: 8 (trained)" in note for note in report.suites["privacy"].notes)


def test_dp_at_epsilon_one_stays_near_chance_and_below_its_guarantee(make_config):
    from trustbench.experiment import run_experiment

    only_privacy = [
        "suite.fairness.enabled=false",
        "suite.generalization.enabled=false",
        "suite.explainability.enabled=false",
    ]
    dp_overrides = [
        "trainer=dp",
        "trainer.target_epsilon=1.0",
        "trainer.epochs=10",
        "trainer.grad_sample_mode=functorch",
        "trainer.accountant=rdp",
    ]
    dp = run_experiment(
        make_config(["model=mlp", *dp_overrides, *only_privacy]), track=False
    ).report
    plain = run_experiment(
        make_config(["model=mlp", "trainer.epochs=30", *only_privacy]), track=False
    ).report
    eps = dp["privacy/dp/epsilon"].value
    assert eps == pytest.approx(1.0, abs=0.05)
    auc = dp["privacy/loss/auc"]
    assert abs(auc.value - 0.5) < 0.05 and auc.ci_low < 0.5 < auc.ci_high
    assert plain["privacy/loss/auc"].value > auc.value + 0.05  # the non-private model leaks
    for attack in ("loss", "confidence", "entropy", "modified_entropy"):
        assert dp[f"privacy/{attack}/epsilon_lower_bound"].value < eps
    assert dp["privacy/dp/audit_violation"].value == 0.0
    assert not dp.suites["privacy"].warnings


def test_dp_guarantee_flags_an_empirical_bound_above_epsilon():
    from trustbench.suites.privacy.audit import dp_guarantee
    from trustbench.training.record import DPRecord

    training = DPRecord(epsilon=1.0, delta=1e-5, accountant="prv")
    metrics, notes, warnings = dp_guarantee(training, 100, {"loss": 0.2, "lira": 1.7})
    by_name = {m.name: m.value for m in metrics}
    assert by_name == {"dp/epsilon": 1.0, "dp/delta": 1e-5, "dp/audit_violation": 1.0}
    assert warnings == [
        "warning: empirical epsilon lower bound 1.700 of attack lira exceeds the DP guarantee "
        "epsilon 1.000: a bug or a broken guarantee"
    ]
    assert "prv accountant" in notes[0]
    ok_metrics, _, ok_warnings = dp_guarantee(training, 100, {"loss": 0.2})
    assert ok_metrics[-1].value == 0.0 and not ok_warnings
    none_metrics, none_notes, _ = dp_guarantee(None, 100, {"loss": 3.0})
    assert none_metrics == [] and "not trained with differential privacy" in none_notes[0]


def test_attack_roc_plot_draws_every_attack_and_resolvable_levels():
    from trustbench.plots import attack_roc

    member = np.repeat([1, 0], 50)
    score = np.random.default_rng(0).normal(member, 1.0)
    fig = attack_roc(member, {"loss": score, "lira": 2 * score}, fpr_levels=[0.1, 0.001])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "lira", "chance"]
    verticals = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(verticals) == 1  # 0.001 < 1/50 is not resolvable on 50 non-members
    assert ax.get_xscale() == "log" and ax.get_xlim()[0] == pytest.approx(0.02)
