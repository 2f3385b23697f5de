"""trainer=dp: every grad-sample mode computes the same DP-SGD step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trustbench.data import load
from trustbench.training.dp import train_dp

MODEL = {
    "name": "mlp",
    "library": "torch",
    "module": {"_target_": "trustbench.models.mlp.MLP", "hidden_sizes": [16], "dropout": 0.0},
}
RECIPE = {
    "name": "dp",
    "epochs": 2,
    "batch_size": 32,
    "lr": 0.01,
    "weight_decay": 0.0,
    "target_epsilon": None,
    "target_delta": None,
    "noise_multiplier": 1.0,
    "max_grad_norm": 1.0,
    "accountant": "rdp",
    "poisson_sampling": True,
}


@pytest.fixture(scope="module")
def task():
    return load("synthetic", seed=0, n_samples=200, n_categorical=0)


@pytest.fixture(scope="module")
def hooks_model(task):
    return train_dp(MODEL, {**RECIPE, "grad_sample_mode": "hooks"}, task, seed=0, device="cpu")


@pytest.mark.parametrize("mode", ["functorch", "ghost"])
def test_grad_sample_modes_agree_with_hooks(task, hooks_model, mode):
    other = train_dp(MODEL, {**RECIPE, "grad_sample_mode": mode}, task, seed=0, device="cpu")
    assert other.record.dp.grad_sample_mode == mode
    assert other.record.dp.epsilon == pytest.approx(hooks_model.record.dp.epsilon)
    for a, b in zip(
        hooks_model.model.module_.parameters(), other.model.module_.parameters(), strict=True
    ):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)


def test_dp_info_reports_the_guarantee(hooks_model, task):
    info = hooks_model.record.dp
    assert info.accountant == "rdp" and info.noise_multiplier == 1.0
    assert info.delta == pytest.approx(1 / (10 * len(task.train)))
    assert 0 < info.epsilon < np.inf
    assert isinstance(hooks_model.model.module_, torch.nn.Module)


@pytest.mark.parametrize("mode", ["hooks", "ghost"])
def test_fitted_dp_model_is_a_plain_module_again(task, hooks_model, mode):
    """After training, no Opacus hook or per-sample attribute remains: gradients of the fitted
    model (gradient explainers, the randomisation check) work as for any model."""
    fitted = (
        hooks_model
        if mode == "hooks"
        else train_dp(MODEL, {**RECIPE, "grad_sample_mode": mode}, task, seed=0, device="cpu")
    ).model
    module = fitted.module_
    assert not any(m._forward_hooks or m._backward_hooks for m in module.modules())
    assert not any(hasattr(p, "grad_sample") for p in module.parameters())
    x = fitted.transform(task.test.X.iloc[:5]).requires_grad_(True)
    (grad,) = torch.autograd.grad(module(x)[:, 1].sum(), x)
    assert grad.shape == x.shape and torch.isfinite(grad).all()
