"""The architectures a challenge defines for white-box (safetensors) submissions.

A safetensors file holds tensors only, never code: the network that reads them is defined
here, by the challenge, and its state-dict keys and shapes are fixed by the architecture and
its dimensions, so a submitted file can be checked against them before anything is loaded
(:func:`expected_shapes`, :func:`check_tensors`).

Every architecture maps the challenge's input tensor ``X`` (see
:mod:`trustbench.challenge.encoding`) to **logits** ``(n, K)``; the worker applies the softmax
for ``predict_proba`` and serves the logits themselves (``forward``) and their input gradients
(``vjp``) for gradient explainers.

- ``tabular_mlp_v1(in_features, n_classes)``: ``X`` is the float32 matrix ``(n, d)`` of encoded
  features, NaN where a value is missing. The module holds its own per-column buffers
  ``mean`` and ``std`` (``(d,)``, ``std > 0``), standardises ``(x - mean) / std``, sets the
  missing entries to 0 (the column mean) after standardisation, and runs
  :class:`~trustbench.models.mlp.MLP` with hidden sizes ``(64, 64)``.
- ``image_cnn_v1(in_channels, n_classes)``: ``X`` is ``(n, C, H, W)`` float32 in [0, 1]; the
  network is :class:`~trustbench.models.cnn.CNN` with channels ``(8, 16, 32)`` and 4 GroupNorm
  groups (global pooling: any ``H, W``).

This module runs inside the sandbox as well as on the host: it imports torch and the two
layer modules only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from trustbench.errors import TrustbenchError
from trustbench.models.cnn import CNN
from trustbench.models.mlp import MLP

TABULAR_HIDDEN = (64, 64)
IMAGE_CHANNELS = (8, 16, 32)
IMAGE_GROUPS = 4
FLOAT_DTYPES = frozenset({"float32", "f32", "float64", "f64", "float16", "f16", "bfloat16", "bf16"})

__all__ = [
    "ARCHITECTURES",
    "ArchitectureError",
    "TabularMLP",
    "build",
    "check_tensors",
    "check_values",
    "dims_for",
    "expected_shapes",
]


class ArchitectureError(TrustbenchError):
    """An unknown architecture, wrong dimensions, or tensors that do not fit the architecture."""


class TabularMLP(nn.Module):
    """Standardise with the module's own ``mean`` / ``std`` buffers, NaN -> 0, then an MLP.

    Parameters
    ----------
    in_features : int
        Width ``d`` of the encoded input.
    n_classes : int
        Number of output logits.
    """

    def __init__(self, in_features: int, n_classes: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(int(in_features)))
        self.register_buffer("std", torch.ones(int(in_features)))
        self.mlp = MLP(int(in_features), int(n_classes), hidden_sizes=TABULAR_HIDDEN)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, n_classes)``; the gradient with respect to a missing entry is 0."""
        z = (x - self.mean) / self.std
        z = torch.where(torch.isnan(z), torch.zeros_like(z), z)
        return self.mlp(z)


def tabular_mlp_v1(in_features: int, n_classes: int) -> nn.Module:
    """``tabular_mlp_v1``: see the module docstring."""
    return TabularMLP(in_features, n_classes)


def image_cnn_v1(in_channels: int, n_classes: int) -> nn.Module:
    """``image_cnn_v1``: see the module docstring."""
    return CNN(int(in_channels), int(n_classes), channels=IMAGE_CHANNELS, groups=IMAGE_GROUPS)


#: name -> factory taking the architecture's dimensions as keyword arguments.
ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {
    "tabular_mlp_v1": tabular_mlp_v1,
    "image_cnn_v1": image_cnn_v1,
}

#: name -> the dimensions its factory takes (all positive integers, all required).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "tabular_mlp_v1": ("in_features", "n_classes"),
    "image_cnn_v1": ("in_channels", "n_classes"),
}


def _check_dims(name: str, dims: Mapping[str, Any]) -> dict[str, int]:
    if name not in ARCHITECTURES:
        from trustbench.registry import unknown_name_message

        raise ArchitectureError(unknown_name_message("architecture", name, list(ARCHITECTURES)))
    wanted = DIMENSIONS[name]
    if set(dims) != set(wanted):
        raise ArchitectureError(
            f"architecture '{name}' takes the dimensions {list(wanted)}; received {sorted(dims)}"
        )
    out = {}
    for key in wanted:
        value = dims[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArchitectureError(
                f"architecture '{name}': dimension '{key}' must be a positive integer; "
                f"received {value!r}"
            )
        if key == "n_classes" and value < 2:
            raise ArchitectureError(
                f"architecture '{name}': 'n_classes' must be at least 2; received {value}"
            )
        out[key] = int(value)
    return out


def dims_for(name: str, input_shape: tuple[int, ...], n_classes: int) -> dict[str, int]:
    """The dimensions of architecture ``name`` for a challenge input of ``input_shape`` (one
    row: ``(d,)`` tabular, ``(C, H, W)`` images) and ``n_classes`` classes."""
    first = DIMENSIONS[name][0] if name in DIMENSIONS else None
    return _check_dims(name, {first: int(input_shape[0]), "n_classes": int(n_classes)})


def build(name: str, **dims: int) -> nn.Module:
    """A freshly initialised ``name`` module with dimensions ``dims``, in eval mode.

    Raises
    ------
    ArchitectureError
        For an unknown name (with the closest valid one) or wrong dimensions.
    """
    checked = _check_dims(name, dims)
    return ARCHITECTURES[name](**checked).eval()


def expected_shapes(name: str, **dims: int) -> dict[str, tuple[int, ...]]:
    """State-dict key -> tensor shape that a file for ``name`` with ``dims`` must hold."""
    checked = _check_dims(name, dims)
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        module = ARCHITECTURES[name](**checked)
    return {key: tuple(t.shape) for key, t in module.state_dict().items()}


def check_tensors(
    name: str,
    shapes: Mapping[str, tuple[int, ...]],
    dtypes: Mapping[str, str] | None = None,
    **dims: int,
) -> None:
    """Check the keys, shapes (and float dtypes) of a submitted state dict against ``name``.

    ``shapes`` maps each key to its shape; ``dtypes`` (optional) maps each key to its dtype
    name (``"float32"``, ``"F32"``, ...). The message names the first few problems.

    Raises
    ------
    ArchitectureError
        Listing missing keys, unexpected keys and wrong shapes or dtypes.
    """
    expected = expected_shapes(name, **dims)
    problems = []
    missing = sorted(set(expected) - set(shapes))
    extra = sorted(set(shapes) - set(expected))
    if missing:
        problems.append(f"missing keys {missing[:5]}")
    if extra:
        problems.append(f"unexpected keys {extra[:5]}")
    for key in sorted(set(expected) & set(shapes)):
        if tuple(shapes[key]) != expected[key]:
            problems.append(
                f"'{key}' has shape {list(shapes[key])}, expected {list(expected[key])}"
            )
        if dtypes is not None and key in dtypes:
            if str(dtypes[key]).lower().removeprefix("torch.") not in FLOAT_DTYPES:
                problems.append(f"'{key}' has dtype {dtypes[key]}, expected a float dtype")
    if problems:
        dims_text = ", ".join(f"{k}={v}" for k, v in dims.items())
        raise ArchitectureError(
            f"weights do not fit architecture '{name}' ({dims_text}): " + "; ".join(problems[:6])
        )


def check_values(name: str, tensors: Mapping[str, torch.Tensor]) -> None:
    """Values the architecture needs: every tensor finite; ``tabular_mlp_v1``'s ``std`` > 0."""
    for key, tensor in tensors.items():
        if not bool(torch.isfinite(tensor).all()):
            raise ArchitectureError(f"weights: '{key}' holds NaN or infinite values")
    if name == "tabular_mlp_v1" and "std" in tensors and not bool((tensors["std"] > 0).all()):
        raise ArchitectureError("weights: buffer 'std' must be > 0 in every column")
