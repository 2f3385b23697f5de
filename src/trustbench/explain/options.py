"""Explainer options, checked against each explainer's constructor.

An explainer's options are the keyword parameters of its ``__init__`` (and of its bases',
where it forwards ``**kwargs``), minus what the suite itself passes (:data:`SUITE_ARGUMENTS`).
Their defaults are the signature's; ``configs/explainer/<name>.yaml`` repeats them so that
``explainer.<option>=...`` can be overridden on the command line (a test keeps the two equal).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from trustbench.errors import ConfigError
from trustbench.options import check_keys, check_value, signature_options
from trustbench.registry import unknown_name_message

__all__ = ["SUITE_ARGUMENTS", "check_explainer_config", "check_explainer_options", "options_of"]

#: Constructor arguments the explainability suite supplies; not user options.
SUITE_ARGUMENTS = ("model", "baseline", "n_classes", "seed", "chunk_size")


def options_of(name: str) -> dict[str, inspect.Parameter]:
    """The options explainer ``name`` accepts, as signature parameters (with defaults)."""
    from trustbench.explain import EXPLAINERS

    return signature_options(EXPLAINERS.get(name), skip=SUITE_ARGUMENTS)


def check_explainer_options(name: str, options: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``options`` of explainer ``name`` (at config key ``key``), every key and type checked.

    Raises
    ------
    ConfigError
        For an unknown explainer, an option its constructor does not take (with the closest
        one), or a value of the wrong type, naming the full key.
    """
    from trustbench.explain import EXPLAINERS

    if name not in EXPLAINERS:
        parent, _, last = key.rpartition(".")
        raise ConfigError(
            f"{parent or key}: "
            + unknown_name_message("explainer", last or name, EXPLAINERS.names())
        )
    if not isinstance(options, Mapping):
        raise ConfigError(f"{key}: expected a mapping of options, got {options!r}.")
    params = options_of(name)
    check_keys(key, options, list(params))
    out = {}
    for option, value in options.items():
        hint = params[option].annotation
        out[option] = (
            value
            if hint is inspect.Parameter.empty
            else check_value(value, hint, f"{key}.{option}")
        )
    return out


def check_explainer_config(cfg: Mapping[str, Any], key: str = "explainer") -> dict[str, Any]:
    """An ``explainer`` group (``{name: ..., <option>: ...}``) checked as above; returns it."""
    if not isinstance(cfg, Mapping) or "name" not in cfg:
        raise ConfigError(f"{key}: expected a mapping with the explainer's name, got {cfg!r}.")
    from trustbench.explain import EXPLAINERS

    name = str(cfg["name"])
    EXPLAINERS.get(name)
    options = {k: v for k, v in cfg.items() if k != "name"}
    return {"name": name, **check_explainer_options(name, options, key)}
