"""Host-side facades that let the suites score a model that runs in a :class:`Sandbox`.

- :class:`SandboxedClassifier`: the scikit-learn facade (``predict_proba``, ``predict``,
  ``classes_``) over any sandboxed model; a DataFrame is first encoded by the challenge's
  ``encode`` (e.g. :meth:`trustbench.challenge.encoding.InputSchema.encode`), then sent in
  batches.
- :class:`SandboxedTorchClassifier` (safetensors submissions): also ``module_``, a
  :class:`RemoteModule` whose forward runs in the worker and whose backward asks the worker
  for the vector-Jacobian product, plus ``transform`` and ``feature_groups_``, which is what
  the gradient explainers and the batched engine of :mod:`trustbench.explain` use. Captum runs
  on the host; the weights never leave the sandbox.

What a sandboxed model cannot offer: anything that needs its parameters on the host (the
randomisation sanity check re-initialises layers; DeepLIFT hooks the model's activation
modules) or retraining (reference-model privacy attacks). Copying a sandboxed model raises.

Use :func:`sandboxed_model` to get the right facade for a sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from trustbench.challenge.sandbox import Sandbox

__all__ = ["RemoteModule", "SandboxedClassifier", "SandboxedTorchClassifier", "sandboxed_model"]

Encoder = Callable[[Any], np.ndarray]


class SandboxedClassifier:
    """``predict_proba`` / ``predict`` of a model that runs in ``sandbox``.

    Parameters
    ----------
    sandbox : Sandbox
        A started sandbox (the caller owns it: start and close it around the scoring).
    classes : sequence
        The class labels, in the order of the model's probability columns.
    encode : callable, optional
        ``encode(X) -> float32 array``, applied to every input that is a DataFrame (the
        challenge's encoder); arrays are sent as they are.
    """

    def __init__(
        self, sandbox: Sandbox, classes: Sequence[Any], encode: Encoder | None = None
    ) -> None:
        self.sandbox = sandbox
        self.classes = classes
        self.encode = encode
        self.classes_ = np.asarray(classes)

    @property
    def n_classes(self) -> int:
        return len(self.classes_)

    def encoded(self, X: Any) -> np.ndarray:
        """The float32 array the worker gets for ``X``."""
        if isinstance(X, pd.DataFrame):
            if self.encode is None:
                raise TypeError("a DataFrame needs the challenge's encode callable")
            X = self.encode(X)
        return np.ascontiguousarray(X, dtype=np.float32)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` from the sandbox (checked there)."""
        if self.sandbox.n_classes is None:
            self.sandbox.n_classes = self.n_classes
        return self.sandbox.predict_proba(self.encoded(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __deepcopy__(self, memo: dict) -> Any:
        raise TypeError("a sandboxed model cannot be copied: its weights stay in the sandbox")


class _RemoteFunction(torch.autograd.Function):
    """Forward: the worker's logits. Backward: the worker's vector-Jacobian product."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, sandbox: Sandbox) -> torch.Tensor:
        ctx.sandbox = sandbox
        ctx.save_for_backward(x)
        logits = sandbox.forward(x.detach().cpu().numpy())
        return torch.as_tensor(logits, device=x.device).to(x.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        gx = ctx.sandbox.vjp(x.detach().cpu().numpy(), grad.detach().cpu().numpy())
        return torch.as_tensor(gx, device=x.device).to(x.dtype), None


class RemoteModule(nn.Module):
    """A differentiable stand-in for the sandboxed module: ``module(x)`` gives its logits,
    and gradients with respect to ``x`` flow back through the worker (first order only)."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _RemoteFunction.apply(x, self.sandbox)

    def __deepcopy__(self, memo: dict) -> Any:
        raise TypeError("a sandboxed model cannot be copied: its weights stay in the sandbox")


class SandboxedTorchClassifier(SandboxedClassifier):
    """:class:`SandboxedClassifier` plus the torch facade gradient explainers use.

    Parameters
    ----------
    sandbox, classes, encode : as :class:`SandboxedClassifier`
    feature_groups : array of int, optional
        Tabular inputs: the feature of each encoded column (default, from the sandbox's
        ``in_features``: column ``j`` is feature ``j``, as the challenge's encoding has it).
    """

    def __init__(
        self,
        sandbox: Sandbox,
        classes: Sequence[Any],
        encode: Encoder | None = None,
        feature_groups: Sequence[int] | None = None,
    ) -> None:
        super().__init__(sandbox, classes, encode)
        self.feature_groups = feature_groups
        self.module_ = RemoteModule(sandbox)
        self.device_ = torch.device("cpu")
        width = sandbox.dims.get("in_features")
        if feature_groups is None and width is not None:
            feature_groups = range(int(width))
        self.feature_groups_ = None if feature_groups is None else np.asarray(feature_groups)

    def transform(self, X: Any) -> torch.Tensor:
        """The encoded inputs as a float32 tensor (what ``module_`` takes)."""
        return torch.as_tensor(self.encoded(X))

    def logits(self, encoded: torch.Tensor) -> torch.Tensor:
        """Logits of already-encoded inputs (differentiable)."""
        return self.module_(encoded)


def sandboxed_model(
    sandbox: Sandbox,
    classes: Sequence[Any],
    encode: Encoder | None = None,
    feature_groups: Sequence[int] | None = None,
) -> SandboxedClassifier:
    """The facade for ``sandbox``: with gradients for safetensors, black-box for ONNX."""
    if sandbox.fmt == "safetensors":
        return SandboxedTorchClassifier(sandbox, classes, encode, feature_groups)
    return SandboxedClassifier(sandbox, classes, encode)
