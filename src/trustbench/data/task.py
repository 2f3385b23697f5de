"""The data contract: :class:`TaskData` and its :class:`Split` objects (docs/datasets.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

FeatureKind = Literal["continuous", "categorical", "image"]
SPLIT_NAMES = ("train", "test", "ood")


@dataclass(frozen=True)
class FeatureSpec:
    """One model input column: its name and kind."""

    name: str
    kind: FeatureKind


@dataclass
class Split:
    """One split of a task.

    Attributes
    ----------
    X : pandas.DataFrame or numpy.ndarray
        Model inputs. Tabular tasks: a DataFrame, one column per :class:`FeatureSpec`, with a
        fresh RangeIndex. Image tasks (one feature of kind ``"image"``): a float32 array of
        shape ``(n, channels, height, width)`` with values in ``[0, 1]``.
    y : numpy.ndarray
        Integer class indices in ``0 .. n_classes - 1``, shape ``(n,)``.
    sensitive : pandas.DataFrame
        One string column per sensitive attribute (group labels), aligned with ``X``.
    row_id : numpy.ndarray
        Stable integer id of each row in the source table, shape ``(n,)``.
    site : numpy.ndarray or None
        Site/domain label of each row (strings), where the data have one.
    masks : numpy.ndarray or None
        Image tasks with localisation ground truth: boolean pixel masks of shape
        ``(n, height, width)``, ``True`` on the evidence for the positive class (e.g. the
        lesion); all ``False`` where the image has none.
    paired_with : str or None
        Name of the split this one is a row-aligned copy of: row ``i`` here is the same
        patient as row ``i`` there, with perturbed inputs (the ``ood`` split made as ``test``
        plus Gaussian noise has ``paired_with="test"``). ``None``: other patients (a held-out
        site or scanner, a separate table). A difference of the two splits is then a paired
        comparison (:meth:`TaskData.paired_split`).
    """

    X: pd.DataFrame | np.ndarray
    y: np.ndarray
    sensitive: pd.DataFrame
    row_id: np.ndarray
    site: np.ndarray | None = None
    masks: np.ndarray | None = None
    paired_with: str | None = None

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: np.ndarray) -> Split:
        """Rows ``index`` (positions) of this split, as a new :class:`Split`."""
        index = np.asarray(index)
        X = self.X[index] if isinstance(self.X, np.ndarray) else self.X.iloc[index]
        return Split(
            X=X if isinstance(X, np.ndarray) else X.reset_index(drop=True),
            y=self.y[index],
            sensitive=self.sensitive.iloc[index].reset_index(drop=True),
            row_id=self.row_id[index],
            site=None if self.site is None else self.site[index],
            masks=None if self.masks is None else self.masks[index],
            paired_with=self.paired_with,
        )


@dataclass
class GroundTruth:
    """Known explanation ground truth.

    Attributes
    ----------
    feature_importance : numpy.ndarray or None
        Global importance of each feature (same order as ``TaskData.features``); its sign
        is the direction of the effect on the positive class, its magnitude the strength.
    """

    feature_importance: np.ndarray | None = None


@dataclass
class TaskData:
    """Everything a run needs to know about one dataset.

    Attributes
    ----------
    name : str
        Dataset name (the registry key).
    features : list of FeatureSpec
        Model input columns and their kinds, in column order.
    target : str
        Name of the target column in the source.
    classes : list of str
        Class labels; for a binary task index 1 is the positive class.
    sensitive_names : list of str
        Names of the sensitive attributes (columns of ``Split.sensitive``); may be empty.
    splits : dict of str to Split
        ``train`` (the members: the only rows any training sees), ``test`` and ``ood``.
    fingerprint : str
        sha256 of the canonical data bytes and split indices.
    ground_truth : GroundTruth or None
        Explanation ground truth where the data carry one.
    metadata : dict
        Source, licence, how ``ood`` was formed, and other facts worth recording.
    """

    name: str
    features: list[FeatureSpec]
    target: str
    classes: list[str]
    sensitive_names: list[str]
    splits: dict[str, Split]
    fingerprint: str
    ground_truth: GroundTruth | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def train(self) -> Split:
        return self.splits["train"]

    @property
    def test(self) -> Split:
        return self.splits["test"]

    @property
    def ood(self) -> Split | None:
        return self.splits.get("ood")

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def is_image(self) -> bool:
        """True for image tasks (``Split.X`` is an ``(n, C, H, W)`` array)."""
        return any(f.kind == "image" for f in self.features)

    def paired_split(self, name: str) -> str | None:
        """The split whose rows are the rows of split ``name`` (same patients, same order).

        That is ``splits[name].paired_with`` when that split exists and holds the same row
        ids in the same order; otherwise (no partner declared, or the partner was cut or
        reordered since, e.g. a challenge phase scoring part of ``test``) ``None``: the two
        splits are then compared as independent samples.
        """
        split = self.splits.get(name)
        partner = None if split is None else split.paired_with
        if partner is None or partner == name or partner not in self.splits:
            return None
        same = np.array_equal(np.asarray(self.splits[partner].row_id), np.asarray(split.row_id))
        return partner if same else None

    def features_of_kind(self, kind: FeatureKind) -> list[str]:
        """Names of the features of one kind, in column order."""
        return [f.name for f in self.features if f.kind == kind]
