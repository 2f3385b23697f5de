"""trainer=fair: fairlearn's mitigators behind the predict_proba facade, their randomization,
the sensitive-feature hook, and the configuration errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from omegaconf import OmegaConf
from tests.conftest import compose_config

import trustbench
from trustbench import experiment
from trustbench.data import load
from trustbench.errors import ConfigError, DataError, ModelOutputError
from trustbench.metrics import equalized_odds_difference
from trustbench.training import train
from trustbench.training.fair import FairClassifier, check_fair_config


def configs(*overrides: str) -> tuple[dict, dict]:
    cfg = OmegaConf.to_container(compose_config(["trainer=fair", *overrides]), resolve=True)
    return cfg["model"], cfg["trainer"]


@pytest.fixture(scope="module")
def biased():
    return load("synthetic", seed=0, n_samples=800, bias=3.0)


@pytest.fixture(scope="module")
def exponentiated(biased):
    model_cfg, trainer_cfg = configs("trainer.max_iter=15")
    return train(model_cfg, trainer_cfg, biased, seed=0)


def eod(task, model, split="test"):
    data = task.splits[split]
    proba = (
        model.predict_proba(data.X, sensitive=data.sensitive)
        if getattr(model, "requires_sensitive", False)
        else model.predict_proba(data.X)
    )
    return equalized_odds_difference(data.y, proba.argmax(1), data.sensitive["group"].to_numpy())


def test_exponentiated_gradient_proba_is_fairlearn_pmf_and_predict_is_seeded(biased, exponentiated):
    model, record = exponentiated.model, exponentiated.record
    info = record.fair
    assert isinstance(model, FairClassifier) and model.randomized and not model.requires_sensitive
    X = biased.test.X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pmf = model.mitigator_._pmf_predict(X)
        drawn = model.mitigator_.predict(X, random_state=0)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, pmf, atol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), drawn)
    np.testing.assert_array_equal(model.predict(X), model.predict(X))
    assert record.trainer == "fair" and info.method == "exponentiated_gradient"
    assert info.constraint == "equalized_odds" and info.tolerance == 0.01
    assert info.sensitive == "group" and info.randomized is True
    assert info.random_state == 0 and info.n_predictors >= 1


def test_equalized_odds_constraint_lowers_the_gap(biased, exponentiated):
    model_cfg, _ = configs()
    standard = train(model_cfg, {"name": "standard"}, biased, seed=0).model
    _, trainer_cfg = configs("trainer.method=threshold_optimizer")
    post = train(model_cfg, trainer_cfg, biased, seed=0).model
    base = eod(biased, standard)
    assert base > 0.3  # strong bias: the unmitigated model's odds differ by group
    assert eod(biased, exponentiated.model) < base - 0.15
    assert eod(biased, post) < base - 0.15


def test_threshold_optimizer_takes_groups_from_x_or_the_sensitive_frame(biased):
    model_cfg, trainer_cfg = configs("trainer.method=threshold_optimizer")
    result = train(model_cfg, trainer_cfg, biased, seed=0)
    model = result.model
    assert model.requires_sensitive and model.randomized
    assert result.record.fair.tolerance == 0.0 and result.record.fair.objective == "accuracy_score"
    test = biased.test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pmf = model.mitigator_._pmf_predict(test.X, sensitive_features=test.sensitive["group"])
        drawn = model.mitigator_.predict(
            test.X, sensitive_features=test.sensitive["group"], random_state=0
        )
    np.testing.assert_allclose(model.predict_proba(test.X), pmf, atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(test.X, sensitive=test.sensitive), pmf)
    np.testing.assert_array_equal(model.predict(test.X), drawn)
    with pytest.raises(ModelOutputError, match=r"needs the sensitive attribute\(s\) \['group'\]"):
        model.predict_proba(test.X.drop(columns=["group"]))
    unseen = test.sensitive.assign(group="C")
    with pytest.raises(ModelOutputError, match=r"group\(s\) \['C'\] of \['group'\] were not in"):
        model.predict_proba(test.X, sensitive=unseen)


def test_score_passes_the_split_groups_when_the_attribute_is_not_a_feature():
    task = load("synthetic", seed=1, n_samples=400, bias=2.0, sensitive_as_features=False)
    assert "group" not in task.test.X.columns
    model_cfg, trainer_cfg = configs(
        "model=mlp", "trainer.method=threshold_optimizer", "trainer.epochs=2"
    )
    model = train(model_cfg, trainer_cfg, task, seed=0, device="cpu").model
    report = trustbench.score(
        model,
        task,
        suites=["performance", "fairness"],
        config={"bootstrap": {"n_resamples": 50}, "fairness": {"plots": False}},
    )
    assert report.suites["fairness"].status == "ok"
    frame = report.artifacts["predictions.parquet"].query("split == 'test'")
    np.testing.assert_allclose(
        frame[["proba_0", "proba_1"]],
        model.predict_proba(task.test.X, sensitive=task.test.sensitive),
    )


def test_grid_search_is_deterministic(biased):
    model_cfg, trainer_cfg = configs(
        "trainer.method=grid_search", "trainer.grid_size=3", "trainer.constraint=demographic_parity"
    )
    result = train(model_cfg, trainer_cfg, biased, seed=0)
    model = result.model
    assert not model.randomized and result.record.fair.grid_size == 3
    best = model.mitigator_.predictors_[model.mitigator_.best_idx_]
    np.testing.assert_allclose(
        model.predict_proba(biased.test.X), best.predict_proba(biased.test.X)
    )
    np.testing.assert_array_equal(model.predict(biased.test.X), best.predict(biased.test.X))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["trainer.method=exponential_gradient"],
            "Unknown method 'exponential_gradient'. Did you mean 'exponentiated_gradient'?",
        ),
        (["trainer.constraint=equal_odds"], "Did you mean 'equalized_odds'?"),
        (
            ["model=mlp"],
            "needs a scikit-learn estimator that accepts sample_weight; received model 'mlp' (torch)",
        ),
        (
            ["trainer.method=threshold_optimizer", "trainer.tolerance=0.05"],
            "enforces equalized_odds exactly and cannot relax it",
        ),
        (["trainer.tolerance=2"], "trainer.tolerance: expected null or a number in (0, 1)"),
        (
            ["trainer.method=threshold_optimizer", "trainer.objective=selection_rate"],
            "with constraint equalized_odds the threshold optimizer supports",
        ),
        (["trainer.grid_size=0"], "trainer.grid_size: expected a positive integer"),
    ],
)
def test_bad_fair_config_fails_before_training(monkeypatch, overrides, message):
    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the input was validated")

    monkeypatch.setattr(experiment, "train", forbidden)
    cfg = compose_config(["trainer=fair", *overrides])
    with pytest.raises(ConfigError) as info:
        experiment.run_experiment(cfg, track=False)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_estimator_without_sample_weight_and_gradient_explainers_are_refused():
    model_cfg, trainer_cfg = configs()
    model_cfg["estimator"] = {"_target_": "sklearn.neighbors.KNeighborsClassifier"}
    with pytest.raises(ConfigError, match=r"KNeighborsClassifier .* does not; use trainer\.method"):
        check_fair_config(trainer_cfg, model_cfg)
    trainer_cfg["method"] = "threshold_optimizer"
    check_fair_config(trainer_cfg, model_cfg)  # post-processing works for any model
    cfg = compose_config(
        ["trainer=fair", "model=mlp", "trainer.method=threshold_optimizer", "explainer=saliency"]
    )
    with pytest.raises(ConfigError, match="needs gradients, which trainer 'fair' does not give"):
        experiment.validate_config(OmegaConf.to_container(cfg, resolve=True))


def test_data_without_a_usable_attribute_is_refused():
    model_cfg, trainer_cfg = configs()
    with pytest.raises(
        DataError, match="needs a sensitive attribute; dataset 'breast_cancer' has none"
    ):
        train(model_cfg, trainer_cfg, load("breast_cancer", seed=0), seed=0)
    trainer_cfg["sensitive"] = "race"
    task = load("synthetic", seed=0, n_samples=200)
    with pytest.raises(
        DataError, match=r"\['race'\] is not a sensitive attribute of dataset 'synthetic'"
    ):
        train(model_cfg, trainer_cfg, task, seed=0)
