"""Group-aware train/test split: every row of one group (a patient) lands in one split.

With ``group_column`` (a patient id), a patient seen on several visits is never both trained
on and tested on. The groups are dealt out in a seeded random order, and a group goes to
``test`` when that brings test's count of every class closer to ``test_size`` of the pool's
(a greedy stratified group split: row proportions and class balance as close to the
ungrouped split's as whole groups allow). A group that also has rows in ``ood`` (a patient
seen before and after a time cut-off, or at a held-out site) has its pool rows put in
``test``, never in ``train``: no trained-on patient is ever scored in ``test`` or ``ood``.
The group column is never a feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.data.labels import to_labels
from trustbench.errors import DataError

__all__ = ["group_ids", "group_train_test"]

#: Most example row positions a message shows.
_SHOWN = 5


def group_ids(data: pd.DataFrame, column: str) -> np.ndarray:
    """The group label of every row, or a one-line error for a missing one.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table.
    column : str
        ``group_column`` (already checked to exist).

    Returns
    -------
    numpy.ndarray
        Object array of group label strings.

    Raises
    ------
    DataError
        If a row has no group.
    """
    missing = missing_rows(data[column])
    if missing:
        raise DataError(
            f"Group column '{column}' (dataset.group_column): expected an id in every row, got "
            f"{missing}; fill them in (a distinct id for each distinct patient) so that no "
            f"patient can land in two splits."
        )
    return to_labels(data[column])


def missing_rows(values: pd.Series) -> str:
    """``"<k> missing (row positions i, j, ...)"`` for the missing cells of ``values`` (the
    first few positions), or ``""`` when none is missing."""
    missing = pd.isna(values).to_numpy()
    if not missing.any():
        return ""
    where = ", ".join(str(i) for i in np.flatnonzero(missing)[:_SHOWN])
    more = ", ..." if missing.sum() > _SHOWN else ""
    return f"{int(missing.sum())} missing (row positions {where}{more})"


def group_train_test(
    pool: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    test_size: float,
    seed: int,
    column: str,
    forced_test: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Split the pool into train and test rows, whole groups at a time.

    Parameters
    ----------
    pool : numpy.ndarray
        Row positions to split.
    y : numpy.ndarray
        Class index of every row.
    groups : numpy.ndarray
        Group label of every row.
    test_size : float
        Target share of the pool's rows (of each class) in ``test``.
    seed : int
        Seed of the order in which groups are dealt.
    column : str
        The group column, for messages.
    forced_test : numpy.ndarray, optional
        Group labels whose pool rows must go to ``test`` (they also have rows in ``ood``).

    Returns
    -------
    train_rows, test_rows : numpy.ndarray
        Row positions, ascending.

    Raises
    ------
    DataError
        If the pool holds fewer than 2 groups, or the groups cannot fill both splits.
    """
    labels, index = np.unique(groups[pool].astype(str), return_inverse=True)
    if len(labels) < 2:
        raise DataError(
            f"Group column '{column}' (dataset.group_column): expected at least 2 groups "
            f"outside ood to split between train and test, got {len(labels)} "
            f"({len(pool)} rows)."
        )
    n_classes = int(y.max()) + 1
    counts = np.zeros((len(labels), n_classes))
    np.add.at(counts, (index, y[pool]), 1.0)
    target = float(test_size) * counts.sum(axis=0)
    in_test = np.zeros(len(labels), dtype=bool)
    if forced_test is not None and len(forced_test):
        in_test |= np.isin(labels, np.asarray(forced_test, dtype=str))
    current = counts[in_test].sum(axis=0)
    for g in np.random.default_rng(seed).permutation(len(labels)):
        if in_test[g]:
            continue
        proposed = current + counts[g]
        if np.abs(proposed - target).sum() < np.abs(current - target).sum():
            in_test[g] = True
            current = proposed
    if in_test.all() or not in_test.any():
        side = "train" if in_test.all() else "test"
        raise DataError(
            f"Group column '{column}' (dataset.group_column): expected groups to fill both "
            f"train and test (test_size={test_size}), got every one of the {len(labels)} groups "
            f"outside ood in {'test' if side == 'train' else 'train'}, leaving {side} empty; "
            f"add groups, or bring dataset.test_size closer to 0.5."
        )
    row_in_test = in_test[index]
    return np.sort(pool[~row_in_test]), np.sort(pool[row_in_test])
