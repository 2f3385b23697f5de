"""Models behind one facade: ``fit``, ``predict_proba``, ``predict`` (scikit-learn style).

scikit-learn estimators are wrapped in a :class:`~sklearn.pipeline.Pipeline` with the
tabular preprocessor; torch modules in a :class:`TorchClassifier`. Either way the
preprocessing is part of the model and is fitted on ``train`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import hydra.utils
from sklearn.pipeline import Pipeline

from trustbench.data.task import FeatureSpec
from trustbench.errors import ConfigError
from trustbench.models.facade import check_proba, is_torch_model, wrap
from trustbench.models.preprocessing import make_preprocessor, output_feature_groups

if TYPE_CHECKING:
    from trustbench.models.torch_classifier import TorchClassifier, resolve_device

LIBRARIES = ("sklearn", "torch")
TORCH_RECIPE_KEYS = ("epochs", "batch_size", "lr", "weight_decay")

__all__ = [
    "LIBRARIES",
    "TorchClassifier",
    "build_model",
    "check_proba",
    "is_torch_model",
    "make_preprocessor",
    "output_feature_groups",
    "resolve_device",
    "wrap",
]
#: Names defined in :mod:`trustbench.models.torch_classifier`, imported on first use
#: (PEP 562): a scikit-learn model never loads torch.
_TORCH_NAMES = ("TorchClassifier", "resolve_device")


def __getattr__(name: str):
    """``TorchClassifier`` and ``resolve_device``, imported (with torch) on first use."""
    if name in _TORCH_NAMES:
        from trustbench.models import torch_classifier

        return getattr(torch_classifier, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def build_model(
    model_cfg: Mapping[str, Any],
    features: Sequence[FeatureSpec],
    *,
    seed: int = 0,
    recipe: Mapping[str, Any] | None = None,
    device: str = "auto",
):
    """Build an unfitted model from its config.

    Parameters
    ----------
    model_cfg : mapping
        ``{"name": ..., "library": "sklearn", "estimator": {"_target_": ...}}`` or
        ``{"name": ..., "library": "torch", "module": {"_target_": ..., "_partial_": true}}``.
    features : sequence of FeatureSpec
        The task's features (the preprocessor is built for them).
    seed : int
        Passed to the estimator's ``random_state`` when it has one, and to torch.
    recipe : mapping, optional
        Training recipe for torch models (``epochs``, ``batch_size``, ``lr``,
        ``weight_decay``), normally the trainer config.
    device : str
        Torch device (``"auto"`` uses the GPU when there is one).

    Returns
    -------
    sklearn.pipeline.Pipeline or TorchClassifier
    """
    library = model_cfg.get("library")
    name = model_cfg.get("name", "?")
    if library == "sklearn":
        estimator = hydra.utils.instantiate(model_cfg["estimator"])
        if "random_state" in estimator.get_params():
            estimator.set_params(random_state=seed)
        return Pipeline([("preprocess", make_preprocessor(features)), ("estimator", estimator)])
    if library == "torch":
        from trustbench.models.torch_classifier import TorchClassifier

        factory = hydra.utils.instantiate(model_cfg["module"], _partial_=True)
        recipe = dict(recipe or {})
        kwargs = {k: recipe[k] for k in TORCH_RECIPE_KEYS if k in recipe}
        return TorchClassifier(factory, list(features), seed=seed, device=device, **kwargs)
    raise ConfigError(
        f"model.library for model '{name}' must be one of {list(LIBRARIES)}; received {library!r}"
    )
