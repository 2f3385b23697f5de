"""Check the target column and encode its labels as class indices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trustbench.data.labels import quote_names, to_label, to_labels
from trustbench.errors import DataError

__all__ = ["POSITIVE_RULE", "encode_target", "positive_class_statement"]

#: ``TaskData.metadata`` key saying how a binary task's positive class was chosen: ``given``
#: (a ``positive_label``, from the loader or ``dataset.positive_label``) or ``sorted`` (none
#: given: the second of the sorted labels).
POSITIVE_RULE = "positive_label_chosen"


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


def positive_class_statement(classes: list[str], metadata: dict | None = None) -> str | None:
    """The sentence naming the class the binary metrics treat as positive, and how it was chosen.

    Parameters
    ----------
    classes : list of str
        The task's class labels (index 1 is the positive class of a binary task).
    metadata : dict, optional
        ``TaskData.metadata``; its :data:`POSITIVE_RULE` entry says how the class was chosen.

    Returns
    -------
    str or None
        None for a multiclass task.
    """
    if len(classes) != 2:
        return None
    negative, positive = (str(c) for c in classes)
    rule = (metadata or {}).get(POSITIVE_RULE)
    if rule == "sorted":
        return (
            f"positive class '{positive}' (classes[1]) chosen implicitly as the second of the "
            f"sorted labels ['{negative}', '{positive}']; set dataset.positive_label to choose"
        )
    if rule == "given":
        return f"positive class '{positive}' (classes[1]) given as positive_label; negative '{negative}'"
    return (
        f"positive class '{positive}' (classes[1], the second of the dataset's declared "
        f"classes ['{negative}', '{positive}'])"
    )
