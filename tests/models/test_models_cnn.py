"""The cnn model and the facade on image tasks (torch and scikit-learn)."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf
from sklearn.metrics import roc_auc_score
from tests.conftest import compose_config
from torch import nn

from trustbench.data import load
from trustbench.errors import ConfigError, DataError
from trustbench.experiment import validate_config
from trustbench.models import build_model, is_torch_model
from trustbench.models.cnn import CNN


def model_cfg(name: str) -> dict:
    return OmegaConf.to_container(compose_config([f"model={name}"]).model, resolve=True)


@pytest.fixture(scope="module")
def small_lesions():
    return load("lesions", seed=0, n_samples=400, n_ood=0, size=16, lesion_contrast=0.35)


@pytest.mark.parametrize("kwargs", [{}, {"channels": [4, 8], "groups": 2, "dropout": 0.1}])
def test_cnn_is_opacus_valid(kwargs):
    from opacus.validators import ModuleValidator

    module = CNN(in_channels=3, n_classes=4, **kwargs)
    assert ModuleValidator.validate(module, strict=True) == []
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())
    assert module(torch.rand(5, 3, 9, 9)).shape == (5, 4)  # odd sizes and tiny maps pool fine


def test_cnn_learns_lesions(small_lesions):
    task = small_lesions
    model = build_model(
        model_cfg("cnn"), task.features, seed=0, recipe={"epochs": 10, "lr": 0.003}, device="cpu"
    )
    assert is_torch_model(model)
    model.fit(task.train.X, task.train.y)
    proba = model.predict_proba(task.test.X)
    assert proba.shape == (len(task.test), 2)
    assert roc_auc_score(task.test.y, proba[:, 1]) > 0.8


def test_facade_on_images(small_lesions):
    task = small_lesions
    model = build_model(model_cfg("cnn"), task.features, seed=0, recipe={"epochs": 1})
    inputs, targets = model.prepare(task.train.X, task.train.y)
    assert inputs.shape == (len(task.train), 1, 16, 16) and inputs.dtype == torch.float32
    assert targets.dtype == torch.long and inputs.device == model.device_
    encoded = model.transform(task.test.X[:3])
    assert encoded.shape == (3, 1, 16, 16) and encoded.device == model.device_
    assert model.logits(encoded).shape == (3, 2)
    assert model.feature_groups_ is None
    with pytest.raises(DataError, match=r"^X: expected pixel values in \[0, 1\]"):
        model.predict_proba(task.test.X * 2)
    mlp = build_model(model_cfg("mlp"), task.features, seed=0, recipe={"epochs": 2})
    mlp.fit(task.train.X, task.train.y)
    assert isinstance(mlp.module_[0], nn.Flatten)
    assert mlp.predict_proba(task.test.X).shape == (len(task.test), 2)


def test_logreg_flattens_pixels_and_learns_digits():
    task = load("digits", seed=0)
    model = build_model(model_cfg("logreg"), task.features, seed=0)
    model.fit(task.train.X, task.train.y)
    assert model.predict_proba(task.test.X).shape == (len(task.test), 10)
    assert (model.predict(task.test.X) == task.test.y).mean() > 0.9
    with pytest.raises(DataError, match=r"^X: expected an image array"):
        model.predict_proba(task.test.X[:, 0])


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (["model=cnn"], r"model 'cnn' needs an image dataset .* received dataset 'heart'"),
        (["dataset=lesions", "trainer=fair"], r"trainer 'fair' .* dataset 'lesions' is an image"),
        (["dataset=digits", "model=cnn", "trainer=fair"], r"trainer 'fair'"),
    ],
)
def test_incompatible_combinations_fail_before_training(overrides, match):
    cfg = OmegaConf.to_container(compose_config(overrides), resolve=True)
    with pytest.raises(ConfigError, match=match) as info:
        validate_config(cfg)
    assert "\n" not in str(info.value)
