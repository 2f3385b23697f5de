"""A module trained by hand, wrapped by ``TorchClassifier.from_module`` and scored through
``trustbench.score``: its probabilities are the module's softmax, its gradient attributions
are Captum's on the module fed by the declared preprocessing, and it is never trained again."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import Saliency
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler
from torch import nn

import trustbench
from trustbench.data import load
from trustbench.errors import ConfigError, ModelOutputError
from trustbench.models import TorchClassifier, make_preprocessor

EXPLAIN = {
    "bootstrap": {"n_resamples": 50},
    "explainability": {
        "explainers": ["saliency"],
        "gradient_explainers": ["integrated_gradients"],
        "baselines": [],
        "n_rows": 30,
        "robustness": False,
        "sanity_rows": 10,
        "plots": False,
    },
}


def _train(inputs: np.ndarray, y: np.ndarray, n_classes: int, seed: int = 0) -> nn.Module:
    """A small MLP trained by hand (full-batch Adam) on encoded inputs."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(inputs.shape[1], 16), nn.Tanh(), nn.Linear(16, n_classes))
    x = torch.as_tensor(inputs, dtype=torch.float32)
    t = torch.as_tensor(y, dtype=torch.long)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(60):
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(x), t).backward()
        optimizer.step()
    return net.eval()


@pytest.fixture(scope="module")
def task():
    torch.set_num_threads(1)
    return load("synthetic", seed=0, n_samples=300, n_categorical=0, sensitive_as_features=False)


@pytest.fixture(scope="module")
def wrapped(task):
    scaler = StandardScaler().fit(task.train.X)
    net = _train(scaler.transform(task.train.X), task.train.y, task.n_classes)
    model = TorchClassifier.from_module(
        net, task.features, classes=task.n_classes, preprocessing=scaler
    )
    return net, scaler, model


def test_probabilities_are_the_modules_softmax(task, wrapped):
    net, scaler, model = wrapped
    with torch.no_grad():
        logits = net(torch.as_tensor(scaler.transform(task.test.X), dtype=torch.float32))
    expected = torch.softmax(logits, dim=1).double().numpy()
    np.testing.assert_allclose(model.predict_proba(task.test.X), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(model.predict(task.test.X), expected.argmax(axis=1))


def test_score_explains_it_with_captum_saliency_on_module_and_preprocessing(task, wrapped):
    net, scaler, model = wrapped
    report = trustbench.score(model, task, suites=["explainability"], config=EXPLAIN)
    suite = report.suites["explainability"]
    assert suite.status == "ok", suite.reason
    assert report["explainability/saliency/deletion_auc"].value is not None
    assert report["explainability/integrated_gradients/deletion_auc"].value is not None
    saved = report.artifacts["explainability/attributions.npz"]
    position = {int(r): i for i, r in enumerate(task.test.row_id)}
    rows = task.test.X.iloc[[position[int(r)] for r in saved["row_id"]]]
    inputs = torch.as_tensor(scaler.transform(rows), dtype=torch.float32).requires_grad_(True)
    target = torch.as_tensor(np.asarray(saved["target"]), dtype=torch.long)
    reference = Saliency(net).attribute(inputs, target=target).detach().double().numpy()
    np.testing.assert_allclose(saved["saliency"], reference, rtol=1e-5, atol=1e-7)


def test_it_is_prefit_fit_keeps_the_weights_and_clone_refuses(task, wrapped):
    net, _, model = wrapped
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert model.fit(task.train.X, task.train.y) is model
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    with pytest.raises(TypeError, match="cannot clone a trained Sequential"):
        clone(model)


def test_a_trustbench_preprocessor_gives_the_feature_groups():
    task = load("synthetic", seed=1, n_samples=200, n_categorical=1)  # one-hot columns too
    pre = make_preprocessor(task.features).fit(task.train.X)
    encoded = pre.transform(task.train.X)
    net = _train(encoded, task.train.y, task.n_classes)
    model = TorchClassifier.from_module(net, task.features, classes=2, preprocessing=pre)
    assert len(model.feature_groups_) == encoded.shape[1] > len(task.features)
    from trustbench.explain.gradient import SaliencyExplainer

    attributions = SaliencyExplainer(model).attribute(task.test.X.iloc[:5], np.zeros(5, int))
    assert attributions.shape == (5, len(task.features))


def test_probability_outputs_are_read_as_log_probabilities(task, wrapped):
    net, scaler, logits_model = wrapped
    proba_net = nn.Sequential(net, nn.Softmax(dim=1))
    model = TorchClassifier.from_module(
        proba_net, task.features, classes=2, preprocessing=scaler, output="proba"
    )
    np.testing.assert_allclose(
        model.predict_proba(task.test.X), logits_model.predict_proba(task.test.X), atol=1e-6
    )


def test_bad_arguments_are_one_line_errors(task, wrapped):
    net = wrapped[0]
    with pytest.raises(ConfigError, match=r"module must be a torch\.nn\.Module; received str"):
        TorchClassifier.from_module("net", task.features, classes=2)
    with pytest.raises(ConfigError, match=r"output must be one of .*received 'softmax'"):
        TorchClassifier.from_module(net, task.features, classes=2, output="softmax")
    with pytest.raises(ConfigError, match="classes must be"):
        TorchClassifier.from_module(net, task.features, classes=1)
    narrow = TorchClassifier.from_module(
        net, task.features, classes=2, preprocessing=lambda X: np.asarray(X)[:, :2]
    )
    with pytest.raises(ModelOutputError, match=r"preprocessing must give 6 columns"):
        narrow.predict_proba(task.test.X)


def test_reference_attacks_on_a_wrapped_module_are_not_applicable(task, wrapped):
    _, _, model = wrapped
    config = {
        "bootstrap": {"n_resamples": 50},
        "privacy": {"attacks": ["loss", "lira"], "reference_models": 4, "plots": False},
    }
    report = trustbench.score(model, task, suites=["privacy"], config=config)
    assert report.suites["privacy"].status == "ok"
    assert report["privacy/loss/auc"].value is not None
    lira = report["privacy/lira/auc"]
    assert lira.value is None
    assert "PrefitTorchClassifier cannot be cloned" in lira.note and "Sequential" in lira.note
