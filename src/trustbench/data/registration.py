"""The dataset registry: a loader registers itself with :func:`dataset` in its own module.

Adding a dataset is one loader module in ``trustbench/data/`` (decorated with
``@dataset("name")``), one YAML in ``configs/dataset/`` and one test: :func:`discover` imports
every module of the package, so no list of loaders is kept anywhere else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TypeVar

from trustbench.registry import Registry

__all__ = ["DATASETS", "IMAGE_DATASETS", "dataset", "discover"]

F = TypeVar("F", bound=Callable)

DATASETS: Registry = Registry("dataset")
#: Datasets whose tasks are image tasks (known before loading, for config checks).
IMAGE_DATASETS: list[str] = []


def dataset(name: str, *, image: bool = False) -> Callable[[F], F]:
    """Register the decorated loader as dataset ``name`` (``image=True`` for image tasks)."""

    def decorator(loader: F) -> F:
        DATASETS.add(name, loader)
        if image and name not in IMAGE_DATASETS:
            IMAGE_DATASETS.append(name)
        return loader

    return decorator


def discover(package: str = "trustbench.data") -> None:
    """Import every module of ``package`` so that each loader's decorator runs."""
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        importlib.import_module(f"{package}.{info.name}")
