"""The one torch recipe: its settings, its data order, and StackedAdam against torch.optim.Adam."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trustbench.models import build_model
from trustbench.models.recipe import TorchRecipe, seeded_module


def test_recipe_from_a_trainer_config_and_its_checks():
    recipe = TorchRecipe.from_mapping({"name": "standard", "epochs": 3, "lr": 1, "seed": 7})
    assert recipe == TorchRecipe(epochs=3, lr=1.0)
    assert isinstance(recipe.lr, float) and recipe.batch_size == 64
    with pytest.raises(ValueError, match="optimizer"):
        TorchRecipe(optimizer="sgd")
    with pytest.raises(ValueError, match="batch_size"):
        TorchRecipe(batch_size=0)


def test_torch_classifier_exposes_the_recipe_it_was_built_with():
    cfg = {"name": "mlp", "library": "torch", "module": {"_target_": "trustbench.models.mlp.MLP"}}
    model = build_model(cfg, [], recipe={"epochs": 5, "batch_size": 8, "lr": 0.1})
    assert model.recipe == TorchRecipe(epochs=5, batch_size=8, lr=0.1, weight_decay=1e-4)


def test_epoch_orders_and_batches():
    recipe = TorchRecipe(epochs=3, batch_size=4)
    orders = list(recipe.epoch_orders(10, seed=5))
    assert len(orders) == 3 and all(sorted(o.tolist()) == list(range(10)) for o in orders)
    again = list(recipe.epoch_orders(10, seed=5))
    assert all(torch.equal(a, b) for a, b in zip(orders, again, strict=True))
    assert [len(b) for b in recipe.batches(orders[0])] == [4, 4, 2]
    assert recipe.steps_per_epoch(10) == 3


def test_seeded_module_is_reproducible():
    a = seeded_module(lambda: torch.nn.Linear(3, 2), 4)
    b = seeded_module(lambda: torch.nn.Linear(3, 2), 4)
    assert torch.equal(a.weight, b.weight)


def test_stacked_adam_is_torch_adam_per_model_with_skipped_steps():
    """K stacked models stepping on their own schedules equal K torch.optim.Adam runs."""
    recipe = TorchRecipe(lr=0.05, weight_decay=0.01)
    gen = torch.Generator().manual_seed(0)
    k_models, steps = 3, 6
    start = {"w": torch.randn(k_models, 4, 2, generator=gen, dtype=torch.float64)}
    grads = torch.randn(steps, k_models, 4, 2, generator=gen, dtype=torch.float64)
    active = np.ones((steps, k_models), dtype=bool)
    active[2, 1] = active[3, 2] = active[4, 2] = False  # some models skip some steps
    stacked = {"w": start["w"].clone()}
    optimizer = recipe.stacked_optimizer(stacked)
    for s in range(steps):
        optimizer.step([grads[s]], torch.as_tensor(active[s]), active[s])
    for k in range(k_models):
        p = torch.nn.Parameter(start["w"][k].clone())
        alone = recipe.make_optimizer([p])
        for s in range(steps):
            if active[s, k]:
                p.grad = grads[s, k].clone()
                alone.step()
        np.testing.assert_allclose(stacked["w"][k].numpy(), p.detach().numpy(), rtol=0, atol=1e-12)
