"""Explainers behind one call: ``EXPLAINERS.get(name)(model, ...).attribute(X, target)``."""

from __future__ import annotations

from trustbench.explain.explainers import (
    MODEL_AGNOSTIC,
    AblationExplainer,
    RandomExplainer,
    SaliencyExplainer,
)
from trustbench.explain.perturb import feature_baseline, masked_copies, predict_class_proba
from trustbench.registry import Registry

EXPLAINERS: Registry[type] = Registry("explainer")
for _cls in (AblationExplainer, SaliencyExplainer, RandomExplainer):
    EXPLAINERS.add(_cls.name, _cls)

__all__ = [
    "EXPLAINERS",
    "MODEL_AGNOSTIC",
    "AblationExplainer",
    "RandomExplainer",
    "SaliencyExplainer",
    "feature_baseline",
    "masked_copies",
    "predict_class_proba",
]
