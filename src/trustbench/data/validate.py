"""Input checks of :func:`~trustbench.data.build.build_task` that need no column typing.

They run first, in this order: :func:`check_arguments` (the keyword arguments alone),
:func:`combine_tables` (the table and the optional ``ood_frame``) and :func:`check_columns`
(the column roles against the table). Each raises a one-line :class:`DataError` naming
the argument or column, what was expected and what was received.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from trustbench.data.labels import quote_names
from trustbench.data.ood_shift import parse_ood_shift
from trustbench.errors import DataError
from trustbench.registry import did_you_mean

__all__ = [
    "BuildOptions",
    "as_tuple",
    "check_arguments",
    "check_columns",
    "combine_tables",
    "missing_column",
    "parse_ood_shift",
]


@dataclass(frozen=True)
class BuildOptions:
    """The column roles and split choices of one build, normalised.

    After :func:`check_arguments` the names are as given (``target`` and ``site`` not yet
    strings); after :func:`check_columns` every name is a ``str`` found in the table.

    Attributes
    ----------
    target : str
        Target column.
    sensitive : tuple
        Sensitive columns, in the order given.
    bins : dict
        ``sensitive_bins``: column -> bin edges (as given).
    site : str or None
        Site column.
    ood_sites : tuple or None
        Site values that form the ``ood`` split; ``None`` when not given.
    shift : dict or None
        ``{"kind": "noise", "severity": s}`` from :func:`parse_ood_shift`, or ``None``.
    categorical : tuple
        Numeric feature columns to treat as categorical.
    drop : tuple
        Columns to ignore.
    test_size : float
        Fraction of the non-ood rows in ``test`` (the value as given, for messages).
    seed : int
        Seed of the split and of the noise.
    group : str or None
        ``group_column``: rows of one group (patient) go to one split.
    time : str or None
        ``time_column``: rows on or after ``cutoff`` form the ``ood`` split.
    cutoff : Any
        ``time_cutoff``, as given.
    """

    target: Any
    sensitive: tuple
    bins: dict[Any, Any]
    site: Any
    ood_sites: tuple | None
    shift: dict[str, Any] | None
    categorical: tuple
    drop: tuple
    test_size: Any
    seed: int
    group: Any = None
    time: Any = None
    cutoff: Any = None


def as_tuple(value: Any, what: str) -> tuple:
    """Normalise ``None``, one name or an iterable of names to a tuple.

    Parameters
    ----------
    value : Any
        ``None``, a string, or an iterable of column names.
    what : str
        Argument name, used in the error message.

    Returns
    -------
    tuple
        ``()`` for ``None``, ``(value,)`` for a string, else ``tuple(value)``.

    Raises
    ------
    DataError
        If ``value`` is a mapping or is not iterable.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Mapping):
        raise DataError(f"{what}: expected a list of column names, got a mapping {dict(value)!r}.")
    try:
        return tuple(value)
    except TypeError:
        raise DataError(
            f"{what}: expected a column name or a list of column names, "
            f"got {type(value).__name__} {value!r}."
        ) from None


def check_arguments(
    frame: Any,
    *,
    target: Any,
    sensitive: Sequence[str] | str | None,
    sensitive_bins: Mapping[str, Sequence[float]] | None,
    site: Any,
    ood_sites: Sequence[Any] | None,
    ood_shift: Mapping[str, Any] | None,
    categorical: Sequence[str] | None,
    drop: Sequence[str] | str | None,
    test_size: Any,
    seed: Any,
    ood_frame: Any,
    group_column: Any = None,
    time_column: Any = None,
    time_cutoff: Any = None,
) -> BuildOptions:
    """Check the arguments of ``build_task`` that can be checked without the table.

    Parameters
    ----------
    frame : Any
        Must be a :class:`pandas.DataFrame`.
    target, sensitive, sensitive_bins, site, ood_sites, ood_shift : Any
        As passed to ``build_task``.
    categorical, drop, test_size, seed, ood_frame : Any
        As passed to ``build_task``.
    group_column, time_column, time_cutoff : Any
        As passed to ``build_task``.

    Returns
    -------
    BuildOptions
        Name lists as tuples, the parsed shift and ``seed`` as an ``int``.

    Raises
    ------
    DataError
        For a wrong type or value, or more than one source of the ``ood`` split.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}.")
    sensitive_t = as_tuple(sensitive, "sensitive")
    drop_t = as_tuple(drop, "drop")
    categorical_t = as_tuple(categorical, "categorical")
    ood_sites_t = as_tuple(ood_sites, "ood_sites") if ood_sites is not None else None
    bins = dict(sensitive_bins or {})
    shift = parse_ood_shift(ood_shift)
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, numbers.Real)
        or not (0.0 < float(test_size) < 1.0)
    ):
        raise DataError(
            f"test_size: expected a fraction strictly between 0 and 1, got {test_size!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise DataError(f"seed: expected a non-negative integer, got {seed!r}.")
    for key, value in (("group_column", group_column), ("time_column", time_column)):
        if value is not None and (not isinstance(value, str) or not value):
            raise DataError(
                f"dataset.{key}: expected one column name, got {type(value).__name__} {value!r}."
            )
    if time_cutoff is not None and time_column is None:
        raise DataError(
            f"dataset.time_cutoff: expected it with dataset.time_column (the column of dates "
            f"it cuts), got time_cutoff={time_cutoff!r} and no time column; add "
            f"'dataset.time_column=<column>'."
        )
    n_ood_sources = sum(
        [bool(ood_sites_t), shift is not None, ood_frame is not None, time_column is not None]
    )
    if n_ood_sources > 1:
        raise DataError(
            "ood: expected at most one of ood_sites, ood_shift (kind 'noise'), time_column and "
            f"ood_frame, got ood_sites={ood_sites!r}, ood_shift={ood_shift!r}, "
            f"time_column={time_column!r} and "
            f"ood_frame={'a table' if ood_frame is not None else None}."
        )
    return BuildOptions(
        target=target,
        sensitive=sensitive_t,
        bins=bins,
        site=site,
        ood_sites=ood_sites_t,
        shift=shift,
        categorical=categorical_t,
        drop=drop_t,
        test_size=test_size,
        seed=int(seed),
        group=group_column,
        time=time_column,
        cutoff=time_cutoff,
    )


def combine_tables(frame: pd.DataFrame, ood_frame: Any) -> tuple[pd.DataFrame, list[str], int]:
    """Check the table (and ``ood_frame``) and stack them into one working copy.

    Parameters
    ----------
    frame : pandas.DataFrame
        The main table.
    ood_frame : pandas.DataFrame or None
        Extra rows for the ``ood`` split, with the same columns in any order.

    Returns
    -------
    data : pandas.DataFrame
        A copy with string column names and a RangeIndex: ``frame``'s rows, then
        ``ood_frame``'s (columns in ``frame``'s order).
    columns : list of str
        The column names as strings.
    n_main : int
        Number of rows of ``frame``.

    Raises
    ------
    DataError
        For duplicate column names, an empty table, or an ``ood_frame`` that is not a
        DataFrame, has other columns or no rows.
    """
    columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataError(
            f"Table columns: expected unique column names, got duplicates {quote_names(duplicated)}."
        )
    if len(frame) == 0:
        raise DataError("Table: expected at least one row, got an empty table.")
    data = frame.copy()
    data.columns = columns
    data = data.reset_index(drop=True)
    n_main = len(data)

    if ood_frame is not None:
        if not isinstance(ood_frame, pd.DataFrame):
            raise DataError(
                f"ood_frame: expected a pandas DataFrame, got {type(ood_frame).__name__}."
            )
        ood_cols = [str(c) for c in ood_frame.columns]
        missing = [c for c in columns if c not in ood_cols]
        extra = [c for c in ood_cols if c not in columns]
        if missing or extra:
            raise DataError(
                f"ood_frame: expected the same columns as the table, got missing "
                f"{quote_names(missing)} and extra {quote_names(extra)}."
            )
        if len(ood_frame) == 0:
            raise DataError(
                "ood_frame: expected at least one row, got an empty table (empty ood split)."
            )
        extra_rows = ood_frame.copy()
        extra_rows.columns = ood_cols
        extra_rows = extra_rows[columns]
        data = pd.concat([data, extra_rows.reset_index(drop=True)], ignore_index=True)
    return data, columns, n_main


def missing_column(role: str, name: Any, columns: list[str], key: str = "") -> DataError:
    """Build the error for a column named in a role argument but absent from the table.

    Parameters
    ----------
    role : str
        The role, e.g. ``"Sensitive"``.
    name : Any
        The missing column name.
    columns : list of str
        The table's columns (for the suggestion and the list).
    key : str, optional
        The config key that named it, written after the column (``dataset.group_column``).

    Returns
    -------
    DataError
        The error to raise.
    """
    where = f" ({key})" if key else ""
    return DataError(
        f"{role} column '{name}'{where} not found in the table."
        f"{did_you_mean(str(name), columns)} Available columns: {quote_names(columns)}."
    )


def check_columns(options: BuildOptions, columns: list[str]) -> BuildOptions:
    """Check that every named column exists and that the roles do not clash.

    Parameters
    ----------
    options : BuildOptions
        From :func:`check_arguments`.
    columns : list of str
        The table's columns.

    Returns
    -------
    BuildOptions
        ``options`` with every column name as a ``str``.

    Raises
    ------
    DataError
        For a missing column (with a suggestion), a target that is also sensitive, the site,
        the group or time column or dropped, one column as both group and time, or
        ``ood_sites`` without a site column.
    """
    target = str(options.target)
    if target not in columns:
        raise DataError(
            f"Target column '{target}' not found in the table.{did_you_mean(target, columns)} "
            f"Available columns: {quote_names(columns)}."
        )
    for col in options.sensitive:
        if str(col) not in columns:
            raise missing_column("Sensitive", col, columns)
    for col in options.bins:
        if str(col) not in columns:
            raise missing_column("sensitive_bins", col, columns)
    if options.site is not None and str(options.site) not in columns:
        raise missing_column("Site", options.site, columns)
    for col in options.drop:
        if str(col) not in columns:
            raise missing_column("Drop", col, columns)
    for col in options.categorical:
        if str(col) not in columns:
            raise missing_column("Categorical", col, columns)
    if options.group is not None and options.group not in columns:
        raise missing_column("Group", options.group, columns, "dataset.group_column")
    if options.time is not None and options.time not in columns:
        raise missing_column("Time", options.time, columns, "dataset.time_column")
    sensitive = tuple(str(c) for c in options.sensitive)
    bins = {str(k): v for k, v in options.bins.items()}
    drop = tuple(str(c) for c in options.drop)
    categorical = tuple(str(c) for c in options.categorical)
    site = None if options.site is None else str(options.site)

    if target in sensitive or target in bins:
        raise DataError(
            f"Target column '{target}': expected it not to be a sensitive attribute, "
            f"got it in sensitive/sensitive_bins."
        )
    if target == site:
        raise DataError(
            f"Target column '{target}': expected it not to be the site column, got site='{site}'."
        )
    if target in drop:
        raise DataError(f"Target column '{target}': expected it not to be dropped, got it in drop.")
    for key, col in (("group_column", options.group), ("time_column", options.time)):
        if col == target:
            raise DataError(
                f"dataset.{key}: expected a column other than the target, got the target "
                f"'{target}'."
            )
    if options.group is not None and options.group == options.time:
        raise DataError(
            f"dataset.group_column and dataset.time_column: expected two different columns, got "
            f"'{options.group}' for both."
        )
    if options.ood_sites and site is None:
        raise DataError(
            f"ood_sites: expected a site column to select {quote_names(options.ood_sites)} from, "
            f"got site=None."
        )
    return dataclasses.replace(
        options,
        target=target,
        sensitive=sensitive,
        bins=bins,
        site=site,
        categorical=categorical,
        drop=drop,
    )
