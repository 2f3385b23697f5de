"""A temporal ``ood`` split: rows on or after ``time_cutoff`` in ``time_column``.

Rows before the cut-off are split into train and test as usual; rows on or after it form
``ood`` (a later period: the question a prospective validation asks). The time column holds
dates (``datetime64`` values, or text pandas reads as dates, such as ``2020-01-31``) or numbers
(a year, days since an origin); it is never a feature. A date column takes a date cut-off
(``dataset.time_cutoff=2020-01-01``), a numeric one a number. Every check here is one line
naming the column or key, what was expected and what was found (the values that do not parse,
the range of times), raised before any training.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from trustbench.data.group_split import missing_rows
from trustbench.data.labels import fmt_number, quote_names
from trustbench.errors import DataError

__all__ = ["TimeCut", "check_time"]

#: Most example values a message shows.
_SHOWN = 5
#: Share of the rows the suggested cut-off puts in ``ood`` when none is given.
_SUGGESTED_OOD_SHARE = 0.2


@dataclass(frozen=True)
class TimeCut:
    """The parsed time column and cut-off.

    Attributes
    ----------
    column : str
        The time column.
    kind : str
        ``"date"`` or ``"number"``.
    is_ood : numpy.ndarray
        Boolean, per row: on or after the cut-off.
    cutoff_text : str
        The cut-off as written in messages and metadata (``2020-01-01``, ``2019``).
    ranges : dict
        ``{"before": [first, last], "after": [first, last]}`` of the times on each side, as text.
    """

    column: str
    kind: str
    is_ood: np.ndarray
    cutoff_text: str
    ranges: dict[str, list[str]]

    @property
    def text(self) -> str:
        """How the ``ood`` split is made, as ``metadata["ood"]``."""
        return f"{self.column} >= {self.cutoff_text} (rows on or after the cut-off)"


def _fmt(value: Any, kind: str) -> str:
    if kind == "number":
        return fmt_number(float(value))
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat()


def _parse_column(series: pd.Series, column: str) -> tuple[pd.Series, str]:
    """The times of every row (floats or timestamps) and their kind, or a one-line error."""
    missing = missing_rows(series)
    if missing:
        raise DataError(
            f"Time column '{column}' (dataset.time_column): expected a date or number in every "
            f"row, got {missing}; fill them in, or remove those rows from the file."
        )
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        raise DataError(
            f"Time column '{column}' (dataset.time_column): expected dates or numbers, got "
            f"booleans."
        )
    if ptypes.is_numeric_dtype(dtype):
        values = series.astype("float64")
        if not np.isfinite(values.to_numpy()).all():
            raise DataError(
                f"Time column '{column}' (dataset.time_column): expected finite numbers, got "
                f"infinite values."
            )
        return values, "number"
    if ptypes.is_datetime64_any_dtype(dtype):
        return series, "date"
    text = series.astype(str)
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    except (TypeError, ValueError, OverflowError) as exc:  # mixed time zones, ...
        raise DataError(
            f"Time column '{column}' (dataset.time_column): expected dates of one kind, got "
            f"values pandas cannot read together ({str(exc).splitlines()[0]}); write them as "
            f"YYYY-MM-DD."
        ) from None
    bad = pd.unique(text[pd.isna(parsed)])
    if len(bad):
        raise DataError(
            f"Time column '{column}' (dataset.time_column): expected dates (such as 2020-01-31) "
            f"or numbers, got {int(pd.isna(parsed).sum())} value(s) that are neither, such as "
            f"{quote_names(list(bad[:_SHOWN]), limit=_SHOWN)}; correct them in the file."
        )
    return parsed, "date"


def _parse_cutoff(cutoff: Any, kind: str, column: str, times: pd.Series) -> Any:
    """The cut-off as a float or a timestamp comparable with ``times``."""
    if kind == "number":
        number = None
        if not isinstance(cutoff, bool):
            try:
                number = float(cutoff if isinstance(cutoff, numbers.Real) else str(cutoff))
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            raise DataError(
                f"dataset.time_cutoff: expected a finite number (time column '{column}' holds "
                f"numbers from {_fmt(times.min(), kind)} to {_fmt(times.max(), kind)}), got "
                f"{cutoff!r}."
            )
        return number
    try:
        stamp = pd.Timestamp(str(cutoff))
    except (TypeError, ValueError):
        stamp = pd.NaT
    if isinstance(cutoff, bool) or pd.isna(stamp):
        raise DataError(
            f"dataset.time_cutoff: expected a date such as 2020-01-01 (time column '{column}' "
            f"holds dates from {_fmt(times.min(), kind)} to {_fmt(times.max(), kind)}), got "
            f"{cutoff!r}."
        )
    tz = getattr(times.dt, "tz", None)
    if tz is not None and stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz)
    elif tz is None and stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp


def check_time(data: pd.DataFrame, column: str, cutoff: Any, n_main: int) -> TimeCut:
    """Parse the time column and the cut-off, and check that both sides hold rows.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table.
    column : str
        ``time_column`` (already checked to exist).
    cutoff : Any
        ``time_cutoff``: a date (text or timestamp) or a number; required.
    n_main : int
        Rows of the main table (a temporal split takes no ``ood_frame``).

    Returns
    -------
    TimeCut
        Which rows are on or after the cut-off, and the ranges on each side.

    Raises
    ------
    DataError
        For missing or unparseable times, no cut-off (with a suggested one), a cut-off of the
        wrong kind, or one that leaves no row before it or none on or after it (with the
        range of times found).
    """
    times, kind = _parse_column(data[column].iloc[:n_main], column)
    first, last = _fmt(times.min(), kind), _fmt(times.max(), kind)
    if cutoff is None:
        if kind == "number":
            suggestion = _fmt(np.quantile(times.to_numpy(), 1 - _SUGGESTED_OOD_SHARE), kind)
        else:
            suggestion = _fmt(times.quantile(1 - _SUGGESTED_OOD_SHARE).normalize(), kind)
        raise DataError(
            f"dataset.time_cutoff: expected a cut-off for time column '{column}' (rows on or "
            f"after it form the ood split), got none; times run from {first} to {last}: e.g. "
            f"'dataset.time_cutoff={suggestion}' puts about the latest "
            f"{_SUGGESTED_OOD_SHARE:.0%} of rows in ood."
        )
    cut = _parse_cutoff(cutoff, kind, column, times)
    try:
        is_ood = (times >= cut).to_numpy(dtype=bool)
    except TypeError as exc:
        raise DataError(
            f"dataset.time_cutoff: expected a cut-off comparable with the times of '{column}' "
            f"({first} to {last}), got {cutoff!r} ({str(exc).splitlines()[0]})."
        ) from None
    cutoff_text = _fmt(cut, kind)
    for side, rows, empty in (("on or after", is_ood, "ood"), ("before", ~is_ood, "train/test")):
        if not rows.any():
            raise DataError(
                f"dataset.time_cutoff={cutoff_text}: expected rows on both sides of the cut-off "
                f"in time column '{column}', got none {side} it ({empty} would be empty); times "
                f"run from {first} to {last}: choose a cut-off after {first} and no later than "
                f"{last}."
            )
    ranges = {
        "before": [_fmt(times[~is_ood].min(), kind), _fmt(times[~is_ood].max(), kind)],
        "after": [_fmt(times[is_ood].min(), kind), _fmt(times[is_ood].max(), kind)],
    }
    return TimeCut(column=column, kind=kind, is_ood=is_ood, cutoff_text=cutoff_text, ranges=ranges)
