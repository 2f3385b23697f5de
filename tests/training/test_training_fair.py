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
from trustbench.metrics import equalized_odds_difference, group_rates, rate_gaps
from trustbench.reporting.card_warnings import card_warnings
from trustbench.training import train
from trustbench.training.fair import FairClassifier, check_fair_config
from trustbench.training.fair_checks import check_mitigation, postprocess_split
from trustbench.training.record import TrainingRecord


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
        (
            ["trainer.method=threshold_optimizer", "trainer.postprocess_fraction=1.5"],
            "trainer.postprocess_fraction: expected a number in (0, 1), the share of train the "
            "threshold optimizer is fitted on; received 1.5",
        ),
        (["trainer.postprocess_fraction=0"], "trainer.postprocess_fraction: expected a number"),
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


def test_exponentiated_gradient_is_scored_by_its_expected_rates_not_its_argmax():
    """The audit's cohort: the argmax of the mixture equals the unmitigated model on every test
    row (same gap), while the randomized classifier's expected gap is under half of it."""
    task = load("synthetic", seed=0, n_samples=800, bias=1.0)
    model_cfg, trainer_cfg = configs("trainer.max_iter=15")
    result = train(model_cfg, trainer_cfg, task, seed=0)
    standard = train(model_cfg, {"name": "standard"}, task, seed=0).model
    test, fair = task.test, result.model
    q = fair.predict_proba(test.X)[:, 1]
    np.testing.assert_array_equal((q > 0.5).astype(int), standard.predict(test.X))
    groups = test.sensitive["group"].to_numpy()
    rates = group_rates(test.y, q, groups, np.ones((1, len(q))), soft=True)
    expected = rate_gaps(rates)["equalized_odds_difference"][0]
    unmitigated = eod(task, standard)
    assert expected < unmitigated / 2
    report = trustbench.score(
        fair,
        task,
        suites=["fairness"],
        config={"bootstrap": {"n_resamples": 50}, "fairness": {"plots": False}},
        training=result.record,
    )
    assert report["fairness/group/equalized_odds_difference"].value == pytest.approx(expected)
    note = next(n for n in report.suites["fairness"].notes if n.startswith("randomized"))
    assert f"{unmitigated:.4f} (argmax) vs {expected:.4f} (expected)" in note
    assert result.record.fair.warning is None and result.record.fair.changed_fraction > 0


def test_threshold_optimizer_is_fitted_on_rows_the_model_did_not_train_on(biased):
    """1-NN memorises its training rows (TPR 1, FPR 0 in every group there): thresholds fitted
    on them left every test prediction equal to the model's own. Held-out rows do not."""
    model_cfg, trainer_cfg = configs("trainer.method=threshold_optimizer")
    model_cfg["estimator"] = {
        "_target_": "sklearn.neighbors.KNeighborsClassifier",
        "n_neighbors": 1,
    }
    result = train(model_cfg, trainer_cfg, biased, seed=0)
    fair, info = result.model, result.record.fair
    n_train = len(biased.train)
    assert info.postprocess_fraction == 0.3
    assert abs(info.postprocess_rows - 0.3 * n_train) <= 4  # one rounding per label x group
    assert fair.estimator.steps[-1][1].n_samples_fit_ == n_train - info.postprocess_rows
    test = biased.test
    mitigated = fair.predict_proba(test.X, sensitive=test.sensitive)[:, 1]
    base = fair.estimator.predict_proba(test.X)[:, 1]
    assert np.mean(np.abs(mitigated - base) > 1e-9) > 0.2
    assert info.changed_fraction > 0.2 and info.warning is None
    # the same mitigator fitted on the rows the 1-NN trained on changes nothing, and says so
    keys = biased.train.sensitive["group"].astype(str).tolist()
    fit_rows, held_out = postprocess_split(biased.train.y, keys, 0.3, seed=0)
    assert held_out.shape[0] == info.postprocess_rows
    own = biased.train.subset(fit_rows)
    memorised = FairClassifier(fair.estimator, method="threshold_optimizer", sensitive=["group"])
    memorised.fit(own.X, own.y, sensitive_features=own.sensitive)
    changed, warning = check_mitigation(memorised, fair.estimator, own, "threshold_optimizer")
    assert changed == 0.0
    assert "trainer 'fair' (threshold_optimizer) changed nothing" in warning
    assert "raise trainer.postprocess_fraction" in warning


def test_postprocess_split_is_stratified_seeded_and_disjoint():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    groups = rng.choice(["a", "b", "c"], 500, p=[0.6, 0.35, 0.05]).tolist()
    fit_rows, held_out = postprocess_split(y, groups, 0.3, seed=4)
    assert np.intersect1d(fit_rows, held_out).size == 0
    assert np.union1d(fit_rows, held_out).size == 500
    for label in (0, 1):
        for group in "abc":
            stratum = np.flatnonzero((y == label) & (np.array(groups) == group))
            share = np.isin(stratum, held_out).mean()
            assert 0 < share < 1 and abs(share - 0.3) <= 1 / stratum.size
    again = postprocess_split(y, groups, 0.3, seed=4)
    np.testing.assert_array_equal(again[1], held_out)
    assert not np.array_equal(postprocess_split(y, groups, 0.3, seed=5)[1], held_out)
    single = postprocess_split(np.array([0, 1, 1]), ["a", "a", "a"], 0.3, seed=0)
    np.testing.assert_array_equal(single[1], [0, 1])  # singleton (0, a) held out, (1, a) split


def test_mitigation_that_changes_nothing_is_warned_on_the_trust_card(biased):
    """A constant base estimator: every reweighted refit predicts 1, so the mitigated model is
    the unmitigated one; the training record and the trust card say so."""
    model_cfg, trainer_cfg = configs("trainer.max_iter=5")
    model_cfg["estimator"] = {
        "_target_": "sklearn.dummy.DummyClassifier",
        "strategy": "constant",
        "constant": 1,
    }
    result = train(model_cfg, trainer_cfg, biased, seed=0)
    info = result.record.fair
    assert info.changed_fraction == 0.0
    assert info.warning.startswith("trainer 'fair' (exponentiated_gradient) changed nothing")
    assert f"every one of the {len(biased.train)} training rows" in info.warning
    assert TrainingRecord.from_dict(result.record.to_dict()).fair.warning == info.warning
    report = trustbench.score(
        result.model,
        biased,
        suites=["performance"],
        config={"bootstrap": {"n_resamples": 40}},
        training=result.record,
    )
    shown = [w for w in card_warnings(report) if w.family == "fairness"]
    assert [w.text for w in shown] == [info.warning]
    quiet = trustbench.score(
        result.model, biased, suites=["performance"], config={"bootstrap": {"n_resamples": 40}}
    )
    assert not [w for w in card_warnings(quiet) if w.family == "fairness"]
