"""Datasets: loaders that return a :class:`TaskData` (docs/datasets.md).

>>> from trustbench.data import load
>>> task = load("heart", seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from typing import Any

from trustbench.data.build import build_task
from trustbench.data.registration import DATASETS, IMAGE_DATASETS, dataset, discover
from trustbench.data.task import FeatureSpec, GroundTruth, Split, TaskData
from trustbench.errors import ConfigError
from trustbench.registry import did_you_mean

__all__ = [
    "DATASETS",
    "IMAGE_DATASETS",
    "FeatureSpec",
    "GroundTruth",
    "Split",
    "TaskData",
    "build_task",
    "dataset",
    "load",
]

discover()  # every loader module registers itself (@dataset in trustbench/data/<name>.py)

#: Keys of ``dataset=csv`` that shape the split of a user's table; a shipped dataset makes its
#: own splits (one row per patient, its own sites), so they are refused there by name.
CSV_SPLIT_KEYS = ("group_column", "time_column", "time_cutoff")


def load(name: str, **kwargs: Any) -> TaskData:
    """Load the dataset registered as ``name`` with the loader's keyword arguments.

    Raises
    ------
    ConfigError
        If ``name`` is not a registered dataset (with the closest name), or a keyword is not
        a parameter of that loader (naming the key and listing the valid ones).
    """
    loader = DATASETS.get(name)
    params = inspect.signature(loader).parameters
    valid = [
        p.name
        for p in params.values()
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if not accepts_any:
        for key in kwargs:
            if key not in valid and key in CSV_SPLIT_KEYS:
                raise ConfigError(
                    f"dataset.{key}: expected it with dataset=csv only, got it for dataset "
                    f"'{name}', which makes its own splits (its rows and its ood are fixed); "
                    f"remove it, or load your own table with dataset=csv."
                )
            if key not in valid:
                raise ConfigError(
                    f"Unknown argument '{key}' for dataset '{name}'.{did_you_mean(key, valid)} "
                    f"Valid arguments: {', '.join(valid)}."
                )
    missing = [
        p.name
        for p in params.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and p.name not in kwargs
    ]
    if missing:
        raise ConfigError(
            f"Dataset '{name}' needs argument(s) {', '.join(repr(m) for m in missing)}; "
            f"got {', '.join(repr(k) for k in kwargs) or 'none'}."
        )
    return loader(**kwargs)
