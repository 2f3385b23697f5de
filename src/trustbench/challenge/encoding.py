"""The input every submission takes: one float32 tensor ``X``, encoded the same way for all.

Tabular tasks: one column per feature in the task's order; a continuous feature as its number,
a categorical feature as the index of its value in the vocabulary the kit publishes
(``schema.json``, the train split's values in sorted order); a missing value, or a category
the train split never had, as NaN. Image tasks: the ``(n, C, H, W)`` float32 pixels in [0, 1].
A participant's model (scikit-learn pipeline, torch module, anything exported to ONNX) reads
that tensor and returns class probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustbench.data.task import TaskData
from trustbench.errors import DataError

__all__ = ["InputSchema"]


@dataclass(frozen=True)
class InputSchema:
    """How raw inputs become the submission's ``X`` tensor (see the module docstring)."""

    kind: str  # "tabular" or "image"
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    shape: tuple[int, ...]  # of one row (without the batch dimension)
    classes: tuple[str, ...]

    @classmethod
    def from_task(cls, task: TaskData) -> InputSchema:
        """The schema of ``task``: vocabularies from its train split."""
        classes = tuple(str(c) for c in task.classes)
        if task.is_image:
            shape = tuple(int(s) for s in np.asarray(task.train.X).shape[1:])
            return cls("image", ("pixels",), ("image",), {}, shape, classes)
        X = task.train.X
        categories = {}
        for feature in task.features:
            if feature.kind == "categorical":
                values = X[feature.name].dropna().astype(str).unique()
                categories[feature.name] = tuple(sorted(values))
        return cls(
            "tabular",
            tuple(f.name for f in task.features),
            tuple(f.kind for f in task.features),
            categories,
            (len(task.features),),
            classes,
        )

    def encode(self, X: Any) -> np.ndarray:
        """``X`` (a DataFrame of raw features, or already an array) as the float32 tensor."""
        if isinstance(X, np.ndarray):
            out = np.asarray(X, dtype=np.float32)
            if out.shape[1:] != self.shape:
                raise DataError(
                    f"inputs: expected rows of shape {self.shape}; received {out.shape[1:]}"
                )
            return out
        if self.kind != "tabular" or not isinstance(X, pd.DataFrame):
            raise DataError(
                f"inputs: expected a DataFrame of the columns {list(self.columns)} or an array; "
                f"received {type(X).__name__}"
            )
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise DataError(f"inputs: missing column(s) {missing}")
        out = np.empty((len(X), len(self.columns)), dtype=np.float32)
        for j, (name, kind) in enumerate(zip(self.columns, self.kinds, strict=True)):
            column = X[name]
            if kind == "categorical":
                index = pd.Index(self.categories[name])
                codes = index.get_indexer(column.astype(str).to_numpy()).astype(np.float64)
                codes[(codes < 0) | column.isna().to_numpy()] = np.nan  # unseen or missing
                out[:, j] = codes
            else:
                out[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``schema.json`` the kit publishes."""
        return {
            "input": {"name": "X", "dtype": "float32", "shape": [None, *self.shape]},
            "output": {"name": "probabilities", "shape": [None, len(self.classes)]},
            "kind": self.kind,
            "classes": list(self.classes),
            "columns": [
                {
                    "name": n,
                    "kind": k,
                    **({"categories": list(self.categories[n])} if n in self.categories else {}),
                }
                for n, k in zip(self.columns, self.kinds, strict=True)
            ],
            "encoding": (
                "continuous: the number; categorical: the index of the value in 'categories'; "
                "missing or unseen: NaN"
                if self.kind == "tabular"
                else "pixels in [0, 1], shape (n, C, H, W)"
            ),
        }
