"""What a model *is*, as a name and a hash of its recipe: the identity of an API run.

A run of the CLI is identified by its resolved config (``model.name``, the estimator's
arguments, ...). A model handed to :func:`trustbench.score` has no config, so its identity is
read from the object: a name given by the user, or the estimator's class, and a hash of what
defines how it was built (never of what it learned, so that the same recipe trained with
several seeds stays one configuration on the leaderboard):

* a scikit-learn estimator or pipeline: the class (a pipeline's final step) and
  ``get_params(deep=True)``;
* a :class:`~trustbench.models.TorchClassifier` trained by the harness: the module factory and
  the training recipe (its ``get_params``);
* a wrapped, already-trained module (:meth:`TorchClassifier.from_module`): the module's class,
  the names, shapes and dtypes of its parameters and buffers (its architecture, not its
  weights), the declared preprocessing (its class and ``get_params``) and output kind;
* any other object with ``predict_proba`` (a black box): its class only.

Params that seed a model or say how it runs (:data:`SEED_PARAMS`: ``random_state``, ``seed``,
``n_jobs``, ``verbose``, ``device``, also nested, as ``estimator__random_state``) are left out
of the hash: two seeds of one recipe are two seeds of one configuration.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from trustbench.errors import ConfigError

__all__ = ["SEED_PARAMS", "ModelIdentity", "describe_model", "recipe_digest"]

#: Params left out of a model's identity: they seed it or say where and how it runs.
SEED_PARAMS = ("random_state", "seed", "n_jobs", "verbose", "device")
SUMMARY_CHARS = 500
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class ModelIdentity:
    """The identity of a scored model.

    Attributes
    ----------
    name : str
        The user's ``model_name``, else the class of the estimator (a pipeline's final step,
        a torch module's class).
    source : str
        ``"user"`` when the name was given, else ``"default"``.
    model_class : str
        The class that :attr:`name` defaults to.
    params_hash : str
        First 12 hex digits of the sha256 of the recipe (module docstring); ``""`` for a
        black box, whose recipe is unknown.
    summary : str
        A readable description of the recipe (at most 500 characters).
    """

    name: str
    source: str
    model_class: str
    params_hash: str
    summary: str

    def to_dict(self) -> dict[str, str]:
        """The flat form kept in ``report.run["model_identity"]``."""
        return {
            "name": self.name,
            "source": self.source,
            "class": self.model_class,
            "params_hash": self.params_hash,
            "summary": self.summary,
        }


def _canonical(value: Any) -> Any:
    """A JSON-able, process-independent stand-in for a param value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]
        return f"ndarray{value.shape}:{value.dtype}:{digest}"
    if hasattr(value, "get_params") and not isinstance(value, type):
        return f"<{type(value).__module__}.{type(value).__qualname__}>"  # its params are flat
    if isinstance(value, functools.partial):
        return {
            "partial": _canonical(value.func),
            "args": [_canonical(v) for v in value.args],
            "keywords": {k: _canonical(v) for k, v in sorted(value.keywords.items())},
        }
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, type) or callable(value):
        name = getattr(value, "__qualname__", type(value).__qualname__)
        return f"<{getattr(value, '__module__', '?')}.{name}>"
    return _ADDRESS.sub("", repr(value))


def _kept(key: str) -> bool:
    return key.rsplit("__", 1)[-1] not in SEED_PARAMS


def recipe_digest(payload: Any) -> str:
    """First 12 hex digits of the sha256 of ``payload`` in canonical JSON."""
    blob = json.dumps(_canonical(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _estimator_params(model: Any) -> dict[str, Any]:
    params = model.get_params(deep=True)
    return {k: v for k, v in sorted(params.items()) if _kept(k)}


def _final_step(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    while isinstance(steps, list) and steps:
        model = steps[-1][1]
        steps = getattr(model, "steps", None)
    return model


def _short(text: str) -> str:
    text = " ".join(_ADDRESS.sub("", text).split())
    return text if len(text) <= SUMMARY_CHARS else f"{text[: SUMMARY_CHARS - 3]}..."


def _module_architecture(module: Any) -> tuple[list[list[str]], int]:
    """``[[name, shape, dtype], ...]`` of a module's parameters and buffers, and its size."""
    entries = [[k, str(tuple(v.shape)), str(v.dtype)] for k, v in module.state_dict().items()]
    n_params = int(sum(p.numel() for p in module.parameters()))
    return entries, n_params


def _describe(model: Any) -> tuple[str, str, str]:
    """``(class, params_hash, summary)`` of ``model`` (module docstring)."""
    wrapped = getattr(model, "wrapped_module", None)
    if wrapped is not None:  # a trained module behind TorchClassifier.from_module
        entries, n_params = _module_architecture(wrapped)
        pre = model.preprocessing
        pre_params = _estimator_params(pre) if hasattr(pre, "get_params") else None
        payload = {
            "module": f"{type(wrapped).__module__}.{type(wrapped).__qualname__}",
            "architecture": entries,
            "preprocessing": [_canonical(pre), pre_params],
            "output": model.output,
            "classes": np.asarray(model.classes_).tolist(),
        }
        cls = type(wrapped).__name__
        pre_name = "none" if pre is None else type(pre).__name__
        summary = (
            f"{cls} (trained module, {n_params} parameters), output={model.output}, "
            f"preprocessing={pre_name}"
        )
        return cls, recipe_digest(payload), _short(summary)
    if callable(getattr(model, "get_params", None)):
        final = _final_step(model)
        factory = getattr(model, "module_factory", None)
        if factory is not None:  # a TorchClassifier the harness trains: its module's class
            inner = factory.func if isinstance(factory, functools.partial) else factory
            cls = getattr(inner, "__name__", type(inner).__name__)
        else:
            cls = type(final).__name__
        params = _estimator_params(model)
        if factory is not None:
            summary = f"{cls}: {_canonical(params)}"
        elif final is not model:  # a pipeline: its steps' classes, then its final step
            steps = [type(step).__name__ for _, step in model.steps[:-1]]
            summary = " | ".join([*steps, repr(final)])
        else:
            summary = repr(model)
        return (
            cls,
            recipe_digest({"class": type(model).__qualname__, "params": params}),
            _short(summary),
        )
    cls = type(model).__name__
    return cls, "", f"{cls} (black box: its recipe is unknown; give model_name= to name it)"


def describe_model(model: Any, name: str | None = None) -> ModelIdentity:
    """The identity of ``model``: ``name`` when given, else its class and recipe hash.

    Parameters
    ----------
    model : object
        A fitted model with ``predict_proba`` (module docstring lists what is read).
    name : str, optional
        The user's name for the model; it becomes the leaderboard's ``model.name`` and,
        alone, the model's identity (two runs with one name are seeds of one configuration).

    Raises
    ------
    ConfigError
        For a ``name`` that is not a non-empty string.
    """
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigError(f"model_name must be a non-empty string; received {name!r}")
    try:
        cls, digest, summary = _describe(model)
    except (AttributeError, TypeError, RuntimeError, ValueError):  # get_params that fails
        cls = type(model).__name__
        digest, summary = "", f"{cls} (its params could not be read; give model_name= to name it)"
    if name is not None:
        return ModelIdentity(name.strip(), "user", cls, digest, summary)
    return ModelIdentity(cls, "default", cls, digest, summary)
