"""Explainers: ``Explainer(model, ...).attribute(X, target)``.

Attributions are per input feature ``(n, d)`` for tabular data, whatever the model library,
so metrics and ground truth compare like with like; image attributions are ``(n, H, W)``
maps (gradient methods summed over channels, patch methods spread over their pixels).

- gradient explainers (torch models): :mod:`trustbench.explain.gradient`;
- model-agnostic explainers (any ``predict_proba``): :mod:`trustbench.explain.agnostic`;
- ``random``: the control every explainer must beat (here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trustbench.explain.agnostic import (
    AGNOSTIC_EXPLAINERS,
    AblationExplainer,
    KernelShapExplainer,
    LimeExplainer,
    PermutationExplainer,
)
from trustbench.explain.gradient import (
    GRADIENT_EXPLAINERS,
    DeepLiftExplainer,
    InputXGradientExplainer,
    IntegratedGradientsExplainer,
    SaliencyExplainer,
    SmoothGradExplainer,
)


class RandomExplainer:
    """Control baseline: i.i.d. standard normal attributions, seeded.

    Shape ``(n, d)`` for tabular inputs, ``(n, H, W)`` for ``(n, C, H, W)`` images. Does not
    depend on the model, so it fails the randomisation sanity check by construction.
    """

    name = "random"
    needs_gradients = False

    def __init__(
        self,
        model: Any = None,
        baseline: Any = None,
        n_classes: int | None = None,
        seed: int = 0,
        chunk_size: int | None = None,
    ) -> None:
        self.seed = seed

    def attribute(self, X: Any, target: np.ndarray) -> np.ndarray:
        shape = (X.shape[0], *X.shape[2:]) if getattr(X, "ndim", 2) == 4 else X.shape
        return np.random.default_rng(self.seed).standard_normal(shape)


ALL_EXPLAINERS = (*GRADIENT_EXPLAINERS, *AGNOSTIC_EXPLAINERS, RandomExplainer)
MODEL_AGNOSTIC = {cls.name for cls in ALL_EXPLAINERS if not cls.needs_gradients}

__all__ = [
    "ALL_EXPLAINERS",
    "MODEL_AGNOSTIC",
    "AblationExplainer",
    "DeepLiftExplainer",
    "InputXGradientExplainer",
    "IntegratedGradientsExplainer",
    "KernelShapExplainer",
    "LimeExplainer",
    "PermutationExplainer",
    "RandomExplainer",
    "SaliencyExplainer",
    "SmoothGradExplainer",
]
