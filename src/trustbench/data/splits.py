"""Train/test/ood splits: sites, the split plan and its checks, and the split tables.

The ``ood`` split comes from one of four sources: the rows of held-out sites
(``ood_sites``), the rows on or after a time cut-off (``time_column``,
:mod:`~trustbench.data.time_split`), a separate table (``ood_frame``), or a noisy copy of ``test``
(``ood_shift={"kind": "noise", ...}``). The noisy copy holds the test patients again, row
for row (``Split.paired_with == "test"``), with Gaussian noise on the continuous measurements
(:func:`trustbench.data.shifts.gaussian_noise`: coded integer levels untouched, counts kept
integer, every value inside the observed range): it measures robustness to measurement noise,
not a shift to another population. With ``group_column`` the train/test split keeps each
group whole (:mod:`~trustbench.data.group_split`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from trustbench.data.group_split import group_train_test
from trustbench.data.labels import fmt_number, quote_names, to_label, to_labels
from trustbench.data.shifts import gaussian_noise
from trustbench.data.task import FeatureSpec, Split
from trustbench.data.time_split import TimeCut
from trustbench.errors import DataError

__all__ = [
    "MIN_OOD_ROWS",
    "MIN_ROWS_PER_CLASS",
    "SplitPlan",
    "check_split_sizes",
    "make_splits",
    "plan_split",
    "site_labels",
]

#: Fewest rows of each class that train and test must each hold: with fewer, a model is fitted
#: on a handful of patients and scored on fewer (a 10-row file trained on 7 rows and reported
#: AUC 1.0 [1.0, 1.0] on 3). The suites warn below 10 of a class (their intervals are then not
#: trustworthy); below 5 nothing is measured at all.
MIN_ROWS_PER_CLASS = 5
#: Fewest rows of an ``ood`` split of other patients (held-out sites, ``ood_frame``); a thin
#: class there is a suite warning, not an error (a site may hold one class only).
MIN_OOD_ROWS = 10


@dataclass
class SplitPlan:
    """Which rows can go to train/test and which rows form ``ood``.

    Attributes
    ----------
    pool : numpy.ndarray
        Row positions split between train and test.
    ood_rows : numpy.ndarray or None
        Row positions of the ``ood`` split (held-out sites or ``ood_frame`` rows);
        ``None`` when there is none or it is a noisy copy of ``test``.
    ood_text : str
        How the ``ood`` split is made, recorded as ``metadata["ood"]``.
    """

    pool: np.ndarray
    ood_rows: np.ndarray | None
    ood_text: str


def site_labels(
    data: pd.DataFrame, site: str | None, ood_sites: Sequence[Any] | None
) -> np.ndarray | None:
    """Check the site column and return the site label of every row.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table.
    site : str or None
        Site column; ``None`` for no site.
    ood_sites : sequence or None
        Site values that form the ``ood`` split; each must occur.

    Returns
    -------
    numpy.ndarray or None
        Object array of site label strings, or ``None`` without a site column.

    Raises
    ------
    DataError
        For a missing site, or an ``ood_sites`` value that does not occur.
    """
    if site is None:
        return None
    n_missing = int(pd.isna(data[site]).sum())
    if n_missing:
        raise DataError(
            f"Site column '{site}': expected a site for every row, got {n_missing} missing."
        )
    site_values = to_labels(data[site])
    if ood_sites:
        present = sorted(set(site_values.tolist()))
        wanted = [to_label(s) for s in ood_sites]
        absent = [s for s in wanted if s not in present]
        if absent:
            raise DataError(
                f"ood_sites: expected values of site column '{site}', got "
                f"{quote_names(absent)} which do not occur; site values are "
                f"{quote_names(present)}."
            )
    return site_values


def plan_split(
    *,
    n_rows: int,
    n_main: int,
    y: np.ndarray,
    classes: list[str],
    target: str,
    site: str | None,
    site_values: np.ndarray | None,
    ood_sites: Sequence[Any] | None,
    has_ood_frame: bool,
    ood_description: str | None,
    shift: dict[str, Any] | None,
    test_size: Any,
    time_cut: TimeCut | None = None,
) -> SplitPlan:
    """Choose the ood rows and check that a stratified train/test split is possible.

    Parameters
    ----------
    n_rows : int
        Rows in the working table (main table plus any ``ood_frame``).
    n_main : int
        Rows of the main table.
    y : numpy.ndarray
        Class index of every row.
    classes : list of str
        Class labels, for messages.
    target : str
        Target column, for messages.
    site : str or None
        Site column.
    site_values : numpy.ndarray or None
        Site label of every row (from :func:`site_labels`).
    ood_sites : sequence or None
        Site values held out as ``ood``.
    has_ood_frame : bool
        Whether the rows after ``n_main`` come from ``ood_frame``.
    ood_description : str or None
        How ``ood_frame`` was made.
    shift : dict or None
        Parsed ``ood_shift``.
    test_size : float
        Fraction of the pool in ``test``.
    time_cut : TimeCut, optional
        A temporal ``ood`` split: the rows on or after the cut-off.

    Returns
    -------
    SplitPlan
        The pool, the ood rows and the ood description.

    Raises
    ------
    DataError
        If train or test would be empty, the pool has a single class, a class has fewer
        than 2 rows, or train/test cannot hold one row per class.
    """
    all_rows = np.arange(n_rows, dtype=np.int64)
    ood_rows: np.ndarray | None
    if ood_sites:
        wanted = {to_label(s) for s in ood_sites}
        is_ood = np.isin(site_values, list(wanted))
        ood_rows = all_rows[is_ood]
        pool = all_rows[~is_ood]
        ood_text = f"{site} in {sorted(wanted)!r}"
    elif time_cut is not None:
        ood_rows = all_rows[time_cut.is_ood]
        pool = all_rows[~time_cut.is_ood]
        ood_text = time_cut.text
    elif has_ood_frame:
        pool = all_rows[:n_main]
        ood_rows = all_rows[n_main:]
        ood_text = ood_description or f"separate table of {len(ood_rows)} rows (ood_frame)"
    else:
        pool = all_rows
        ood_rows = None
        if shift is not None:
            ood_text = f"test + gaussian noise, severity {fmt_number(shift['severity'])}"
        else:
            ood_text = "none"
    n_pool = len(pool)
    n_test = math.ceil(float(test_size) * n_pool)
    n_train = n_pool - n_test
    if n_pool == 0 or n_train == 0:
        raise DataError(
            f"Train split: expected at least one row, got 0 (rows outside ood: {n_pool}, "
            f"test_size={test_size}); hold out fewer sites in ood_sites, choose a later "
            f"time_cutoff, or add rows."
        )
    if n_test == 0:
        raise DataError(
            f"Test split: expected at least one row, got 0 (rows outside ood: {n_pool}, "
            f"test_size={test_size})."
        )
    pool_classes, pool_counts = np.unique(y[pool], return_counts=True)
    if len(pool_classes) < 2:
        raise DataError(
            f"Target column '{target}': expected at least 2 classes outside the ood split, got "
            f"only {quote_names([classes[i] for i in pool_classes])}."
        )
    if pool_counts.min() < 2:
        rare = classes[int(pool_classes[int(np.argmin(pool_counts))])]
        raise DataError(
            f"Target column '{target}': expected at least 2 rows per class to stratify the "
            f"train/test split, got class '{rare}' with {int(pool_counts.min())} row."
        )
    if n_test < len(pool_classes) or n_train < len(pool_classes):
        raise DataError(
            f"Train/test split: expected at least {len(pool_classes)} rows (one per class of "
            f"'{target}') in train and test, got {n_train} train and {n_test} test rows "
            f"(test_size={test_size})."
        )
    return SplitPlan(pool=pool, ood_rows=ood_rows, ood_text=ood_text)


def _tally(y: np.ndarray, rows: np.ndarray, classes: list[str], present: np.ndarray) -> str:
    counts = np.bincount(y[rows], minlength=len(classes))
    return ", ".join(f"'{classes[int(c)]}': {int(counts[c])}" for c in present)


def check_split_sizes(
    split_rows: dict[str, np.ndarray],
    y: np.ndarray,
    *,
    classes: list[str],
    target: str,
    plan: SplitPlan,
    test_size: Any,
) -> None:
    """Refuse a split too small to train or score on (:data:`MIN_ROWS_PER_CLASS`,
    :data:`MIN_OOD_ROWS`).

    Parameters
    ----------
    split_rows : dict of str to numpy.ndarray
        Row positions of each split, from :func:`make_splits`.
    y : numpy.ndarray
        Class index of every row.
    classes : list of str
        Class labels, for messages.
    target : str
        Target column, for messages.
    plan : SplitPlan
        The plan the splits were drawn by (its pool, ood rows and description).
    test_size : float
        Fraction of the pool in ``test``, for messages.

    Raises
    ------
    DataError
        One line giving the rows and classes of the pool and of train and test, and the rows
        needed; or the rows of an ``ood`` split of other patients and the minimum.
    """
    present = np.unique(y[plan.pool])
    small = [
        name
        for name in ("train", "test")
        if np.bincount(y[split_rows[name]], minlength=len(classes))[present].min()
        < MIN_ROWS_PER_CLASS
    ]
    if small:
        fraction = min(float(test_size), 1.0 - float(test_size))
        needed = math.ceil(MIN_ROWS_PER_CLASS / fraction)
        got = " and ".join(
            f"{name} {len(split_rows[name])} rows ({_tally(y, split_rows[name], classes, present)})"
            for name in ("train", "test")
        )
        raise DataError(
            f"Target column '{target}': expected at least {MIN_ROWS_PER_CLASS} rows of every "
            f"class in train and in test, got {got} from {len(plan.pool)} rows outside ood "
            f"({_tally(y, plan.pool, classes, present)}); at test_size={test_size} that needs "
            f"about {needed} rows of each class: add rows, or bring dataset.test_size closer to 0.5."
        )
    if plan.ood_rows is not None and len(plan.ood_rows) < MIN_OOD_ROWS:
        raise DataError(
            f"ood split ({plan.ood_text}): expected at least {MIN_OOD_ROWS} rows, got "
            f"{len(plan.ood_rows)}; hold out more or larger sites, choose an earlier "
            f"time_cutoff, or add rows."
        )


def make_splits(
    *,
    X_all: pd.DataFrame,
    y: np.ndarray,
    sens_all: pd.DataFrame,
    site_values: np.ndarray | None,
    plan: SplitPlan,
    features: list[FeatureSpec],
    shift: dict[str, Any] | None,
    test_size: float,
    seed: int,
    groups: np.ndarray | None = None,
    group_column: str | None = None,
) -> tuple[dict[str, Split], dict[str, np.ndarray]]:
    """Split the rows into train, test and (optionally) ood.

    Parameters
    ----------
    X_all : pandas.DataFrame
        Model inputs of every row.
    y : numpy.ndarray
        Class index of every row.
    sens_all : pandas.DataFrame
        Sensitive group labels of every row.
    site_values : numpy.ndarray or None
        Site label of every row.
    plan : SplitPlan
        From :func:`plan_split`.
    features : list of FeatureSpec
        The features; continuous ones get noise under ``shift``.
    shift : dict or None
        ``{"kind": "noise", "severity": s}`` makes ``ood`` a noisy copy of ``test``
        (:func:`~trustbench.data.shifts.gaussian_noise`), row-aligned with it
        (``paired_with="test"``).
    test_size : float
        Fraction of the pool in ``test`` (stratified on ``y``).
    seed : int
        ``random_state`` of the split and seed of the noise.
    groups : numpy.ndarray, optional
        Group label of every row (``group_column``): each group goes whole to train or to
        test (:func:`~trustbench.data.group_split.group_train_test`), and a group with rows
        in ``ood`` never to train.
    group_column : str, optional
        The group column, for messages.

    Returns
    -------
    splits : dict of str to Split
        ``"train"``, ``"test"`` and, if any, ``"ood"``.
    split_rows : dict of str to numpy.ndarray
        The row positions of each split (``ood`` of a noisy copy: those of ``test``).
    """
    pool = plan.pool
    if groups is not None:
        in_ood = None if plan.ood_rows is None else np.unique(groups[plan.ood_rows].astype(str))
        train_rows, test_rows = group_train_test(
            pool,
            y,
            groups,
            test_size=float(test_size),
            seed=seed,
            column=str(group_column),
            forced_test=in_ood,
        )
    else:
        train_rows, test_rows = train_test_split(
            pool, test_size=float(test_size), random_state=seed, stratify=y[pool]
        )
    train_rows = np.asarray(train_rows, dtype=np.int64)
    test_rows = np.asarray(test_rows, dtype=np.int64)

    def make_split(rows: np.ndarray) -> Split:
        return Split(
            X=X_all.iloc[rows].reset_index(drop=True),
            y=y[rows].copy(),
            sensitive=sens_all.iloc[rows].reset_index(drop=True),
            row_id=rows.copy(),
            site=None if site_values is None else site_values[rows].copy(),
        )

    splits = {"train": make_split(train_rows), "test": make_split(test_rows)}
    split_rows = {"train": train_rows, "test": test_rows}
    if plan.ood_rows is not None:
        splits["ood"] = make_split(plan.ood_rows)
        split_rows["ood"] = plan.ood_rows
    elif shift is not None:
        ood = make_split(test_rows)
        ood.X = gaussian_noise(ood.X, splits["train"].X, features, shift["severity"], seed)
        ood.paired_with = "test"
        splits["ood"] = ood
        split_rows["ood"] = test_rows
    return splits, split_rows
