"""DP-SGD for K reference models at once: Opacus's clip/noise/scale, its sampling, its accountant."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from torch.func import functional_call, grad, stack_module_state, vmap

from trustbench.models.mlp import MLP
from trustbench.models.recipe import TorchRecipe
from trustbench.privacy import ensemble as ens
from trustbench.privacy import ensemble_dp as dp
from trustbench.privacy import reference as ref
from trustbench.training.record import DPRecord


def _per_sample(modules, X, y):
    params, buffers = stack_module_state(modules)
    base = modules[0]

    def row_loss(p, b, x, t):
        return torch.nn.functional.cross_entropy(
            functional_call(base, (p, b), (x.unsqueeze(0),)), t.unsqueeze(0)
        )

    per_row = vmap(vmap(grad(row_loss), in_dims=(None, None, 0, 0)))
    return per_row(params, buffers, X, y)


def test_clip_and_scale_equal_opacus_dp_optimizer():
    """Noise off: one DPOptimizer step (SGD, lr 1) moves each weight by our aggregated gradient."""
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(2, 12, 6, generator=gen) * 3  # large inputs: most rows get clipped
    y = torch.randint(0, 3, (2, 12), generator=gen)
    valid = torch.ones(2, 12, dtype=torch.bool)
    valid[1, 9:] = False  # model 1 has a smaller batch (padding rows must not count)
    modules = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        modules.append(MLP(6, 3, (8,), 0.0))
    per_sample = _per_sample(modules, X, y)
    ours = dp.noisy_clipped_gradients(
        per_sample,
        valid,
        max_grad_norm=0.5,
        noise_std=torch.zeros(2),
        denominator=torch.tensor([10.0, 10.0]),
    )
    for k, module in enumerate(modules):
        before = [p.detach().clone() for p in module.parameters()]
        wrapped = GradSampleModule(module)
        opt = DPOptimizer(
            torch.optim.SGD(wrapped.parameters(), lr=1.0),
            noise_multiplier=0.0,
            max_grad_norm=0.5,
            expected_batch_size=10,
        )
        rows = valid[k]
        loss = torch.nn.functional.cross_entropy(wrapped(X[k][rows]), y[k][rows], reduction="mean")
        loss.backward()
        opt.step()
        for b, p, g in zip(before, module.parameters(), ours, strict=True):
            np.testing.assert_allclose((b - p.detach()).numpy(), g[k].detach().numpy(), atol=1e-6)
        wrapped._close()


def test_noise_has_opacus_scale():
    """Zero gradients: what remains is N(0, (sigma C)^2) / expected batch size, per model."""
    per_sample = {"w": torch.zeros(2, 4, 20000)}
    out = dp.noisy_clipped_gradients(
        per_sample,
        torch.ones(2, 4, dtype=torch.bool),
        max_grad_norm=2.0,
        noise_std=torch.tensor([0.5 * 2.0, 3.0 * 2.0]),
        denominator=torch.tensor([4.0, 8.0]),
        generator=torch.Generator().manual_seed(0),
    )[0]
    assert out[0].std().item() == pytest.approx(1.0 / 4.0, rel=0.03)
    assert out[1].std().item() == pytest.approx(6.0 / 8.0, rel=0.03)
    assert abs(out.mean().item()) < 0.01


def test_poisson_batches_include_each_row_with_the_sample_rate():
    subsets = [np.arange(0, 100), np.arange(50, 149)]  # 100 and 99 rows
    epochs = 300
    counts = np.zeros((2, 150))
    n_steps = []
    for index, valid in dp.poisson_batches(subsets, [3, 4], epochs, batch_size=10):
        n_steps.append(index.shape[0])
        for k in range(2):
            for s in range(index.shape[0]):
                rows = index[s, k][valid[s, k]].numpy()
                assert len(np.unique(rows)) == len(rows)  # no row twice in one batch
                assert np.isin(rows, subsets[k]).all()  # only the model's own rows
                counts[k, rows] += 1
    assert set(n_steps) == {10}  # 1 / q steps per epoch, q = 1 / ceil(n / batch_size)
    total_steps = 10 * epochs
    for k, subset in enumerate(subsets):
        rate = counts[k, subset] / total_steps
        q = dp.dp_sample_rate(len(subset), 10)
        assert q == pytest.approx(0.1)
        # each row is in a batch with probability q, independently: binomial spread
        assert rate.mean() == pytest.approx(q, abs=0.005)
        assert rate.std() == pytest.approx(np.sqrt(q * (1 - q) / total_steps), rel=0.25)
        assert counts[k, np.setdiff1d(np.arange(150), subset)].sum() == 0


def test_without_noise_or_clipping_it_is_the_plain_ensemble():
    """sigma = 0, C huge, full batches without Poisson sampling: plain Adam on batch means."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(120, 5, generator=gen)
    y = (X[:, 0] - 0.5 * X[:, 2] > 0).long()
    subsets = [np.arange(0, 64), np.arange(40, 104), np.arange(56, 120)]  # 64 rows each
    factory = partial(MLP, 5, 2, (16,), 0.0)
    recipe = TorchRecipe(epochs=3, batch_size=16, lr=5e-3, weight_decay=1e-3)
    plain = ens.train_ensemble(factory, X, y, subsets, [5, 6, 7], recipe)
    private = dp.train_ensemble_dp(
        factory,
        X,
        y,
        subsets,
        [5, 6, 7],
        recipe,
        noise_multipliers=[0.0] * 3,
        max_grad_norm=1e9,
        poisson_sampling=False,
    )
    a = ens.predict_ensemble(*plain, X)
    b = ens.predict_ensemble(*private, X)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4)


def test_noise_stops_learning_and_each_model_is_calibrated_to_the_target_epsilon():
    from opacus.accountants import RDPAccountant

    gen = torch.Generator().manual_seed(1)
    X = torch.randn(400, 4, generator=gen)
    y = (X[:, 0] > 0).long()
    subsets = [np.arange(0, 200), np.arange(200, 399)]
    target = DPRecord(epsilon=1.0, delta=1e-4, target_epsilon=1.0, epochs=5, accountant="rdp")
    sigmas = ref.reference_noise_multipliers(target, [200, 199], batch_size=20)
    for n, sigma in zip((200, 199), sigmas, strict=True):
        accountant = RDPAccountant()
        q = dp.dp_sample_rate(n, 20)
        accountant.history = [(sigma, q, round(5 / q))]
        assert accountant.get_epsilon(1e-4) == pytest.approx(1.0, abs=0.02)
    fixed_noise = DPRecord(epsilon=2.0, delta=1e-4, noise_multiplier=0.7)
    fixed = ref.reference_noise_multipliers(fixed_noise, [200, 199], 20)
    assert fixed == [0.7, 0.7]

    factory = partial(MLP, 4, 2, (8,), 0.0)
    recipe = TorchRecipe(epochs=5, batch_size=20, lr=1e-2, weight_decay=0.0)
    learned = dp.train_ensemble_dp(
        factory, X, y, subsets, [1, 2], recipe, noise_multipliers=[0.0, 0.0], max_grad_norm=1.0
    )
    drowned = dp.train_ensemble_dp(
        factory, X, y, subsets, [1, 2], recipe, noise_multipliers=[50.0, 50.0], max_grad_norm=1.0
    )
    accuracy = [
        (ens.predict_ensemble(*m, X).argmax(-1) == y).float().mean(dim=1)
        for m in (learned, drowned)
    ]
    assert (accuracy[0] > 0.9).all()
    assert (accuracy[1] < accuracy[0] - 0.2).all()
