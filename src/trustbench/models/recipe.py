"""The one torch training recipe: optimiser, loss, epochs, batching and seeding.

Every torch model trustbench trains follows it: :meth:`TorchClassifier.fit
<trustbench.models.TorchClassifier.fit>`, the DP-SGD trainer (``trainer=dp``, Opacus around
the same optimiser and loss) and the vectorised reference-model ensembles of the privacy audit
(:mod:`trustbench.privacy.ensemble`, :mod:`trustbench.privacy.ensemble_dp`), which must train
each reference model exactly as the target was trained. A change here changes all of them.

The recipe:

* **initialisation**: ``torch.manual_seed(seed)`` immediately before the module is built
  (:func:`seeded_module`);
* **data order**: one ``torch.randperm`` per epoch from a ``torch.Generator`` seeded with the
  same seed; mini-batches are ``batch_size`` consecutive positions of that order, the last one
  shorter (:meth:`TorchRecipe.epoch_orders`, :meth:`TorchRecipe.batches`);
* **loss**: cross-entropy on the logits, averaged over the mini-batch (:meth:`TorchRecipe.loss`);
* **optimiser**: Adam with L2 weight decay added to the gradient (``torch.optim.Adam``'s
  ``weight_decay``, not AdamW), :meth:`TorchRecipe.optimizer` for one module and
  :class:`StackedAdam`, the same arithmetic for K stacked models at once;
* **step**: zero the gradients, forward, loss, backward, optimiser step (:func:`train_step`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["LOSSES", "OPTIMIZERS", "StackedAdam", "TorchRecipe", "seeded_module", "train_step"]

OPTIMIZERS = ("adam",)
LOSSES = ("cross_entropy",)


def seeded_module(factory: Callable[[], nn.Module], seed: int) -> nn.Module:
    """``factory()`` right after ``torch.manual_seed(seed)``: the recipe's initialisation."""
    torch.manual_seed(int(seed))
    return factory()


@dataclass(frozen=True)
class TorchRecipe:
    """How a torch classifier is trained.

    Attributes
    ----------
    epochs : int
        Passes over the training rows.
    batch_size : int
        Rows per mini-batch (the last batch of an epoch may be shorter).
    lr : float
        Adam learning rate.
    weight_decay : float
        L2 penalty added to the gradient (``torch.optim.Adam``'s ``weight_decay``).
    betas, eps : Adam's moment decay rates and denominator constant (torch's defaults).
    optimizer : str
        One of :data:`OPTIMIZERS` (``"adam"``).
    loss : str
        One of :data:`LOSSES` (``"cross_entropy"``).
    """

    epochs: int = 40
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    optimizer: str = "adam"
    loss: str = "cross_entropy"

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"TorchRecipe.optimizer must be one of {list(OPTIMIZERS)}; received {self.optimizer!r}"
            )
        if self.loss not in LOSSES:
            raise ValueError(
                f"TorchRecipe.loss must be one of {list(LOSSES)}; received {self.loss!r}"
            )
        if int(self.epochs) < 0:
            raise ValueError(f"TorchRecipe.epochs must be >= 0; received {self.epochs!r}")
        if int(self.batch_size) < 1:
            raise ValueError(f"TorchRecipe.batch_size must be >= 1; received {self.batch_size!r}")
        object.__setattr__(self, "epochs", int(self.epochs))
        object.__setattr__(self, "batch_size", int(self.batch_size))
        object.__setattr__(self, "lr", float(self.lr))
        object.__setattr__(self, "weight_decay", float(self.weight_decay))
        object.__setattr__(self, "betas", (float(self.betas[0]), float(self.betas[1])))
        object.__setattr__(self, "eps", float(self.eps))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TorchRecipe:
        """The recipe from a mapping (a trainer config): its recipe keys, defaults for the rest."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    # -- one module -----------------------------------------------------------------------
    def make_optimizer(self, parameters) -> torch.optim.Optimizer:
        """``torch.optim.Adam`` over ``parameters`` with this recipe's settings."""
        return torch.optim.Adam(
            parameters, lr=self.lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay
        )

    def criterion(self) -> nn.Module:
        """The loss as a module (what Opacus's ``make_private`` takes)."""
        return nn.CrossEntropyLoss()

    def loss_fn(
        self, logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        """Cross-entropy of ``logits`` (``(..., n_classes)``) against integer ``targets``."""
        return nn.functional.cross_entropy(logits, targets, reduction=reduction)

    # -- data order -----------------------------------------------------------------------
    def steps_per_epoch(self, n_rows: int) -> int:
        """Mini-batches in one epoch over ``n_rows`` rows."""
        return math.ceil(int(n_rows) / self.batch_size)

    def epoch_orders(self, n_rows: int, seed: int) -> Iterator[torch.Tensor]:
        """One permutation of ``range(n_rows)`` per epoch (CPU tensors), from ``seed``."""
        generator = torch.Generator().manual_seed(int(seed))
        for _ in range(self.epochs):
            yield torch.randperm(int(n_rows), generator=generator)

    def batches(self, order: torch.Tensor) -> Iterator[torch.Tensor]:
        """Consecutive ``batch_size`` slices of one epoch's ``order``."""
        for start in range(0, len(order), self.batch_size):
            yield order[start : start + self.batch_size]

    def stacked_optimizer(self, params: Mapping[str, torch.Tensor]) -> StackedAdam:
        """This recipe's optimiser for K models whose parameters are stacked (leading dim K)."""
        return StackedAdam(params, self)


def train_step(
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> None:
    """One optimiser step on one mini-batch: zero gradients, forward, loss, backward, step."""
    optimizer.zero_grad(set_to_none=True)
    loss_fn(module(inputs), targets).backward()
    optimizer.step()


class StackedAdam:
    """``torch.optim.Adam`` (L2 weight decay included) for K models with stacked parameters.

    Each model keeps its own step count: a step updates only the models marked active (a model
    whose mini-batch is empty, because its epoch is shorter or Poisson sampling drew no row,
    skips it, as it would when trained alone). When every model steps at the same count the
    update is one fused ``torch._foreach`` pass, the arithmetic of ``torch.optim.Adam``.
    """

    def __init__(self, params: Mapping[str, torch.Tensor], recipe: TorchRecipe) -> None:
        self.params = params
        self.recipe = recipe
        self.exp_avg = {k: torch.zeros_like(v) for k, v in params.items()}
        self.exp_avg_sq = {k: torch.zeros_like(v) for k, v in params.items()}
        first = next(iter(params.values()))
        self.steps_done = torch.zeros(first.shape[0], device=first.device, dtype=first.dtype)
        self.counts = np.zeros(first.shape[0], dtype=np.int64)  # the same counts, on the CPU

    @torch.no_grad()
    def step(
        self, grads: Sequence[torch.Tensor], active: torch.Tensor, active_cpu: np.ndarray
    ) -> None:
        """Update the ``active`` models with ``grads`` (one per parameter, leading dim K).

        ``active`` (bool, on the parameters' device) and ``active_cpu`` (the same flags as a
        numpy array) say which models step; the CPU copy picks the fused or the masked update
        without waiting on the device.
        """
        on = np.asarray(active_cpu, dtype=bool)
        self.counts += on
        self.steps_done += active.to(self.steps_done.dtype)
        if on.all() and (self.counts == self.counts[0]).all():
            self._all(grads, float(self.counts[0]))
        else:
            self._masked(grads, active)

    def _all(self, grads: Sequence[torch.Tensor], t: float) -> None:
        """One Adam step for every model at step count ``t``, foreach ops."""
        lr, (beta1, beta2), eps, wd = (
            self.recipe.lr,
            self.recipe.betas,
            self.recipe.eps,
            self.recipe.weight_decay,
        )
        p, m = list(self.params.values()), list(self.exp_avg.values())
        v, g = list(self.exp_avg_sq.values()), list(grads)
        if wd:
            g = torch._foreach_add(g, p, alpha=wd)
        torch._foreach_lerp_(m, g, 1 - beta1)
        torch._foreach_mul_(v, beta2)
        torch._foreach_addcmul_(v, g, g, 1 - beta2)
        bc1, bc2 = 1 - beta1**t, 1 - beta2**t
        denom = torch._foreach_sqrt(v)
        torch._foreach_div_(denom, bc2**0.5)
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(p, m, denom, value=-lr / bc1)

    def _masked(self, grads: Sequence[torch.Tensor], active: torch.Tensor) -> None:
        """Adam for the ``active`` models only, each at its own step count; the others unchanged."""
        lr, (beta1, beta2), eps, wd = (
            self.recipe.lr,
            self.recipe.betas,
            self.recipe.eps,
            self.recipe.weight_decay,
        )
        bc1 = 1 - beta1**self.steps_done
        bc2 = 1 - beta2**self.steps_done
        for (name, p), g in zip(self.params.items(), grads, strict=True):
            shape = (-1,) + (1,) * (p.dim() - 1)
            on = active.view(shape)
            if wd:
                g = g + wd * p
            m_new = beta1 * self.exp_avg[name] + (1 - beta1) * g
            v_new = beta2 * self.exp_avg_sq[name] + (1 - beta2) * g * g
            self.exp_avg[name] = torch.where(on, m_new, self.exp_avg[name])
            self.exp_avg_sq[name] = torch.where(on, v_new, self.exp_avg_sq[name])
            denom = (self.exp_avg_sq[name].sqrt() / bc2.clamp(min=1e-30).sqrt().view(shape)) + eps
            update = lr / bc1.clamp(min=1e-30).view(shape) * self.exp_avg[name] / denom
            p.sub_(torch.where(on, update, torch.zeros_like(update)))
