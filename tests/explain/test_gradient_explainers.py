"""Gradient explainers equal Captum's methods (summed over channels / encoded columns)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import DeepLift, InputXGradient, IntegratedGradients, NoiseTunnel, Saliency
from tests.explain.toy import ImageModel, TinyCNN, fit_small_mlp, toy_images

from trustbench.data import load
from trustbench.errors import ConfigError
from trustbench.explain import (
    DeepLiftExplainer,
    InputXGradientExplainer,
    IntegratedGradientsExplainer,
    RandomExplainer,
    SaliencyExplainer,
    SmoothGradExplainer,
    feature_baseline,
)


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    model = ImageModel(TinyCNN())
    X, _, _ = toy_images(5)
    return model, X, np.array([0, 1, 1, 0, 1])


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (SaliencyExplainer, Saliency, {"abs": True}),
        (InputXGradientExplainer, InputXGradient, {}),
        (IntegratedGradientsExplainer, IntegratedGradients, {"n_steps": 32}),
        (DeepLiftExplainer, DeepLift, {}),
    ],
)
def test_image_gradient_explainers_equal_captum_summed_over_channels(cnn, ours, theirs, kwargs):
    model, X, target = cnn
    base = np.zeros((1, *X.shape[1:]), np.float32)
    a = ours(model, baseline=base, chunk_size=3).attribute(X, target)  # several chunks
    inputs = torch.as_tensor(X).requires_grad_(True)
    extra = (
        {"baselines": torch.zeros_like(inputs)} if theirs in (IntegratedGradients, DeepLift) else {}
    )
    expected = theirs(model.module_).attribute(
        inputs, target=torch.as_tensor(target), **kwargs, **extra
    )
    np.testing.assert_allclose(a, expected.detach().sum(1).numpy(), rtol=1e-4, atol=1e-6)


def test_smoothgrad_equals_captum_noise_tunnel(cnn):
    model, X, target = cnn
    a = SmoothGradExplainer(model, nt_samples=4, stdevs=0.1, seed=2).attribute(X, target)
    torch.manual_seed(2)
    expected = NoiseTunnel(Saliency(model.module_)).attribute(
        torch.as_tensor(X),
        target=torch.as_tensor(target),
        nt_type="smoothgrad",
        nt_samples=4,
        nt_samples_batch_size=4,
        stdevs=0.1,
        abs=True,
    )
    np.testing.assert_allclose(a, expected.sum(1).numpy(), rtol=1e-4, atol=1e-6)


def test_tabular_integrated_gradients_sum_encoded_columns_and_complete():
    task = load("heart", seed=0)
    model = fit_small_mlp(task)
    X = task.test.X.iloc[:6].reset_index(drop=True)
    target = model.predict_proba(X).argmax(1)
    base = feature_baseline(task.train.X)
    a = IntegratedGradientsExplainer(model, baseline=base, n_steps=64).attribute(X, target)
    assert a.shape == (6, X.shape[1])
    logits = lambda frame: model.module_(model.transform(frame)).detach().numpy()  # noqa: E731
    # completeness: attributions sum to the logit difference to the baseline
    gap = logits(X)[np.arange(6), target] - logits(base)[0, target]
    np.testing.assert_allclose(a.sum(1), gap, atol=1e-2)


def test_gradient_explainer_refuses_a_model_without_gradients():
    with pytest.raises(ConfigError, match="needs a torch model"):
        SaliencyExplainer(object())


def test_random_explainer_shapes():
    X = np.zeros((3, 1, 5, 6), np.float32)
    assert RandomExplainer(seed=0).attribute(X, np.zeros(3, int)).shape == (3, 5, 6)
