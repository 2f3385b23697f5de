import numpy as np
import pandas as pd
import pytest
import torch

from trustbench.data import load
from trustbench.data.task import FeatureSpec
from trustbench.errors import ConfigError, ModelOutputError
from trustbench.models import TorchClassifier, build_model, check_proba, output_feature_groups, wrap
from trustbench.models.mlp import MLP

MLP_CFG = {
    "name": "mlp",
    "library": "torch",
    "module": {"_target_": "trustbench.models.mlp.MLP", "hidden_sizes": [8]},
}


def test_preprocessing_groups_map_encoded_columns_back_to_features():
    frame = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 4.0],
            "b": [1.0, 2.0, 3.0, 4.0],
            "c": ["x", "y", None, "x"],
            "e": [np.nan] * 4,
        }
    )
    features = [
        FeatureSpec("a", "continuous"),
        FeatureSpec("b", "continuous"),
        FeatureSpec("c", "categorical"),
        FeatureSpec("e", "continuous"),
    ]
    pipe = build_model(
        {
            "name": "logreg",
            "library": "sklearn",
            "estimator": {"_target_": "sklearn.linear_model.LogisticRegression"},
        },
        features,
    )
    pre = pipe.named_steps["preprocess"].fit(frame)
    groups = output_feature_groups(pre, features)
    assert pre.transform(frame).shape[1] == len(groups)
    # a, b imputed; a's missing indicator; c one-hot over x, y, missing; e is all-missing (dropped, indicator kept)
    assert groups.tolist() == [0, 1, 0, 3, 2, 2, 2]


def test_torch_classifier_is_deterministic_and_learns():
    task = load("synthetic", seed=0, n_samples=600)
    make = lambda: build_model(MLP_CFG, task.features, seed=3, recipe={"epochs": 20, "lr": 0.01})  # noqa: E731
    a = make().fit(task.train.X, task.train.y).predict_proba(task.test.X)
    b = make().fit(task.train.X, task.train.y).predict_proba(task.test.X)
    np.testing.assert_array_equal(a, b)
    assert ((a.argmax(1) == task.test.y).mean()) > 0.75
    np.testing.assert_allclose(a.sum(1), 1, atol=1e-6)


def test_torch_classifier_exposes_module_and_encoded_inputs():
    task = load("heart", seed=0)
    model = build_model(MLP_CFG, task.features, recipe={"epochs": 1}).fit(
        task.train.X, task.train.y
    )
    assert isinstance(model, TorchClassifier) and isinstance(model.module_, MLP)
    encoded = model.transform(task.test.X)
    assert encoded.dtype == torch.float32 and encoded.shape[1] == len(model.feature_groups_)
    np.testing.assert_allclose(
        torch.softmax(model.logits(encoded), 1).detach().numpy(),
        model.predict_proba(task.test.X),
        atol=1e-6,
    )


def test_unknown_library_is_a_config_error():
    with pytest.raises(ConfigError, match=r"model\.library for model 'x' must be one of"):
        build_model({"name": "x", "library": "jax"}, [])


@pytest.mark.parametrize(
    ("proba", "message"),
    [
        (np.full((3, 3), 1 / 3), r"shape \(3, 2\)"),
        (np.array([[0.5, 0.5], [np.nan, 1], [0.5, 0.5]]), "NaN or infinite"),
        (np.array([[1.5, -0.5], [0.5, 0.5], [0.5, 0.5]]), r"in \[0, 1\]"),
        (np.array([[0.5, 0.6], [0.5, 0.5], [0.5, 0.5]]), "sum to 1"),
    ],
)
def test_check_proba_rejects_bad_outputs(proba, message):
    with pytest.raises(ModelOutputError, match=message):
        check_proba(proba, 3, 2)


def test_wrap_requires_predict_proba():
    with pytest.raises(ModelOutputError, match="predict_proba"):
        wrap(object())


def test_predict_proba_passes_sensitive_only_to_models_that_require_it():
    from trustbench.models.facade import predict_proba, requires_sensitive

    class Plain:
        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

    class NeedsGroups:
        requires_sensitive = True

        def predict_proba(self, X, sensitive):
            return np.column_stack([sensitive["g"], 1 - sensitive["g"]]).astype(float)

    X = pd.DataFrame({"a": [1.0, 2.0]})
    groups = pd.DataFrame({"g": [0, 1]})
    assert not requires_sensitive(Plain()) and requires_sensitive(NeedsGroups())
    np.testing.assert_array_equal(predict_proba(Plain(), X, groups), 0.5)
    np.testing.assert_array_equal(predict_proba(NeedsGroups(), X, groups), [[0, 1], [1, 0]])
