"""Checks and wrappers that let any fitted classifier be scored.

:func:`predict_proba` is how the suites call a model: a model whose ``requires_sensitive``
attribute is true (fairlearn's ThresholdOptimizer behind ``trainer=fair``) is called as
``model.predict_proba(X, sensitive=frame)`` with the rows' sensitive frame; any other model as
``model.predict_proba(X)``.

A model only ever receives copies (:func:`model_input`): a ``predict_proba`` that fills NaNs in
place, or a torch module that normalises its input tensor in place, changes its own copy, never
the caller's :class:`~trustbench.data.task.TaskData`, so every later suite scores the data as
loaded. Each call copies its inputs once (a deep copy of a DataFrame, ``np.array(copy=True)``
of an array), not once per row; the explainers' masked batches, built for one call and read by
nobody else, are passed as they are.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd

from trustbench.errors import ModelOutputError


def is_torch_model(model: Any) -> bool:
    """True when the model is (or, once fitted, exposes) a differentiable torch module.

    Never imports torch: while :mod:`trustbench.models.torch_classifier` is not loaded, no
    :class:`~trustbench.models.TorchClassifier` exists.
    """
    module = sys.modules.get("trustbench.models.torch_classifier")
    torch_classifier = getattr(module, "TorchClassifier", None)
    if torch_classifier is not None and isinstance(model, torch_classifier):
        return True
    return hasattr(model, "module_") and hasattr(model, "transform")


def wrap(model: Any) -> Any:
    """Return ``model`` if it follows the facade, else raise a clear error.

    The facade is scikit-learn's: ``predict_proba(X) -> (n, n_classes)``. Any fitted
    scikit-learn classifier or pipeline qualifies, as does :class:`TorchClassifier`.
    """
    if not callable(getattr(model, "predict_proba", None)):
        raise ModelOutputError(
            f"model must have a predict_proba(X) method returning class probabilities; "
            f"received an object of type {type(model).__name__} without one"
        )
    return model


def check_proba(
    proba: Any, n_rows: int, n_classes: int, *, where: str = "predict_proba"
) -> np.ndarray:
    """Validate a probability matrix: shape ``(n_rows, n_classes)``, finite, in [0, 1], rows sum to 1.

    Raises
    ------
    ModelOutputError
        Naming what was expected and what was received.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != (n_rows, n_classes):
        raise ModelOutputError(
            f"{where} must return shape ({n_rows}, {n_classes}); received {proba.shape}"
        )
    if not np.all(np.isfinite(proba)):
        raise ModelOutputError(
            f"{where} returned {int((~np.isfinite(proba)).sum())} NaN or infinite probabilities"
        )
    if proba.min(initial=0.0) < -1e-9 or proba.max(initial=0.0) > 1 + 1e-9:
        raise ModelOutputError(
            f"{where} must return probabilities in [0, 1]; received values in "
            f"[{proba.min():.4g}, {proba.max():.4g}]"
        )
    sums = proba.sum(axis=1)
    if n_rows and np.abs(sums - 1).max() > 1e-4:
        raise ModelOutputError(
            f"{where} rows must sum to 1; received row sums in [{sums.min():.4g}, {sums.max():.4g}]"
        )
    return np.clip(proba, 0.0, 1.0)


def model_input(values: Any) -> Any:
    """A private copy of ``values`` for a model to read (and, if it must, to change).

    Parameters
    ----------
    values : pandas.DataFrame, numpy.ndarray, torch.Tensor or None
        Model inputs, or a sensitive frame.

    Returns
    -------
    Any
        A deep copy of a DataFrame or Series, a copy of an array, a clone of a tensor;
        ``None`` and any other object as they are.
    """
    if isinstance(values, pd.DataFrame | pd.Series):
        return values.copy(deep=True)
    if isinstance(values, np.ndarray):
        return np.array(values, copy=True)
    if type(values).__module__.startswith("torch") and hasattr(values, "clone"):
        return values.clone()
    return values


def transform(model: Any, X: Any) -> Any:
    """``model.transform(X)`` (a torch model's encoder) on a copy of ``X``.

    :meth:`TorchClassifier.transform` of an image array shares its memory on CPU
    (``torch.as_tensor``); a module that changes its input in place would change the caller's
    pixels without the copy.
    """
    return model.transform(model_input(X))


def requires_sensitive(model: Any) -> bool:
    """Whether the model needs the rows' sensitive attributes to predict."""
    return bool(getattr(model, "requires_sensitive", False))


def predict_proba(model: Any, X: pd.DataFrame, sensitive: pd.DataFrame | None = None):
    """``model.predict_proba(X)`` on a copy of ``X`` (:func:`model_input`), passing a copy of
    ``sensitive`` as ``sensitive=`` to a model that requires it."""
    if requires_sensitive(model):
        return model.predict_proba(model_input(X), sensitive=model_input(sensitive))
    return model.predict_proba(model_input(X))
