"""Explainers behind one call: ``EXPLAINERS.get(name)(model, ...).attribute(X, target)``."""

from __future__ import annotations

from trustbench.explain.engine import MaskedForward, predict_proba_chunked
from trustbench.explain.explainers import (
    ALL_EXPLAINERS,
    MODEL_AGNOSTIC,
    AblationExplainer,
    DeepLiftExplainer,
    InputXGradientExplainer,
    IntegratedGradientsExplainer,
    KernelShapExplainer,
    LimeExplainer,
    PermutationExplainer,
    RandomExplainer,
    SaliencyExplainer,
    SmoothGradExplainer,
)
from trustbench.explain.perturb import feature_baseline, masked_copies, predict_class_proba
from trustbench.registry import Registry

EXPLAINERS: Registry[type] = Registry("explainer")
for _cls in ALL_EXPLAINERS:
    EXPLAINERS.add(_cls.name, _cls)

__all__ = [
    "EXPLAINERS",
    "MODEL_AGNOSTIC",
    "AblationExplainer",
    "DeepLiftExplainer",
    "InputXGradientExplainer",
    "IntegratedGradientsExplainer",
    "KernelShapExplainer",
    "LimeExplainer",
    "MaskedForward",
    "PermutationExplainer",
    "RandomExplainer",
    "SaliencyExplainer",
    "SmoothGradExplainer",
    "feature_baseline",
    "masked_copies",
    "predict_class_proba",
    "predict_proba_chunked",
]
