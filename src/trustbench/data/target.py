"""Check the target column and encode its labels as class indices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trustbench.data.labels import quote_names, to_label, to_labels
from trustbench.errors import DataError

__all__ = ["encode_target"]


def encode_target(
    data: pd.DataFrame, target: str, n_main: int, positive_label: Any = None
) -> tuple[list[str], np.ndarray]:
    """Check the target column and turn it into class indices.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table (main rows first, then any ``ood_frame`` rows).
    target : str
        Target column.
    n_main : int
        Number of rows of the main table; the classes are those seen there.
    positive_label : optional
        For a binary target, the label that becomes class index 1. Default: the second
        label in sorted order.

    Returns
    -------
    classes : list of str
        Class labels, index ``i`` is class ``i``.
    y : numpy.ndarray
        ``int64`` class index of every row of ``data``.

    Raises
    ------
    DataError
        For missing targets, a single class, ``ood_frame`` classes not in the table, or a
        ``positive_label`` that is absent or given for a multiclass target.
    """
    y_all = data[target]
    n_nan = int(pd.isna(y_all).sum())
    if n_nan:
        raise DataError(
            f"Target column '{target}': expected no missing values, got {n_nan} missing "
            f"row(s) of {len(y_all)}; drop or label those rows first."
        )
    y_labels = to_labels(y_all)
    main_labels = sorted(set(y_labels[:n_main].tolist()))
    all_labels = sorted(set(y_labels.tolist()))
    if len(main_labels) < 2:
        raise DataError(
            f"Target column '{target}': expected at least 2 classes, got a single class "
            f"{quote_names(main_labels)} in {n_main} rows."
        )
    unseen = [c for c in all_labels if c not in main_labels]
    if unseen:
        raise DataError(
            f"Target column '{target}' in ood_frame: expected only the table's classes "
            f"{quote_names(main_labels)}, got {quote_names(unseen)}."
        )
    if positive_label is not None:
        pos = to_label(positive_label)
        if pos not in main_labels:
            raise DataError(
                f"Target column '{target}': positive_label {positive_label!r} not found; "
                f"expected one of {quote_names(main_labels)}."
            )
        if len(main_labels) != 2:
            raise DataError(
                f"Target column '{target}': positive_label applies to binary targets, got "
                f"{len(main_labels)} classes {quote_names(main_labels)}."
            )
        classes = [c for c in main_labels if c != pos] + [pos]
    else:
        classes = main_labels
    class_index = {c: i for i, c in enumerate(classes)}
    y = np.array([class_index[v] for v in y_labels], dtype=np.int64)
    return classes, y
