"""Check the target column and encode its labels as class indices.

The positive class of a binary target (index 1: what sensitivity, PPV and the ROC curve are
about) is never chosen by the alphabet. It is the ``positive_label`` when one is given; else,
for numeric labels, the larger number (``1`` of ``0``/``1``); else, for a conventional pair of
words (:data:`CONVENTIONAL_PAIRS`: yes/no, true/false, positive/negative, present/absent, in
any case), the conventional positive. Any other pair of text labels (``died``/``survived``)
needs ``positive_label``: :func:`encode_target` reports the choice as ``"required"`` and
:func:`require_positive_label` names both labels and the override to type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trustbench.data.labels import hydra_value, quote_names, to_label, to_labels
from trustbench.errors import DataError

__all__ = [
    "CONVENTIONAL_PAIRS",
    "POSITIVE_RULE",
    "encode_target",
    "positive_class_statement",
    "require_positive_label",
]

#: ``TaskData.metadata`` key saying how a binary task's positive class was chosen: ``given``
#: (a ``positive_label``, from the loader or ``dataset.positive_label``), ``numeric`` (the
#: larger of two numbers) or ``conventional`` (the positive word of a pair in
#: :data:`CONVENTIONAL_PAIRS`); ``sorted`` (the second of the sorted labels) is the rule of
#: records made before the choice was required.
POSITIVE_RULE = "positive_label_chosen"
#: Pairs of text labels (lower case, negative first) whose positive class goes without saying.
CONVENTIONAL_PAIRS = (
    ("no", "yes"),
    ("n", "y"),
    ("false", "true"),
    ("f", "t"),
    ("negative", "positive"),
    ("neg", "pos"),
    ("absent", "present"),
)


def _number(label: str) -> float | None:
    try:
        value = float(label)
    except ValueError:
        return None
    return value if value == value else None  # NaN is no number here


def _default_positive(labels: list[str]) -> tuple[str | None, str]:
    """The positive label of a binary target given no ``positive_label``, and the rule."""
    numbers = [_number(label) for label in labels]
    if all(n is not None for n in numbers):
        return max(labels, key=lambda label: _number(label)), "numeric"
    lowered = {label.strip().lower(): label for label in labels}
    for negative, positive in CONVENTIONAL_PAIRS:
        if set(lowered) == {negative, positive}:
            return lowered[positive], "conventional"
    return None, "required"


def encode_target(
    data: pd.DataFrame, target: str, n_main: int, positive_label: Any = None
) -> tuple[list[str], np.ndarray, str | None]:
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
        For a binary target, the label that becomes class index 1. Default: the larger of
        two numbers, or the positive word of a conventional pair (module docstring).

    Returns
    -------
    classes : list of str
        Class labels, index ``i`` is class ``i``.
    y : numpy.ndarray
        ``int64`` class index of every row of ``data``.
    rule : str or None
        How a binary task's positive class was chosen (:data:`POSITIVE_RULE`), ``"required"``
        when it cannot be (two text labels and no ``positive_label``: the classes are then
        sorted, and :func:`require_positive_label` raises); ``None`` for a multiclass task.

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
        rule: str | None = "given"
    elif len(main_labels) == 2:
        pos, rule = _default_positive(main_labels)
        classes = main_labels if pos is None else [c for c in main_labels if c != pos] + [pos]
    else:
        classes, rule = main_labels, None
    class_index = {c: i for i, c in enumerate(classes)}
    y = np.array([class_index[v] for v in y_labels], dtype=np.int64)
    return classes, y, rule


def require_positive_label(target: str, classes: list[str], rule: str | None) -> None:
    """Refuse a binary target of two text labels given no ``positive_label``.

    Parameters
    ----------
    target : str
        Target column, for the message.
    classes : list of str
        The two labels.
    rule : str or None
        From :func:`encode_target`; only ``"required"`` raises.

    Raises
    ------
    DataError
        One line naming the column, both labels and the override for each.
    """
    if rule != "required":
        return
    fixes = " or ".join(hydra_value("dataset.positive_label", c) for c in classes)
    raise DataError(
        f"Target column '{target}': expected dataset.positive_label to say which of the labels "
        f"{quote_names(classes)} is the positive class (the one sensitivity, PPV and the ROC "
        f"curve are about), got none, and text labels have no conventional positive (as yes/no "
        f"or 1/0 do); set {fixes} (Python: positive_label={classes[0]!r})."
    )


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
    if rule == "numeric":
        return (
            f"positive class '{positive}' (classes[1]) chosen implicitly as the larger of the "
            f"numeric labels ['{negative}', '{positive}']; set dataset.positive_label to choose"
        )
    if rule == "conventional":
        how = (
            f"the second of the sorted labels ['{negative}', '{positive}'], the conventional "
            f"positive of the pair"
            if sorted([negative, positive]) == [negative, positive]
            else f"the conventional positive of the labels ['{negative}', '{positive}']"
        )
        return (
            f"positive class '{positive}' (classes[1]) chosen implicitly as {how}; set "
            f"dataset.positive_label to choose"
        )
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
