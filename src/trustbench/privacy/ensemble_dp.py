"""Train K copies of one torch architecture with DP-SGD at once (Opacus's algorithm, vectorised).

The reference models of a membership-inference audit against a DP target must be trained by the
target's recipe, DP-SGD included. This module runs that recipe for K models in one loop:

* **sampling** as Opacus's ``DPDataLoader``: model ``k`` with ``n_k`` rows has sample rate
  ``q_k = 1 / ceil(n_k / batch_size)`` and takes ``1 / q_k`` steps per epoch; with Poisson
  sampling each step's batch size is drawn as ``b ~ Binomial(n_k, q_k)`` and the batch is a
  uniform random ``b``-subset of its rows (together: every row is in independently with
  probability ``q_k``, which is what the accountant assumes). Without Poisson sampling the
  batches are those of a shuffled loader. Schedules are drawn on the CPU from ``seeds[k]``,
  so they are the same on every device;
* **per-sample gradients** from ``vmap`` over models of ``vmap`` over rows of ``grad``
  (``torch.func``), the functorch route Opacus itself offers;
* **clipping, noise, scaling** exactly as ``opacus.optimizers.DPOptimizer``: each row's
  gradient is scaled by ``min(1, C / (||g|| + 1e-6))`` (norm over all parameters), the sum gets
  ``N(0, (sigma C)^2)`` noise, and the result is divided by the expected batch size
  ``int(n_k q_k)``;
* **update**: the recipe's Adam (:class:`~trustbench.models.recipe.StackedAdam`, as the
  non-private ensemble; L2 weight decay included) and its loss, cross-entropy; a model whose
  batch is empty skips the step, as the target's loop does.

Epochs, batch size, learning rate and weight decay are the target's
:class:`~trustbench.models.recipe.TorchRecipe`, the one ``trainer=dp`` hands to Opacus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from trustbench.models.recipe import TorchRecipe
from trustbench.privacy.ensemble import batch_schedule, init_ensemble

__all__ = ["dp_sample_rate", "noisy_clipped_gradients", "poisson_batches", "train_ensemble_dp"]


def dp_sample_rate(n_rows: int, batch_size: int) -> float:
    """Opacus's sample rate for ``n_rows`` rows: ``1 / len(DataLoader(..., batch_size))``."""
    return 1.0 / int(np.ceil(n_rows / batch_size))


def poisson_batches(
    subsets: Sequence[np.ndarray], seeds: Sequence[int], epochs: int, batch_size: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch at a time, Poisson-sampled batches of every model, padded into one tensor.

    Yields ``(index, valid)`` of shape ``(steps, K, width)``: at step ``s`` model ``k`` trains
    on rows ``index[s, k][valid[s, k]]``. ``steps`` is the longest epoch among the models (a
    model with fewer steps gets empty batches at the end); ``width`` is the largest batch
    drawn in the epoch, so no batch is ever truncated.
    """
    rngs = [np.random.default_rng([int(seed), 23]) for seed in seeds]
    rows = [np.asarray(s, dtype=np.int64) for s in subsets]
    steps = [round(1.0 / dp_sample_rate(len(r), batch_size)) for r in rows]
    longest = max(steps)
    for _ in range(int(epochs)):
        chosen: list[list[np.ndarray]] = []
        for k, (rng, subset) in enumerate(zip(rngs, rows, strict=True)):
            q = dp_sample_rate(len(subset), batch_size)
            sizes = rng.binomial(len(subset), q, size=steps[k])
            picks = [rng.choice(subset, size=int(b), replace=False) for b in sizes]
            chosen.append(picks + [np.empty(0, dtype=np.int64)] * (longest - steps[k]))
        width = max(1, max(len(p) for picks in chosen for p in picks))
        index = torch.zeros((longest, len(rows), width), dtype=torch.long)
        valid = torch.zeros((longest, len(rows), width), dtype=torch.bool)
        for k, picks in enumerate(chosen):
            for s, pick in enumerate(picks):
                index[s, k, : len(pick)] = torch.from_numpy(pick)
                valid[s, k, : len(pick)] = True
        yield index, valid


def noisy_clipped_gradients(
    per_sample: dict[str, torch.Tensor],
    valid: torch.Tensor,
    max_grad_norm: float,
    noise_std: torch.Tensor,
    denominator: torch.Tensor,
    generator: torch.Generator | None = None,
) -> list[torch.Tensor]:
    """DPOptimizer's clip, noise and scale for K models at once.

    Parameters
    ----------
    per_sample : dict of Tensor (K, B, *shape)
        Per-row gradients of every parameter.
    valid : bool Tensor (K, B)
        Which rows are real (padding rows contribute nothing).
    max_grad_norm : float
        Clipping norm ``C``.
    noise_std : Tensor (K,)
        ``sigma_k * C`` per model.
    denominator : Tensor (K,)
        Expected batch size per model.

    Returns
    -------
    list of Tensor (K, *shape)
        ``(sum_i min(1, C / (||g_i|| + 1e-6)) g_i + N(0, noise_std^2)) / denominator``.
    """
    grads = list(per_sample.values())
    norms = torch.stack([g.flatten(2).norm(2, dim=-1) for g in grads], dim=-1).norm(2, dim=-1)
    factor = (max_grad_norm / (norms + 1e-6)).clamp(max=1.0) * valid.to(norms.dtype)
    out = []
    for g in grads:
        summed = torch.einsum("kb,kb...->k...", factor, g)
        noise = torch.randn(summed.shape, generator=generator, device=summed.device)
        shape = (-1,) + (1,) * (summed.dim() - 1)
        out.append((summed + noise * noise_std.view(shape)) / denominator.view(shape))
    return out


def train_ensemble_dp(
    factory: Callable[[], nn.Module],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    subsets: Sequence[np.ndarray],
    seeds: Sequence[int],
    recipe: TorchRecipe,
    *,
    noise_multipliers: Sequence[float],
    max_grad_norm: float,
    poisson_sampling: bool = True,
) -> tuple[nn.Module, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Train ``K = len(seeds)`` models with DP-SGD together, each on its own subset.

    Parameters are those of :func:`trustbench.privacy.ensemble.train_ensemble` (``recipe``
    included), plus ``noise_multipliers`` (one ``sigma`` per model), ``max_grad_norm`` (``C``)
    and ``poisson_sampling``. Returns ``(base, params, buffers)`` for
    :func:`~trustbench.privacy.ensemble.predict_ensemble`.
    """
    device = inputs.device
    batch_size, epochs = recipe.batch_size, recipe.epochs
    base, params, buffers = init_ensemble(factory, seeds, device, grad=False)
    optimizer = recipe.stacked_optimizer(params)
    sizes = [len(s) for s in subsets]
    rates = [dp_sample_rate(n, batch_size) for n in sizes]
    denominator = torch.tensor(
        [float(int(n * q)) for n, q in zip(sizes, rates, strict=True)], device=device
    )
    noise_std = torch.tensor([float(s) * max_grad_norm for s in noise_multipliers], device=device)
    generator = torch.Generator(device=device).manual_seed(int(seeds[0]))

    def row_loss(p, b, x, y):
        logits = functional_call(base, (p, b), (x.unsqueeze(0),))
        return recipe.loss_fn(logits, y.unsqueeze(0))

    per_row = vmap(
        vmap(grad(row_loss), in_dims=(None, None, 0, 0), randomness="different"),
        randomness="different",
    )
    if poisson_sampling:
        epochs_iter = poisson_batches(subsets, seeds, epochs, batch_size)
    else:  # a shuffled loader's batches, as Opacus without Poisson sampling
        index, valid = batch_schedule(subsets, seeds, recipe)
        epochs_iter = iter([(index, valid)])
    for index, valid in epochs_iter:
        active_cpu = valid.any(dim=2).numpy()  # which models step, known on the CPU
        index, valid = index.to(device), valid.to(device)
        active = valid.any(dim=2)
        for step in range(index.shape[0]):
            idx, ok = index[step], valid[step]
            per_sample = per_row(params, buffers, inputs[idx], targets[idx])
            grads = noisy_clipped_gradients(
                per_sample, ok, max_grad_norm, noise_std, denominator, generator
            )
            optimizer.step(grads, active[step], active_cpu[step])
    return base, params, buffers
