"""Train K copies of one torch architecture at once: stacked weights, ``torch.func.vmap``.

Each model ``k`` has its own initialisation (``torch.manual_seed(seeds[k])`` before building
the module, as :class:`~trustbench.models.TorchClassifier` does), its own training subset and
its own data order (``torch.randperm`` from a generator seeded with ``seeds[k]``, one
permutation per epoch, mini-batches of ``batch_size`` consecutive positions: the loop of
``TorchClassifier.fit``). One vectorised step trains all K models on their own mini-batches:
per-model index tensors gather the batches, ``vmap(functional_call)`` runs the K forward
passes as one, and a per-model Adam update (the arithmetic of ``torch.optim.Adam``, L2 weight
decay included) is applied only to the models that still have a batch at that step, so a
model with a smaller subset simply stops early in its epoch, exactly as when trained alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

__all__ = ["batch_schedule", "predict_ensemble", "train_ensemble"]


def batch_schedule(
    subsets: Sequence[np.ndarray], seeds: Sequence[int], epochs: int, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-model mini-batch indices for every step, padded into one tensor.

    Returns ``(index, valid)`` of shapes ``(S, K, batch_size)``: step ``s`` of model ``k``
    trains on rows ``index[s, k][valid[s, k]]`` (global row numbers). A model whose epoch has
    fewer steps than the longest gets all-invalid (skipped) steps at its epoch's end.
    """
    k_models = len(subsets)
    steps_per_epoch = [int(np.ceil(len(s) / batch_size)) for s in subsets]
    longest = max(steps_per_epoch)
    index = torch.zeros((epochs * longest, k_models, batch_size), dtype=torch.long)
    valid = torch.zeros((epochs * longest, k_models, batch_size), dtype=torch.bool)
    for k, (subset, seed) in enumerate(zip(subsets, seeds, strict=True)):
        rows = torch.as_tensor(np.asarray(subset), dtype=torch.long)
        n = len(rows)
        generator = torch.Generator().manual_seed(int(seed))
        padded = steps_per_epoch[k] * batch_size
        for epoch in range(epochs):  # one permutation per model and epoch (not per example)
            order = rows[torch.randperm(n, generator=generator)]
            block = torch.zeros(padded, dtype=torch.long)
            block[:n] = order
            mask = torch.arange(padded) < n
            s0 = epoch * longest
            s1 = s0 + steps_per_epoch[k]
            index[s0:s1, k] = block.view(-1, batch_size)
            valid[s0:s1, k] = mask.view(-1, batch_size)
    return index, valid


def _init_modules(factory: Callable[[], nn.Module], seeds: Sequence[int]) -> list[nn.Module]:
    modules = []
    for seed in seeds:
        torch.manual_seed(int(seed))
        modules.append(factory())
    return modules


def init_ensemble(
    factory: Callable[[], nn.Module], seeds: Sequence[int], device: torch.device, grad: bool
) -> tuple[nn.Module, dict, dict, dict, dict]:
    """K freshly initialised models stacked: ``(base, params, buffers, exp_avg, exp_avg_sq)``.

    ``base`` is a stateless (meta) template for ``functional_call``; ``params`` require
    gradients when ``grad``; the Adam moments start at zero.
    """
    modules = [m.to(device) for m in _init_modules(factory, seeds)]
    for module in modules:
        module.train()
    params, buffers = stack_module_state(modules)
    base = copy.deepcopy(modules[0]).to("meta")
    params = {k: v.detach().clone().requires_grad_(grad) for k, v in params.items()}
    exp_avg = {k: torch.zeros_like(v) for k, v in params.items()}
    exp_avg_sq = {k: torch.zeros_like(v) for k, v in params.items()}
    return base, params, buffers, exp_avg, exp_avg_sq


def train_ensemble(
    factory: Callable[[], nn.Module],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    subsets: Sequence[np.ndarray],
    seeds: Sequence[int],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float = 0.0,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
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
    epochs, batch_size, lr, weight_decay : the recipe of ``TorchClassifier.fit``
        (Adam with L2 weight decay, cross-entropy averaged over each mini-batch).

    Returns
    -------
    (base, params, buffers)
        A stateless template module and the stacked parameters/buffers (leading dim K), for
        :func:`predict_ensemble`.
    """
    device = inputs.device
    base, params, buffers, exp_avg, exp_avg_sq = init_ensemble(factory, seeds, device, grad=True)
    steps_done = torch.zeros(len(seeds), device=device)
    index, valid = batch_schedule(subsets, seeds, int(epochs), int(batch_size))
    # which models step at each step, and their step counts, known in advance on the CPU: the
    # loop never waits on the device to choose between the fused and the masked update
    active_cpu = valid.any(dim=2)
    counts_cpu = active_cpu.cumsum(dim=0)
    uniform = active_cpu.all(dim=1) & (counts_cpu == counts_cpu[:, :1]).all(dim=1)
    index, valid = index.to(device), valid.to(device)

    def forward(p, b, x):
        return functional_call(base, (p, b), (x,))

    batched = vmap(forward, randomness="different")
    beta1, beta2 = betas
    for step in range(index.shape[0]):
        idx, ok = index[step], valid[step]  # (K, B)
        active = ok.any(dim=1)
        logits = batched(params, buffers, inputs[idx])  # (K, B, C)
        losses = nn.functional.cross_entropy(
            logits.flatten(0, 1), targets[idx].flatten(), reduction="none"
        ).view(idx.shape)
        per_model = (losses * ok).sum(dim=1) / ok.sum(dim=1).clamp(min=1)
        grads = torch.autograd.grad(per_model.sum(), list(params.values()))
        with torch.no_grad():
            steps_done += active.to(steps_done.dtype)
            if bool(uniform[step]):
                # every model steps, all at the same count: torch.optim.Adam's update, fused
                _adam_all(
                    params,
                    grads,
                    exp_avg,
                    exp_avg_sq,
                    float(counts_cpu[step, 0]),
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                )
            else:
                _adam_masked(
                    params,
                    grads,
                    exp_avg,
                    exp_avg_sq,
                    steps_done,
                    active,
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                )
    params = {k: v.detach() for k, v in params.items()}
    return base, params, buffers


def _adam_all(params, grads, exp_avg, exp_avg_sq, t, lr, beta1, beta2, eps, weight_decay):
    """One Adam step for every model (the arithmetic of ``torch.optim.Adam``), foreach ops."""
    p, m, v = list(params.values()), list(exp_avg.values()), list(exp_avg_sq.values())
    g = list(grads)
    if weight_decay:
        g = torch._foreach_add(g, p, alpha=weight_decay)
    torch._foreach_lerp_(m, g, 1 - beta1)
    torch._foreach_mul_(v, beta2)
    torch._foreach_addcmul_(v, g, g, 1 - beta2)
    bc1, bc2 = 1 - beta1**t, 1 - beta2**t
    denom = torch._foreach_sqrt(v)
    torch._foreach_div_(denom, bc2**0.5)
    torch._foreach_add_(denom, eps)
    torch._foreach_addcdiv_(p, m, denom, value=-lr / bc1)


def _adam_masked(
    params, grads, exp_avg, exp_avg_sq, steps_done, active, lr, beta1, beta2, eps, weight_decay
):
    """Adam for the ``active`` models only, each at its own step count; the others unchanged."""
    bc1 = 1 - beta1**steps_done
    bc2 = 1 - beta2**steps_done
    for (name, p), g in zip(params.items(), grads, strict=True):
        shape = (-1,) + (1,) * (p.dim() - 1)
        on = active.view(shape)
        if weight_decay:
            g = g + weight_decay * p
        m_new = beta1 * exp_avg[name] + (1 - beta1) * g
        v_new = beta2 * exp_avg_sq[name] + (1 - beta2) * g * g
        exp_avg[name] = torch.where(on, m_new, exp_avg[name])
        exp_avg_sq[name] = torch.where(on, v_new, exp_avg_sq[name])
        denom = (exp_avg_sq[name].sqrt() / bc2.clamp(min=1e-30).sqrt().view(shape)) + eps
        update = lr / bc1.clamp(min=1e-30).view(shape) * exp_avg[name] / denom
        p.sub_(torch.where(on, update, torch.zeros_like(update)))


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
