"""Train K copies of one torch architecture at once: stacked weights, ``torch.func.vmap``.

Every model follows the one recipe of :class:`~trustbench.models.TorchClassifier`
(:class:`~trustbench.models.recipe.TorchRecipe`): model ``k`` has its own initialisation
(:func:`~trustbench.models.recipe.seeded_module` with ``seeds[k]``), its own training subset and
its own data order (:meth:`TorchRecipe.epoch_orders <trustbench.models.recipe.TorchRecipe.
epoch_orders>` from ``seeds[k]``, mini-batches of ``batch_size`` consecutive positions). One
vectorised step trains all K models on their own mini-batches: per-model index tensors gather
the batches, ``vmap(functional_call)`` runs the K forward passes as one, and the recipe's Adam
(:class:`~trustbench.models.recipe.StackedAdam`, the arithmetic of ``torch.optim.Adam``, L2
weight decay included) updates only the models that still have a batch at that step, so a
model with a smaller subset simply stops early in its epoch, exactly as when trained alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from trustbench.models.recipe import TorchRecipe, seeded_module

__all__ = ["batch_schedule", "init_ensemble", "predict_ensemble", "train_ensemble"]


def batch_schedule(
    subsets: Sequence[np.ndarray], seeds: Sequence[int], recipe: TorchRecipe
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-model mini-batch indices for every step, padded into one tensor.

    Returns ``(index, valid)`` of shapes ``(S, K, batch_size)``: step ``s`` of model ``k``
    trains on rows ``index[s, k][valid[s, k]]`` (global row numbers), the batches
    :meth:`TorchRecipe.batches <trustbench.models.recipe.TorchRecipe.batches>` would give it
    alone. A model whose epoch has fewer steps than the longest gets all-invalid (skipped)
    steps at its epoch's end.
    """
    k_models, batch_size, epochs = len(subsets), recipe.batch_size, recipe.epochs
    steps_per_epoch = [recipe.steps_per_epoch(len(s)) for s in subsets]
    longest = max(steps_per_epoch)
    index = torch.zeros((epochs * longest, k_models, batch_size), dtype=torch.long)
    valid = torch.zeros((epochs * longest, k_models, batch_size), dtype=torch.bool)
    for k, (subset, seed) in enumerate(zip(subsets, seeds, strict=True)):
        rows = torch.as_tensor(np.asarray(subset), dtype=torch.long)
        n = len(rows)
        padded = steps_per_epoch[k] * batch_size
        # one permutation per model and epoch (not per example)
        for epoch, order in enumerate(recipe.epoch_orders(n, int(seed))):
            block = torch.zeros(padded, dtype=torch.long)
            block[:n] = rows[order]
            mask = torch.arange(padded) < n
            s0 = epoch * longest
            s1 = s0 + steps_per_epoch[k]
            index[s0:s1, k] = block.view(-1, batch_size)
            valid[s0:s1, k] = mask.view(-1, batch_size)
    return index, valid


def init_ensemble(
    factory: Callable[[], nn.Module], seeds: Sequence[int], device: torch.device, grad: bool
) -> tuple[nn.Module, dict, dict]:
    """K freshly initialised models stacked: ``(base, params, buffers)``.

    Model ``k`` is :func:`~trustbench.models.recipe.seeded_module` ``(factory, seeds[k])``, as
    :class:`~trustbench.models.TorchClassifier` builds its module. ``base`` is a stateless
    (meta) template for ``functional_call``; ``params`` require gradients when ``grad``.
    """
    modules = [seeded_module(factory, seed).to(device) for seed in seeds]
    for module in modules:
        module.train()
    params, buffers = stack_module_state(modules)
    base = copy.deepcopy(modules[0]).to("meta")
    params = {k: v.detach().clone().requires_grad_(grad) for k, v in params.items()}
    return base, params, buffers


def train_ensemble(
    factory: Callable[[], nn.Module],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    subsets: Sequence[np.ndarray],
    seeds: Sequence[int],
    recipe: TorchRecipe,
) -> tuple[nn.Module, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Train ``K = len(seeds)`` models of one architecture together, each on its own subset.

    Parameters
    ----------
    factory : callable
        ``factory() -> nn.Module`` (logits), called once per model after seeding torch.
    inputs : Tensor of shape (n, ...)
        Encoded inputs of every row any model trains on (on the training device).
    targets : Tensor of shape (n,)
        Integer class indices.
    subsets : sequence of K integer arrays
        Rows (into ``inputs``) of each model's training set.
    seeds : sequence of K ints
        Initialisation and data-order seed of each model.
    recipe : TorchRecipe
        The recipe of ``TorchClassifier.fit`` (epochs, batch size, Adam, cross-entropy
        averaged over each mini-batch), normally the target's ``model.recipe``.

    Returns
    -------
    (base, params, buffers)
        A stateless template module and the stacked parameters/buffers (leading dim K), for
        :func:`predict_ensemble`.
    """
    device = inputs.device
    base, params, buffers = init_ensemble(factory, seeds, device, grad=True)
    optimizer = recipe.stacked_optimizer(params)
    index, valid = batch_schedule(subsets, seeds, recipe)
    # which models step at each step, known in advance on the CPU: the loop never waits on the
    # device to choose between the fused and the masked update
    active_cpu = valid.any(dim=2).numpy()
    index, valid = index.to(device), valid.to(device)
    active = valid.any(dim=2)

    def forward(p, b, x):
        return functional_call(base, (p, b), (x,))

    batched = vmap(forward, randomness="different")
    for step in range(index.shape[0]):
        idx, ok = index[step], valid[step]  # (K, B)
        logits = batched(params, buffers, inputs[idx])  # (K, B, C)
        losses = recipe.loss_fn(
            logits.flatten(0, 1), targets[idx].flatten(), reduction="none"
        ).view(idx.shape)
        per_model = (losses * ok).sum(dim=1) / ok.sum(dim=1).clamp(min=1)
        grads = torch.autograd.grad(per_model.sum(), list(params.values()))
        optimizer.step(grads, active[step], active_cpu[step])
    params = {k: v.detach() for k, v in params.items()}
    return base, params, buffers


@torch.no_grad()
def predict_ensemble(
    base: nn.Module,
    params: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
    inputs: torch.Tensor,
    chunk_size: int = 65536,
) -> torch.Tensor:
    """Logits of every model on every row, shape ``(K, n, n_classes)`` (eval mode)."""
    base.eval()

    def forward(p, b, x):
        return functional_call(base, (p, b), (x,))

    batched = vmap(forward, in_dims=(0, 0, None))
    parts = [
        batched(params, buffers, inputs[i : i + chunk_size])
        for i in range(0, len(inputs), chunk_size)
    ]
    return torch.cat(parts, dim=1)
