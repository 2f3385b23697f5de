"""The ``mlp`` architecture: a plain multilayer perceptron (Opacus-compatible: no BatchNorm)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


class MLP(nn.Module):
    """Fully connected network: ``[Linear -> ReLU -> Dropout] * len(hidden_sizes) -> Linear``.

    Parameters
    ----------
    in_features : int
        Width of the encoded input.
    n_classes : int
        Number of output logits.
    hidden_sizes : sequence of int
        Widths of the hidden layers.
    dropout : float
        Dropout probability after each hidden layer.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        hidden_sizes: Sequence[int] = (64, 64),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, int(hidden)), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(float(dropout)))
            width = int(hidden)
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
