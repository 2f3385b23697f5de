"""Feature columns that are a row index, refused before any training.

A table written by ``DataFrame.to_csv`` without ``index=False`` carries the frame's index as a
first column (``Unnamed: 0`` when read back); an ``id`` column numbers the rows. Either one,
left among the features, lets a model learn the file's row order, and a file sorted by outcome
then hands it the label: accuracy 0.61 becomes 0.97 without a word. So a feature column whose
values, over the rows of the main table, are

- integers with no missing value and one distinct value per row, and
- strictly increasing in row order (``0, 1, 2, ...``, ``17, 20, 31, ...`` after a filter), or a
  permutation of ``0 .. n-1`` or ``1 .. n`` (an index written after a shuffle)

is a :class:`DataError` naming the column and the fix: drop it (``dataset.drop``), or, when it
really is a measurement, keep it with ``dataset.index_like_features``. The heart loader drops its
``id`` column for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from trustbench.data.labels import fmt_number, override_list, quote_names
from trustbench.data.validate import as_tuple
from trustbench.errors import DataError

__all__ = ["check_row_index", "row_index_kind"]


def row_index_kind(values: pd.Series) -> str | None:
    """How a column looks like a row index, or ``None`` when it does not.

    Parameters
    ----------
    values : pandas.Series
        The column over the rows of the main table, in row order.

    Returns
    -------
    str or None
        ``"integers 0..399, one per row, in row order"``, ``"a permutation of 1..400, one per
        row"`` or ``"strictly increasing integers 3..1207, one per row"``; ``None`` for a column
        that is not numeric, has a missing or non-integer value, repeats a value, or has fewer
        than 2 rows.
    """
    n = len(values)
    if n < 2 or ptypes.is_bool_dtype(values.dtype) or not ptypes.is_numeric_dtype(values.dtype):
        return None
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    if not np.all(np.isfinite(x)) or not np.all(x == np.floor(x)):
        return None
    low, high = float(x.min()), float(x.max())
    contiguous = low in (0.0, 1.0) and high - low == n - 1
    increasing = bool(np.all(np.diff(x) > 0))
    span = f"{fmt_number(low)}..{fmt_number(high)}"
    if increasing:
        if contiguous:
            return f"integers {span}, one per row, in row order"
        return f"strictly increasing integers {span}, one per row"
    if contiguous and len(np.unique(x)) == n:
        return f"a permutation of {span}, one per row"
    return None


def check_row_index(
    data: pd.DataFrame,
    feature_cols: Sequence[str],
    n_main: int,
    *,
    drop: Iterable[str] = (),
    keep: Sequence[str] | str | None = (),
) -> tuple[str, ...]:
    """Refuse feature columns that are a row index (:func:`row_index_kind`).

    Parameters
    ----------
    data : pandas.DataFrame
        The working table; only its first ``n_main`` rows (the main table) are read.
    feature_cols : sequence of str
        The feature columns.
    n_main : int
        Rows of the main table (rows after it come from ``ood_frame``).
    drop : iterable of str
        The columns already dropped, repeated in the suggested ``dataset.drop``.
    keep : column name or list of column names
        ``index_like_features``: feature columns the user declared real measurements; not
        checked.

    Returns
    -------
    tuple of str
        ``keep`` as column names.

    Raises
    ------
    DataError
        For a ``keep`` column that is not a feature, or one line naming every index-like
        column, what it holds, and both fixes.
    """
    kept = tuple(str(c) for c in as_tuple(keep, "index_like_features"))
    for col in kept:
        if col not in feature_cols:
            raise DataError(
                f"index_like_features column '{col}': expected a feature column, got "
                f"{'a column with another role' if col in data.columns else 'no such column'}; "
                f"feature columns: {quote_names(feature_cols)}."
            )
    found = {}
    for col in feature_cols:
        if col in kept:
            continue
        kind = row_index_kind(data[col].iloc[:n_main])
        if kind is not None:
            found[col] = kind
    if not found:
        return kept
    names = list(found)
    what = "; ".join(f"'{col}' holds {kind}" for col, kind in found.items())
    unnamed = [c for c in names if c.startswith("Unnamed: ")]
    origin = (
        f" ({quote_names(unnamed)}: the index DataFrame.to_csv writes without index=False)"
        if unnamed
        else ""
    )
    plural = "s" if len(names) > 1 else ""
    raise DataError(
        f"Feature column{plural} {quote_names(names)}: expected measurements, got a row index"
        f"{origin}: {what}; a model would learn the row order of the file, and a file sorted by "
        f"outcome hands it the label. Drop it with {override_list('dataset.drop', [*drop, *names])}"
        f" (Python: drop={[*drop, *names]!r}), or keep it as a feature with "
        f"{override_list('dataset.index_like_features', [*kept, *names])}."
    )
