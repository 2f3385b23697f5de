"""API runs (``trustbench.score`` then ``trustbench.tracking.log``) record what the model is, so
the leaderboard tells models apart and groups the seeds of one model."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

import trustbench
from trustbench.data import load
from trustbench.leaderboard.aggregate import aggregate
from trustbench.leaderboard.fetch import fetch_runs
from trustbench.models import make_preprocessor
from trustbench.tracking import log
from trustbench.tracking.identity import api_run_config

FAST = {"bootstrap": {"n_resamples": 50}}


@pytest.fixture(scope="module")
def task():
    return load("synthetic", seed=0, n_samples=300, n_categorical=0, n_informative=2)


def _fit(task, estimator):
    model = make_pipeline(make_preprocessor(task.features), estimator)
    return model.fit(task.train.X, task.train.y)


def _score(task, model, seed=0, **kw):
    return trustbench.score(model, task, suites=["performance"], config=FAST, seed=seed, **kw)


def _board(uri: str, experiment: str):
    return aggregate(fetch_runs(uri, [experiment])).rows


def test_two_models_are_two_configurations_and_seeds_group(task, tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    for seed in (0, 1):  # one recipe, two seeds: random_state is not part of the identity
        model = _fit(task, LogisticRegression(C=0.5, random_state=seed))
        log(_score(task, model, seed=seed), tracking_uri=uri, experiment="api")
    tree = _fit(task, DecisionTreeClassifier(max_depth=3, random_state=0))
    log(_score(task, tree), tracking_uri=uri, experiment="api")
    rows = _board(uri, "api")
    assert len(rows) == 2
    by_name = {row.params["model.name"]: row for row in rows}
    assert set(by_name) == {"LogisticRegression", "DecisionTreeClassifier"}
    assert by_name["LogisticRegression"].seeds == ["0", "1"]
    assert by_name["DecisionTreeClassifier"].seeds == ["0"]
    assert {row.label for row in rows} == {
        "model=LogisticRegression",
        "model=DecisionTreeClassifier",
    }
    run = mlflow.MlflowClient(tracking_uri=uri).get_run(by_name["LogisticRegression"].run_ids[0])
    assert run.data.params["dataset.name"] == "synthetic"
    assert run.data.tags["trustbench.model_class"] == "LogisticRegression"
    assert "C=0.5" in run.data.tags["trustbench.model_summary"]
    assert len(run.data.tags["trustbench.run_identity"]) == 16


def test_same_class_other_params_is_another_configuration(task):
    a = _score(task, _fit(task, LogisticRegression(C=0.5)))
    b = _score(task, _fit(task, LogisticRegression(C=2.0)))
    ca, cb = api_run_config(a.run), api_run_config(b.run)
    assert ca["model"]["name"] == cb["model"]["name"] == "LogisticRegression"
    assert ca["model"]["params"] != cb["model"]["params"]
    assert ca["seed"] == 0 and ca["dataset"] == {"name": "synthetic"}


def test_a_user_given_name_overrides_the_class(task, tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    for seed, C in ((0, 0.5), (1, 2.0)):  # the name alone is the identity: two seeds of "mine"
        model = _fit(task, LogisticRegression(C=C))
        report = _score(task, model, seed=seed, model_name="mine")
        assert report.run["model"] == "mine"
        assert report.run["model_identity"]["class"] == "LogisticRegression"
        log(report, tracking_uri=uri, experiment="named")
    log(_score(task, _fit(task, LogisticRegression(C=0.5))), tracking_uri=uri, experiment="named")
    rows = _board(uri, "named")
    assert len(rows) == 2
    named = next(row for row in rows if row.params["model.name"] == "mine")
    assert named.seeds == ["0", "1"]
    assert "model.params" not in named.params


def test_a_bad_model_name_is_one_line(task):
    with pytest.raises(ValueError, match=r"model_name must be a non-empty string; received ''"):
        _score(task, _fit(task, LogisticRegression()), model_name="")
