"""The batched engine and the model-agnostic explainers against Captum and exact cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from captum._utils.models.linear_model import SkLearnLinearRegression
from captum.attr import FeaturePermutation, Lime, ShapleyValues
from tests.explain.toy import ImageModel, TinyCNN, fit_small_mlp, toy_images

from trustbench.data import load
from trustbench.explain import (
    AblationExplainer,
    KernelShapExplainer,
    LimeExplainer,
    MaskedForward,
    PermutationExplainer,
    feature_baseline,
)
from trustbench.explain.agnostic import shapley_coalitions


class ProbaOnly:
    """Hides everything but predict_proba, so the engine takes its numpy path."""

    def __init__(self, model):
        self._model = model

    def predict_proba(self, X):
        return self._model.predict_proba(X)


@pytest.fixture(scope="module")
def heart_mlp():
    task = load("heart", seed=0)
    model = fit_small_mlp(task)
    return task, model


def test_engine_torch_path_equals_numpy_path_on_mixed_tabular_data(heart_mlp):
    task, model = heart_mlp  # categorical columns and missing values: mixing in encoded space
    X = task.test.X.iloc[:9].reset_index(drop=True)
    target = np.arange(9) % 2
    base = feature_baseline(task.train.X)
    masks = np.random.default_rng(0).random((5, 9, X.shape[1])) < 0.5
    fast = MaskedForward(model, X, base, target, 2, chunk_size=16)(masks)
    slow = MaskedForward(ProbaOnly(model), X, base, target, 2, chunk_size=7)(masks)
    np.testing.assert_allclose(fast, slow, atol=1e-6)


def test_engine_torch_path_equals_numpy_path_on_images():
    torch.manual_seed(0)
    model = ImageModel(TinyCNN())
    X, _, _ = toy_images(4)
    target = np.array([0, 1, 1, 0])
    base = np.zeros((1, *X.shape[1:]), np.float32)
    segments = np.arange(256).reshape(16, 16) // 64  # 4 horizontal bands
    masks = np.random.default_rng(1).random((3, 4, 4)) < 0.5
    fast = MaskedForward(model, X, base, target, 2, chunk_size=5, segments=segments)(masks)
    slow = MaskedForward(ProbaOnly(model), X, base, target, 2, segments=segments)(masks)
    np.testing.assert_allclose(fast, slow, atol=1e-6)
    # and both equal the explicit masked image
    pixel = masks[1, 2][segments]
    explicit = model.predict_proba(np.where(pixel, 0.0, X[2:3]).astype(np.float32))[0, 1]
    assert fast[1, 2] == pytest.approx(explicit, abs=1e-6)


@pytest.fixture(scope="module")
def small_numeric():
    task = load("breast_cancer", seed=0)
    cols = list(task.train.X.columns[:5])
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(task.train.X[cols], task.train.y)
    X = task.test.X[cols].iloc[:6].reset_index(drop=True)
    base = feature_baseline(task.train.X[cols])

    def forward(inputs):
        return torch.as_tensor(model.predict_proba(pd.DataFrame(inputs.numpy(), columns=cols)))

    return model, X, base, forward


def test_kernel_shap_with_all_coalitions_equals_captum_shapley_values(small_numeric):
    model, X, base, forward = small_numeric
    target = model.predict_proba(X).argmax(1)
    ours = KernelShapExplainer(model, baseline=base, n_classes=2, n_samples=64).attribute(X, target)
    expected = ShapleyValues(forward).attribute(
        torch.as_tensor(X.to_numpy()),
        baselines=torch.as_tensor(base.to_numpy()),
        target=torch.as_tensor(target),
    )
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-6)  # Captum sums in float32


def test_kernel_shap_sampled_is_efficient_and_close_to_exact(small_numeric):
    model, X, base, _ = small_numeric
    target = model.predict_proba(X).argmax(1)
    exact = KernelShapExplainer(model, baseline=base, n_classes=2, n_samples=64).attribute(
        X, target
    )
    sampled = KernelShapExplainer(model, baseline=base, n_classes=2, n_samples=20).attribute(
        X, target
    )
    np.testing.assert_allclose(sampled.sum(1), exact.sum(1), atol=1e-9)  # f(x) - f(baseline)
    assert np.abs(sampled - exact).max() < 0.3 * np.abs(exact).max()  # 20 of 30 coalitions
    Z, _ = shapley_coalitions(12, 50, np.random.default_rng(0))
    assert Z.shape == (50, 12) and (Z.sum(1) >= 1).all() and (Z.sum(1) <= 11).all()


def test_permutation_equals_captum_feature_permutation(small_numeric):
    model, X, base, forward = small_numeric
    target = model.predict_proba(X).argmax(1)
    ours = PermutationExplainer(model, baseline=base, n_classes=2, seed=4).attribute(X, target)
    torch.manual_seed(4)
    expected = FeaturePermutation(forward).attribute(
        torch.as_tensor(X.to_numpy()), target=torch.as_tensor(target)
    )
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-10)


class LinearInMask:
    """P(class 1) = 0.2 + sum_j w_j [x_j present], on a tabular frame (baseline = 0)."""

    weights = np.array([0.3, -0.1, 0.05, 0.2])

    def predict_proba(self, X):
        present = (X.to_numpy() != 0).astype(float)
        p = 0.2 + present @ self.weights * 0.5
        return np.column_stack([1 - p, p])


def test_lime_recovers_a_model_linear_in_the_masks_as_captum_does():
    X = pd.DataFrame(np.ones((3, 4)), columns=list("abcd"))
    base = pd.DataFrame(np.zeros((1, 4)), columns=list("abcd"))
    model = LinearInMask()
    ours = LimeExplainer(model, baseline=base, n_classes=2, n_samples=64).attribute(
        X, np.ones(3, int)
    )
    np.testing.assert_allclose(ours, np.tile(model.weights * 0.5, (3, 1)), atol=1e-6)
    lime = Lime(
        lambda t: torch.as_tensor(model.predict_proba(pd.DataFrame(t.numpy()))),
        interpretable_model=SkLearnLinearRegression(),
    )
    expected = lime.attribute(
        torch.ones(1, 4, dtype=torch.float64), baselines=0.0, target=1, n_samples=64
    )
    np.testing.assert_allclose(ours[0], expected.numpy()[0], atol=1e-5)


def test_ablation_on_image_patches_spreads_values_over_pixels():
    torch.manual_seed(0)
    model = ImageModel(TinyCNN())
    X, _, _ = toy_images(3)
    base = np.zeros((1, *X.shape[1:]), np.float32)
    a = AblationExplainer(model, baseline=base, n_classes=2, patch=8).attribute(X, np.ones(3, int))
    assert a.shape == (3, 16, 16)
    p0 = model.predict_proba(X)[:, 1]
    blocked = X.copy()
    blocked[:, :, :8, 8:] = 0.0  # patch 1 (top right)
    expected = (p0 - model.predict_proba(blocked)[:, 1]) / 64
    np.testing.assert_allclose(a[:, 0, 8], expected, atol=1e-6)


@pytest.mark.parametrize(("patch", "stride"), [(4, 2), (6, 2), (3, 1), (6, 3), (5, 2)])
def test_overlapping_occlusion_follows_captum_occlusion(patch, stride):
    """Sliding windows (stride < patch) at Captum's positions; per pixel, the mean over covering
    windows of each window's drop over its area (Captum's Occlusion / area for whole windows)."""
    from captum.attr import Occlusion

    torch.manual_seed(0)
    module = TinyCNN()
    model = ImageModel(module)
    X, _, _ = toy_images(3)  # (3, 1, 16, 16)
    base = np.zeros((1, *X.shape[1:]), np.float32)
    target = np.array([1, 0, 1])
    ours = AblationExplainer(model, baseline=base, n_classes=2, patch=patch, stride=stride)
    a = ours.attribute(X, target)

    def proba(x):
        return torch.softmax(module(x), dim=1)

    occlusion = (
        Occlusion(proba)
        .attribute(
            torch.as_tensor(X),
            sliding_window_shapes=(1, patch, patch),
            strides=(1, stride, stride),
            baselines=0.0,
            target=torch.as_tensor(target),
        )[:, 0]
        .numpy()
    )
    if (16 - patch) % stride == 0:  # whole windows only: a fixed area
        np.testing.assert_allclose(a * patch * patch, occlusion, atol=1e-5)
    # by hand, window by window (the last ones cut at the border, as Captum's)
    p0 = model.predict_proba(X)[np.arange(3), target]
    total, count = np.zeros((3, 16, 16)), np.zeros((16, 16))
    starts = range(0, 16 - patch + stride, stride)
    for r in starts:
        for c in starts:
            blocked = X.copy()
            blocked[:, :, r : r + patch, c : c + patch] = 0.0
            drop = p0 - model.predict_proba(blocked)[np.arange(3), target]
            inside = np.zeros((16, 16), bool)
            inside[r : r + patch, c : c + patch] = True
            total += drop[:, None, None] * inside / inside.sum()
            count += inside
    np.testing.assert_allclose(a, total / count, atol=1e-6)
    # where windows are whole, Captum's per-pixel mean of drops agrees up to the area
    if (16 - patch) % stride:
        first_cut = ((16 - patch) // stride + 1) * stride
        inner = slice(0, first_cut)  # pixels no cut window reaches
        np.testing.assert_allclose(
            a[:, inner, inner] * patch * patch, occlusion[:, inner, inner], atol=1e-5
        )


def test_stride_equal_to_patch_is_the_disjoint_patch_explainer():
    torch.manual_seed(0)
    model = ImageModel(TinyCNN())
    X, _, _ = toy_images(2)
    base = np.zeros((1, *X.shape[1:]), np.float32)
    target = np.array([1, 0])
    same = AblationExplainer(model, baseline=base, n_classes=2, patch=4, stride=4)
    plain = AblationExplainer(model, baseline=base, n_classes=2, patch=4)
    np.testing.assert_allclose(same.attribute(X, target), plain.attribute(X, target))
