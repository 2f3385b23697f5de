"""Gradient explainers (torch models only), backed by Captum.

Tabular models: attributions are computed on the encoded inputs and summed over the encoded
columns of each input feature (one-hot levels, missing-value indicators), giving ``(n, d)``.
Image models: computed on the ``(n, C, H, W)`` tensor and summed over channels, giving
``(n, H, W)`` maps. Baselines (IG, DeepLIFT): the encoded train median/mode row (tabular) or
the baseline image (black by default). Inputs are processed in chunks of ``chunk_size`` rows
(Captum's ``internal_batch_size`` for the path methods).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np

from trustbench.errors import ConfigError
from trustbench.models import is_torch_model
from trustbench.models.facade import transform

if TYPE_CHECKING:  # torch is imported where a torch model is explained
    import torch


class GradientExplainer(ABC):
    """Base class: ``Explainer(model, baseline=..., ...).attribute(X, target)``.

    Parameters
    ----------
    model : torch facade model (``module_``, ``transform``; tabular: ``feature_groups_``)
    baseline : one-row DataFrame (tabular) or ``(1, C, H, W)`` array (images)
    n_classes : int, optional
        Accepted for a uniform constructor; the gradients need no class count.
    seed : int
        Seeds the explainers that draw noise (SmoothGrad).
    chunk_size : int
        Rows (times path steps / noise samples) per backward pass.

    Each subclass's own options are keyword parameters of its ``__init__``.
    """

    name = "gradient"
    needs_gradients = True
    signed = True

    def __init__(
        self,
        model: Any,
        baseline: Any = None,
        n_classes: int | None = None,
        seed: int = 0,
        chunk_size: int = 4096,
    ) -> None:
        if not is_torch_model(model):
            from trustbench.explain.explainers import MODEL_AGNOSTIC

            raise ConfigError(
                f"explainer '{self.name}' needs a torch model (gradients); received "
                f"{type(model).__name__}. Explainers for any model: {sorted(MODEL_AGNOSTIC)}"
            )
        self.model = model
        self.baseline = baseline
        self.n_classes = n_classes
        self.seed = int(seed)
        self.chunk_size = int(chunk_size)

    @abstractmethod
    def _method(self) -> Any:
        """The Captum attribution object over ``model.module_``."""

    def _kwargs(self, inputs: torch.Tensor, base: torch.Tensor | None, n: int) -> dict:
        return {}

    def attribute(self, X: Any, target: np.ndarray) -> np.ndarray:
        """Attributions ``(n, d)`` (tabular) or ``(n, H, W)`` (images) for class ``target``."""
        import torch

        module = self.model.module_
        module.eval()
        encoded = transform(self.model, X)
        base = None if self.baseline is None else transform(self.model, self.baseline)
        target_t = torch.as_tensor(np.asarray(target), dtype=torch.long, device=encoded.device)
        method = self._method()
        rows = max(1, self.chunk_size // max(1, self._cost()))
        parts = []
        for start in range(0, len(encoded), rows):  # chunks of rows, bounded memory
            chunk = encoded[start : start + rows].detach().requires_grad_(True)
            n = len(chunk)
            kwargs = self._kwargs(chunk, base, n)
            out = method.attribute(chunk, target=target_t[start : start + rows], **kwargs)
            parts.append(out.detach())
        grads = torch.cat(parts)
        if grads.ndim == 4:
            return grads.sum(dim=1).double().cpu().numpy()
        # sum the encoded columns of each feature: one matmul with the column -> feature one-hot
        groups = torch.as_tensor(np.asarray(self.model.feature_groups_), device=grads.device)
        onehot = torch.zeros(len(groups), int(groups.max()) + 1, device=grads.device)
        onehot[torch.arange(len(groups), device=grads.device), groups] = 1.0
        return (grads.double() @ onehot.double()).cpu().numpy()

    def _cost(self) -> int:
        return 1


def _expand(base: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    import torch

    if base is None:
        return torch.zeros_like(like)
    return base.expand_as(like).contiguous()


def batch_gradients(module: torch.nn.Module, inputs: torch.Tensor, target: torch.Tensor):
    """``d f_t(x_i) / d x_i`` for every row in one backward pass.

    Rows are independent in a classifier's forward pass (no batch statistics at eval time),
    so the gradient of ``sum_i f_{t_i}(x_i)`` holds every row's gradient; Captum's
    ``compute_gradients`` gets the same values by unbinding the outputs into one scalar per
    row, which costs a Python-level step per row.
    """
    import torch

    with torch.enable_grad():
        logits = module(inputs)
        selected = logits.gather(1, target.view(-1, 1)).sum()
        return torch.autograd.grad(selected, inputs)[0]


class _Batched:
    """Captum-compatible ``attribute`` for the plain-gradient methods, in one backward pass."""

    def __init__(self, module: torch.nn.Module, times_input: bool, absolute: bool) -> None:
        self.module, self.times_input, self.absolute = module, times_input, absolute

    def attribute(self, inputs: torch.Tensor, target: torch.Tensor, **_: Any) -> torch.Tensor:
        grads = batch_gradients(self.module, inputs, target)
        if self.times_input:
            grads = grads * inputs
        return grads.abs() if self.absolute else grads


class SaliencyExplainer(GradientExplainer):
    """Saliency (Simonyan et al. 2014): ``|d f_t / d x|``, equal to Captum ``Saliency``.

    Unsigned: summed magnitudes per feature / over channels.
    """

    name = "saliency"
    signed = False

    def _method(self):  # = Captum Saliency(abs=True), one backward pass per chunk (tested)
        return _Batched(self.model.module_, times_input=False, absolute=True)


class InputXGradientExplainer(GradientExplainer):
    """Input x gradient (Shrikumar et al. 2016): ``x * d f_t / d x``, equal to Captum
    ``InputXGradient``."""

    name = "input_x_gradient"

    def _method(self):  # = Captum InputXGradient, one backward pass per chunk (tested)
        return _Batched(self.model.module_, times_input=True, absolute=False)


class IntegratedGradientsExplainer(GradientExplainer):
    """Integrated gradients (Sundararajan et al. 2017; Captum ``IntegratedGradients``).

    ``(x - x') * mean_{alpha} d f_t(x' + alpha (x - x')) / d x`` over ``n_steps``
    Gauss-Legendre points; ``x'`` the baseline. Option ``n_steps`` (default 32).
    """

    name = "integrated_gradients"

    def __init__(self, *args: Any, n_steps: int = 32, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.n_steps = n_steps

    def _cost(self) -> int:
        return int(self.n_steps)

    def _method(self):
        from captum.attr import IntegratedGradients

        return IntegratedGradients(self.model.module_)

    def _kwargs(self, inputs, base, n):
        return {
            "baselines": _expand(base, inputs),
            "n_steps": self._cost(),
            "internal_batch_size": self.chunk_size,
        }


class SmoothGradExplainer(GradientExplainer):
    """SmoothGrad (Smilkov et al. 2017; Captum ``NoiseTunnel(Saliency)``, ``nt_type="smoothgrad"``).

    Mean of ``|gradient|`` over ``nt_samples`` (default 10) copies with Gaussian noise of
    standard deviation ``stdevs`` (default 0.1, in encoded/pixel units). Unsigned.
    """

    name = "smoothgrad"
    signed = False

    def __init__(
        self, *args: Any, nt_samples: int = 10, stdevs: float = 0.1, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.nt_samples = nt_samples
        self.stdevs = stdevs

    def _cost(self) -> int:
        return int(self.nt_samples)

    def _method(self):
        from captum.attr import NoiseTunnel, Saliency

        return NoiseTunnel(Saliency(self.model.module_))

    def _kwargs(self, inputs, base, n):
        import torch

        torch.manual_seed(self.seed)
        return {
            "nt_type": "smoothgrad",
            "nt_samples": self._cost(),
            "nt_samples_batch_size": self._cost(),
            "stdevs": float(self.stdevs),
            "abs": True,
        }


class DeepLiftExplainer(GradientExplainer):
    """DeepLIFT, rescale rule (Shrikumar et al. 2017; Captum ``DeepLift``), against the baseline.

    Needs activations as modules (``nn.ReLU``), which the shipped MLP and CNN use.
    """

    name = "deeplift"

    def _method(self):
        from captum.attr import DeepLift

        return DeepLift(self.model.module_)

    def _kwargs(self, inputs, base, n):
        return {"baselines": _expand(base, inputs)}


GRADIENT_EXPLAINERS = (
    SaliencyExplainer,
    InputXGradientExplainer,
    IntegratedGradientsExplainer,
    SmoothGradExplainer,
    DeepLiftExplainer,
)
