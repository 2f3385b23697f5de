"""A model's identity (:func:`trustbench.models.describe.describe_model`): the class and a hash
of the recipe, never of the seed or of what was learned."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from trustbench.data.task import FeatureSpec
from trustbench.models import TorchClassifier
from trustbench.models.describe import describe_model

FEATURES = [FeatureSpec("a", "continuous"), FeatureSpec("b", "continuous")]


class BlackBox:
    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_pipeline_is_named_by_its_final_step_and_seeds_are_left_out():
    a = describe_model(make_pipeline(StandardScaler(), RandomForestClassifier(random_state=0)))
    b = describe_model(
        make_pipeline(StandardScaler(), RandomForestClassifier(random_state=7, n_jobs=2))
    )
    c = describe_model(make_pipeline(StandardScaler(), RandomForestClassifier(max_depth=3)))
    assert a.name == a.model_class == "RandomForestClassifier"
    assert a.source == "default"
    assert a.params_hash == b.params_hash != c.params_hash
    assert len(a.params_hash) == 12


def test_fitted_state_is_not_identity():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), rng.integers(0, 2, 40)
    unfitted = describe_model(LogisticRegression(C=0.3))
    fitted = describe_model(LogisticRegression(C=0.3).fit(X, y))
    assert unfitted == fitted


def test_black_box_is_its_class_and_a_name_overrides():
    box = describe_model(BlackBox())
    assert (box.name, box.params_hash) == ("BlackBox", "")
    named = describe_model(BlackBox(), "vendor model v2")
    assert (named.name, named.source, named.model_class) == ("vendor model v2", "user", "BlackBox")


def _net(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 2))


def test_wrapped_module_identity_is_its_architecture_not_its_weights():
    torch.manual_seed(0)
    first = TorchClassifier.from_module(_net(8), FEATURES, classes=2)
    torch.manual_seed(1)
    second = TorchClassifier.from_module(_net(8), FEATURES, classes=2)  # other weights
    wider = TorchClassifier.from_module(_net(16), FEATURES, classes=2)
    a, b, c = describe_model(first), describe_model(second), describe_model(wider)
    assert a.name == "Sequential"
    assert a.params_hash == b.params_hash != c.params_hash
    assert "parameters" in a.summary
