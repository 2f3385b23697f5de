"""The ``cnn`` architecture: a small convolutional network for image tasks.

Opacus-compatible by construction: GroupNorm instead of BatchNorm (per-sample gradients
stay defined), no in-place activations, only layers Opacus computes per-sample gradients for
(``Conv2d``, ``GroupNorm``, ``Linear``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class CNN(nn.Module):
    """``[Conv3x3 -> GroupNorm -> ReLU -> MaxPool2] * len(channels)``, then global average and
    max pooling side by side and a linear layer.

    The concatenated global max pool lets the network report the *presence* of a small
    local pattern (a lesion) anywhere in the image; the average pool carries global context.

    Parameters
    ----------
    in_channels : int
        Channels of the input images.
    n_classes : int
        Number of output logits.
    channels : sequence of int
        Output channels of each convolutional block.
    groups : int
        GroupNorm groups per block (at most the block's channels).
    dropout : float
        Dropout probability before the linear layer.
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        channels: Sequence[int] = (8, 16, 32),
        groups: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = int(in_channels)
        for out in channels:
            out = int(out)
            layers += [
                nn.Conv2d(width, out, kernel_size=3, padding=1),
                nn.GroupNorm(min(int(groups), out), out),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            width = out
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(float(dropout)) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(2 * width, int(n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n, n_classes)`` for images ``x`` of shape ``(n, C, H, W)``."""
        h = self.features(x)
        pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
        return self.head(self.dropout(pooled))
