"""A black box (no ``get_params``: ``sklearn.base.clone`` refuses it) scored with reference
attacks requested: the threshold attacks run, the reference attacks are reported not
applicable (no value, the reason naming the model's class), and a declared recipe runs them."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import trustbench
from trustbench.data import load
from trustbench.models import make_preprocessor
from trustbench.privacy.reference import clone_problem

ATTACKS = ["loss", "confidence", "lira", "rmia"]
CONFIG = {
    "bootstrap": {"n_resamples": 50},
    "privacy": {"attacks": ATTACKS, "reference_models": 4, "per_group": False, "plots": False},
}


class VendorModel:
    """A model known only by its outputs."""

    def __init__(self, fitted) -> None:
        self._fitted = fitted
        self.classes_ = fitted.classes_

    def predict_proba(self, X):
        return self._fitted.predict_proba(X)


@pytest.fixture(scope="module")
def task():
    return load("synthetic", seed=0, n_samples=300, n_categorical=0, n_informative=2)


def _recipe(task):
    return make_pipeline(make_preprocessor(task.features), LogisticRegression(max_iter=500))


@pytest.fixture(scope="module")
def box(task):
    return VendorModel(_recipe(task).fit(task.train.X, task.train.y))


def test_clone_problem_names_the_class_and_why(task, box):
    assert clone_problem(_recipe(task)) is None
    problem = clone_problem(box)
    assert problem.startswith("VendorModel cannot be cloned (TypeError: ")


def test_threshold_attacks_run_and_reference_attacks_say_why_not(task, box):
    report = trustbench.score(box, task, suites=["privacy"], config=CONFIG)
    suite = report.suites["privacy"]
    assert suite.status == "ok", suite.reason
    values = report.values()
    for attack in ("loss", "confidence"):
        assert 0.0 <= values[f"privacy/{attack}/auc"] <= 1.0
        assert 0.0 <= values[f"privacy/{attack}/advantage"] <= 1.0
    for attack in ("lira", "rmia"):
        metric = report[f"privacy/{attack}/auc"]
        assert metric.value is None and metric.ci_low is None
        assert "not applicable" in metric.note and "VendorModel cannot be cloned" in metric.note
        assert "reference_recipe=" in metric.note
        assert not any(
            k.startswith(f"privacy/{attack}/") and v is not None for k, v in values.items()
        )
    (note,) = [n for n in suite.notes if "not applicable" in n]
    assert note.startswith("attacks ['lira', 'rmia'] not applicable: ") and "VendorModel" in note
    scores = report.artifacts["privacy/mia_scores.parquet"]
    assert {"loss", "confidence"} <= set(scores) and not {"lira", "rmia"} & set(scores)


def test_a_declared_recipe_runs_the_reference_attacks_on_a_black_box(task, box):
    report = trustbench.score(
        box, task, suites=["privacy"], config=CONFIG, reference_recipe=_recipe(task)
    )
    values = report.values()
    for attack in ATTACKS:
        assert np.isfinite(values[f"privacy/{attack}/auc"]), attack
    assert not [n for n in report.suites["privacy"].notes if "not applicable" in n]
