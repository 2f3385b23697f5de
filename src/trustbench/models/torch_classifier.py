"""scikit-learn-style facade over a torch module, with the tabular preprocessing inside.

On image tasks (one feature of kind ``"image"``) there is no preprocessing: ``transform``
checks the ``(n, C, H, W)`` pixel array and returns it as a float32 tensor, and the module
gets the images as they are (a module whose factory takes ``in_channels``, such as the
``cnn``), or flattened (any other factory, such as the ``mlp``, gets
``in_features = C * H * W`` behind an ``nn.Flatten``).

Suites never care which library trained a model: a :class:`TorchClassifier` has ``fit``,
``predict_proba`` and ``predict`` like any scikit-learn classifier, and also exposes its
differentiable module (``module_``) and the encoded inputs (``transform``) for gradient
explainers and DP training.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from trustbench.data.images import check_images
from trustbench.data.task import FeatureSpec
from trustbench.models.preprocessing import (
    is_image_input,
    make_preprocessor,
    output_feature_groups,
)
from trustbench.models.recipe import TorchRecipe, seeded_module, train_step
from trustbench.threads import apply_torch_threads

# torch models come in through this module: a thread cap set before torch was imported
# (trustbench.threads.limit_threads) applies now.
apply_torch_threads()


def resolve_device(device: str) -> torch.device:
    """``"auto"`` picks CUDA when available, else CPU; anything else is passed to torch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """A torch classifier behind the scikit-learn facade.

    Parameters
    ----------
    module_factory : callable
        ``module_factory(in_features=..., n_classes=...) -> nn.Module`` returning logits; on
        image tasks ``module_factory(in_channels=..., n_classes=...)`` when it takes
        ``in_channels``.
    features : sequence of FeatureSpec
        Input features (for the preprocessor).
    epochs, batch_size, lr, weight_decay : training recipe used by :meth:`fit`
        (:class:`~trustbench.models.recipe.TorchRecipe`: Adam, cross-entropy, shuffled
        mini-batches), also exposed as :attr:`recipe`.
    seed : int
        Seeds weight initialisation and batch order.
    device : str
        ``"auto"``, ``"cpu"`` or a CUDA device string.
    """

    def __init__(
        self,
        module_factory: Callable[..., nn.Module],
        features: Sequence[FeatureSpec],
        epochs: int = 40,
        batch_size: int = 64,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        seed: int = 0,
        device: str = "auto",
    ) -> None:
        self.module_factory = module_factory
        self.features = features
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.seed = seed
        self.device = device

    @classmethod
    def from_module(
        cls,
        module: nn.Module,
        features: Sequence[FeatureSpec],
        *,
        classes: int | Sequence[int],
        preprocessing: object = None,
        feature_groups: Sequence[int] | None = None,
        output: str = "logits",
        device: str | None = None,
    ) -> TorchClassifier:
        """Wrap an already-trained module (with the preprocessing it was trained behind).

        The result (a :class:`~trustbench.models.prefit.PrefitTorchClassifier`) is prefit:
        ``fit`` keeps the weights, and :func:`sklearn.base.clone` refuses it, so the privacy
        suite's reference-model attacks need a ``reference_recipe`` to run.

        Parameters
        ----------
        module : torch.nn.Module
            The trained network: encoded inputs to ``(n, n_classes)`` outputs.
        features : sequence of FeatureSpec
            ``data.features``.
        classes : int or sequence of int
            The class indices of the module's outputs (``data.n_classes``).
        preprocessing : fitted transformer, callable or None
            Feature frame -> module input (``None``: the feature columns as float32).
        feature_groups : sequence of int, optional
            The feature behind each encoded column (default: read from a trustbench
            preprocessor, else one column per feature).
        output : str
            ``"logits"``, ``"log_proba"`` or ``"proba"``: what the module returns.
        device : str, optional
            Where inputs go (default: the device of the module's parameters).

        Returns
        -------
        PrefitTorchClassifier

        Examples
        --------
        >>> model = TorchClassifier.from_module(net, data.features, classes=data.n_classes,
        ...                                     preprocessing=scaler)  # doctest: +SKIP
        """
        from trustbench.models.prefit import PrefitTorchClassifier

        return PrefitTorchClassifier(
            module,
            features,
            classes,
            preprocessing=preprocessing,
            feature_groups=feature_groups,
            output=output,
            device=device,
        )

    @property
    def recipe(self) -> TorchRecipe:
        """The training recipe of this model (the one :meth:`fit` and DP-SGD follow)."""
        return TorchRecipe(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
        )

    # -- set-up ---------------------------------------------------------------------------
    def prepare(self, X: pd.DataFrame, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Fit the preprocessor on ``X``, build a freshly initialised module, encode the data.

        Returns the encoded inputs and integer targets as tensors on the model's device
        (images: ``(n, C, H, W)`` float32). Trainers other than the default (e.g. DP-SGD)
        call this and run their own loop.
        """
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if is_image_input(self.features):
            self.preprocessor_ = None
            self.feature_groups_ = None  # attributions are per pixel, not per feature
            self.device_ = resolve_device(self.device)
            encoded = self.transform(X)
            shape = tuple(encoded.shape[1:])
            self.module_ = seeded_module(lambda: self._image_module(shape), self.seed)
            self.module_ = self.module_.to(self.device_)
            targets = torch.as_tensor(np.searchsorted(self.classes_, y), dtype=torch.long)
            return encoded, targets.to(self.device_)
        self.preprocessor_ = make_preprocessor(self.features).fit(X)
        self.feature_groups_ = output_feature_groups(self.preprocessor_, self.features)
        self.device_ = resolve_device(self.device)
        encoded = self.transform(X)
        self.module_ = seeded_module(
            lambda: self.module_factory(in_features=encoded.shape[1], n_classes=len(self.classes_)),
            self.seed,
        ).to(self.device_)
        targets = torch.as_tensor(np.searchsorted(self.classes_, y), dtype=torch.long)
        return encoded, targets.to(self.device_)

    def _image_module(self, shape: tuple[int, ...]) -> nn.Module:
        """The module for images of ``shape = (C, H, W)``: convolutional or flattened."""
        n_classes = len(self.classes_)
        try:
            takes_channels = "in_channels" in inspect.signature(self.module_factory).parameters
        except (TypeError, ValueError):
            takes_channels = False
        if takes_channels:
            return self.module_factory(in_channels=shape[0], n_classes=n_classes)
        width = int(np.prod(shape))
        return nn.Sequential(
            nn.Flatten(), self.module_factory(in_features=width, n_classes=n_classes)
        )

    def transform(self, X: pd.DataFrame | np.ndarray) -> torch.Tensor:
        """Encode a feature frame with the fitted preprocessor, as a float32 tensor.

        Image tasks: the checked ``(n, C, H, W)`` pixels as a float32 tensor on ``device_``.
        """
        if self.preprocessor_ is None:
            return torch.as_tensor(check_images(X), device=self.device_)
        encoded = self.preprocessor_.transform(X)
        return torch.as_tensor(np.asarray(encoded, dtype=np.float32), device=self.device_)

    # -- training -------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: np.ndarray) -> TorchClassifier:
        """Train by :attr:`recipe` (Adam, cross-entropy, shuffled mini-batches); returns ``self``."""
        inputs, targets = self.prepare(X, y)
        recipe = self.recipe
        optimizer = recipe.make_optimizer(self.module_.parameters())
        self.module_.train()
        for order in recipe.epoch_orders(len(targets), self.seed):
            for batch in recipe.batches(order.to(self.device_)):
                train_step(self.module_, optimizer, recipe.loss_fn, inputs[batch], targets[batch])
        self.module_.eval()
        return self

    # -- inference ------------------------------------------------------------------------
    def logits(self, encoded: torch.Tensor) -> torch.Tensor:
        """Logits for already-encoded inputs (differentiable)."""
        return self.module_(encoded)

    @torch.no_grad()
    def predict_proba(self, X: pd.DataFrame, chunk_size: int = 65536) -> np.ndarray:
        """Class probabilities, shape ``(n, n_classes)``, computed in chunks."""
        self.module_.eval()
        encoded = self.transform(X)
        # Bound the rows per call by their size too (an image row holds C * H * W inputs).
        row_size = max(1, int(np.prod(encoded.shape[1:])))
        chunk_size = max(1, min(int(chunk_size), 2**22 // row_size))
        parts = [
            torch.softmax(self.module_(encoded[i : i + chunk_size]), dim=1).double().cpu()
            for i in range(0, len(encoded), chunk_size)
        ]
        if not parts:
            return np.zeros((0, len(self.classes_)))
        return torch.cat(parts).numpy()

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Most probable class label for each row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
