"""What the data checks read from a task: each split's features as one table, a numeric matrix
for the checks that measure distances or train models, and seeded row subsets.

Tabular tasks use their feature columns (continuous and categorical, as declared). Image tasks
use four simple image properties per image (brightness, contrast, blur, border) wherever a
check needs columns (drift, shortcuts, the domain classifier), and the pixels themselves for
exact and near twins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustbench.data.task import TaskData
from trustbench.metrics.data_leakage import encoded_matrix
from trustbench.metrics.data_shortcuts import image_properties

__all__ = ["DataInputs", "data_inputs", "subset_rows"]


@dataclass
class DataInputs:
    """The columns every data check reads, per split.

    Attributes
    ----------
    columns : dict of str to DataFrame
        Per split: the tabular features, or the image properties of an image task.
    continuous, categorical : list of str
        Names of the columns of each kind (image properties are continuous).
    image : bool
        Whether the task is an image task (``columns`` then holds image properties).
    """

    columns: dict[str, pd.DataFrame]
    continuous: list[str]
    categorical: list[str]
    image: bool
    _matrices: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def matrix(self, split: str) -> np.ndarray:
        """The numeric matrix of ``split`` (:func:`~trustbench.metrics.data_leakage.
        encoded_matrix`, fitted on train: standardised, one-hot, missing indicators)."""
        if not self._matrices:
            names = list(self.columns)
            frames = [self.columns[name] for name in names]
            encoded = encoded_matrix(
                *frames, continuous=self.continuous, categorical=self.categorical
            )
            self._matrices = dict(zip(names, encoded, strict=True))
        return self._matrices[split]


def data_inputs(task: TaskData) -> DataInputs:
    """The :class:`DataInputs` of ``task``, train first."""
    names = ["train", *(name for name in task.splits if name != "train")]
    splits = {name: task.splits[name] for name in names if len(task.splits[name])}
    if task.is_image:
        columns = {name: image_properties(split.X) for name, split in splits.items()}
        continuous = list(columns["train"].columns)
        return DataInputs(columns, continuous, [], image=True)
    features = task.feature_names
    columns = {name: split.X[features] for name, split in splits.items()}
    return DataInputs(
        columns,
        task.features_of_kind("continuous"),
        task.features_of_kind("categorical"),
        image=False,
    )


def subset_rows(n: int, limit: int, seed: int, salt: str) -> np.ndarray | None:
    """Positions of a seeded random subset of ``limit`` of ``n`` rows (sorted), or None when
    ``n <= limit`` (every row is used)."""
    if n <= limit:
        return None
    rng = np.random.default_rng([seed, sum(map(ord, salt)), n])
    return np.sort(rng.choice(n, size=limit, replace=False))
