"""An already-trained torch module behind the facade, with the preprocessing the user declares.

:meth:`TorchClassifier.from_module <trustbench.models.TorchClassifier.from_module>` builds a
:class:`PrefitTorchClassifier`. It is a :class:`~trustbench.models.TorchClassifier` in every
way the suites read one (``predict_proba``, ``logits``, ``transform``, ``module_``,
``feature_groups_``), so gradient explainers, the energy OOD score and the logit-based privacy
statistics work on the user's own network. It is *prefit*:

* ``fit`` leaves the weights as they are and returns the model (there is no recipe to
  train by);
* :func:`sklearn.base.clone` refuses it (``TypeError``): a clone is an unfitted copy to train,
  and a trained module has no training recipe. The privacy suite's reference-model attacks,
  which train clones, are reported not applicable unless ``trustbench.score`` is given a
  ``reference_recipe``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from trustbench.data.images import check_images
from trustbench.data.task import FeatureSpec
from trustbench.errors import ConfigError, ModelOutputError
from trustbench.models.preprocessing import is_image_input, output_feature_groups
from trustbench.models.torch_classifier import TorchClassifier, resolve_device

__all__ = ["OUTPUT_KINDS", "PrefitTorchClassifier"]

#: What a wrapped module returns: logits, log-probabilities or probabilities.
OUTPUT_KINDS = ("logits", "log_proba", "proba")


class _LogOf(nn.Module):
    """``log`` of a probability-returning module: log-probabilities act as logits
    (``softmax(log p) = p``), so every consumer of ``module_`` reads the same scale."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.inner = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(self.inner(x).clamp_min(torch.finfo(torch.float32).tiny))


def _is_trustbench_preprocessor(preprocessing: Any) -> bool:
    """A fitted :func:`~trustbench.models.make_preprocessor` column transformer."""
    names = [t[0] for t in getattr(preprocessing, "transformers_", [])]
    return bool(names) and set(names) <= {"continuous", "categorical", "remainder"}


class PrefitTorchClassifier(TorchClassifier):
    """A trained ``nn.Module`` behind the scikit-learn facade (build it with
    :meth:`TorchClassifier.from_module`).

    Parameters
    ----------
    module : torch.nn.Module
        The trained network; it maps encoded inputs ``(n, k)`` (images: ``(n, C, H, W)``) to
        ``(n, n_classes)`` outputs of kind ``output``. It is used as it is (not copied) and
        put in eval mode when it predicts.
    features : sequence of FeatureSpec
        The task's features (``data.features``), in the order of ``data.train.X``'s columns.
    classes : int or sequence of int
        The class indices of the module's outputs, in order (``data.n_classes`` means
        ``0 .. n_classes - 1``).
    preprocessing : fitted transformer, callable or None
        What turns a feature frame into the module's input: an object with ``transform``
        (a fitted scikit-learn scaler, pipeline or :func:`~trustbench.models.make_preprocessor`)
        or a callable ``X -> array``; ``None``: the feature columns as float32, in order
        (images: the pixels as they are).
    feature_groups : sequence of int, optional
        The feature behind each encoded column (gradient attributions are summed per
        feature). Default: read from a trustbench preprocessor, else one column per feature.
    output : str
        ``"logits"`` (softmax gives the probabilities), ``"log_proba"`` or ``"proba"``.
    device : str, optional
        Where inputs go; default the device of the module's parameters (the module is never
        moved).
    """

    def __init__(
        self,
        module: nn.Module,
        features: Sequence[FeatureSpec],
        classes: int | Sequence[int],
        preprocessing: Any = None,
        feature_groups: Sequence[int] | None = None,
        output: str = "logits",
        device: str | None = None,
    ) -> None:
        self.module = module
        self.features = features
        self.classes = classes
        self.preprocessing = preprocessing
        self.feature_groups = feature_groups
        self.output = output
        self.device = device
        self._set_up()

    # -- set-up ---------------------------------------------------------------------------
    def _set_up(self) -> None:
        """Check the arguments and set the fitted state (the model is fitted as built)."""
        if not isinstance(self.module, nn.Module):
            raise ConfigError(
                f"module must be a torch.nn.Module; received {type(self.module).__name__}"
            )
        if self.output not in OUTPUT_KINDS:
            raise ConfigError(
                f"output must be one of {list(OUTPUT_KINDS)}; received {self.output!r}"
            )
        pre = self.preprocessing
        if pre is not None and not (callable(getattr(pre, "transform", None)) or callable(pre)):
            raise ConfigError(
                "preprocessing must be a fitted transformer (with transform), a callable "
                f"X -> array or None; received {type(pre).__name__}"
            )
        classes = self.classes
        if isinstance(classes, int | np.integer):
            classes = range(int(classes))
        self.classes_ = np.asarray(list(classes))
        if self.classes_.ndim != 1 or len(self.classes_) < 2:
            raise ConfigError(
                f"classes must be a class count >= 2 or a sequence of at least 2 class indices; "
                f"received {self.classes!r}"
            )
        self.feature_groups_ = None if is_image_input(self.features) else self._groups()
        first = next(iter(self.module.parameters()), None)
        own = first.device if first is not None else torch.device("cpu")
        self.device_ = own if self.device is None else resolve_device(self.device)
        self.module_ = _LogOf(self.module) if self.output == "proba" else self.module

    def _groups(self) -> np.ndarray:
        if self.feature_groups is not None:
            groups = np.asarray(self.feature_groups, dtype=int)
            if groups.ndim != 1 or groups.min(initial=0) < 0 or groups.max() >= len(self.features):
                raise ConfigError(
                    f"feature_groups must give each encoded column a feature index in "
                    f"0..{len(self.features) - 1}; received {list(groups)[:10]}"
                )
            return groups
        if _is_trustbench_preprocessor(self.preprocessing):
            return output_feature_groups(self.preprocessing, self.features)
        return np.arange(len(self.features))

    def set_params(self, **params: Any) -> PrefitTorchClassifier:
        """Set parameters and check them again (the fitted state follows them)."""
        super().set_params(**params)
        self._set_up()
        return self

    @property
    def wrapped_module(self) -> nn.Module:
        """The user's module, as given (what the model's identity describes)."""
        return self.module

    @property
    def recipe(self):
        raise AttributeError(
            f"a trained {type(self.module).__name__} wrapped by TorchClassifier.from_module "
            "has no training recipe"
        )

    def __sklearn_clone__(self) -> PrefitTorchClassifier:
        """Refuse: a clone is an unfitted copy to train, and a trained module has no recipe."""
        raise TypeError(
            f"cannot clone a trained {type(self.module).__name__} wrapped by "
            "TorchClassifier.from_module: it has no training recipe to fit a copy by"
        )

    # -- encoding -------------------------------------------------------------------------
    def _encoder(self, X: Any) -> np.ndarray:
        pre = self.preprocessing
        if pre is None:
            if isinstance(X, pd.DataFrame):
                X = X[[f.name for f in self.features]]
            return np.asarray(X, dtype=np.float32)
        encode: Callable[[Any], Any] = pre.transform if hasattr(pre, "transform") else pre
        return np.asarray(encode(X), dtype=np.float32)

    def transform(self, X: pd.DataFrame | np.ndarray) -> torch.Tensor:
        """The module's input for ``X``: the declared preprocessing, as a float32 tensor.

        Raises
        ------
        ModelOutputError
            When the encoded width does not match ``feature_groups_`` (tabular).
        """
        if self.feature_groups_ is None:  # images
            pixels = check_images(X)
            if self.preprocessing is not None:
                pixels = self._encoder(pixels)
            return torch.as_tensor(pixels, device=self.device_)
        encoded = self._encoder(X)
        if encoded.ndim != 2 or encoded.shape[1] != len(self.feature_groups_):
            raise ModelOutputError(
                f"preprocessing must give {len(self.feature_groups_)} columns (one per entry of "
                f"feature_groups); received shape {encoded.shape}; pass feature_groups= "
                "naming the feature of each encoded column"
            )
        return torch.as_tensor(encoded, device=self.device_)

    # -- training -------------------------------------------------------------------------
    def prepare(self, X: Any, y: Any):
        raise TypeError(
            f"a trained {type(self.module).__name__} wrapped by TorchClassifier.from_module "
            "is not trained again"
        )

    def fit(self, X: Any = None, y: Any = None) -> PrefitTorchClassifier:
        """Leave the trained weights as they are (the module is prefit); returns ``self``."""
        return self
