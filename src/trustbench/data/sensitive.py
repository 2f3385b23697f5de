"""Sensitive attributes: check the columns, bin numeric ones and label the groups.

A missing sensitive value is a group of its own, :data:`MISSING_GROUP` (``"missing"``): the row
is kept, reported and scored like any other (and flagged by the small-group warnings when the
group is small), never dropped. A numeric column binned with ``sensitive_bins`` may hold missing
values (empty cells and the markers pandas reads as missing, such as ``NA``); any other text in
it (``unknown``, ``?``) is refused, naming the values and the fix, rather than guessed at. The
feature copy of a sensitive column is not touched: the model's imputer sees its missing values.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from trustbench.data.labels import fmt_number, override_list, quote_names, to_labels
from trustbench.errors import DataError

__all__ = [
    "MAX_SENSITIVE_NUMERIC_GROUPS",
    "MISSING_GROUP",
    "group_labels",
    "missing_sensitive",
    "sensitive_groups",
    "sensitive_table",
]

#: A numeric sensitive column with more distinct values than this needs ``sensitive_bins``.
MAX_SENSITIVE_NUMERIC_GROUPS = 10
#: The group label of a row whose sensitive value is missing.
MISSING_GROUP = "missing"
#: Most offending values a message shows.
_SHOWN = 5


def group_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the left-closed bins ``[edges[i], edges[i+1])``.

    The first bin is ``"<b"``, the last ``"a+"``; a middle bin is ``"a-(b-1)"`` when both
    edges are integers (``"50-59"``), else ``"[a,b)"``.

    Parameters
    ----------
    edges : sequence of float
        At least 2 strictly increasing bin edges.

    Returns
    -------
    list of str
        One label per bin (``len(edges) - 1`` of them).

    Examples
    --------
    >>> group_labels([0, 50, 60, 200])
    ['<50', '50-59', '60+']
    """
    edges = [float(e) for e in edges]
    n = len(edges) - 1
    if n == 1:
        return [f"[{fmt_number(edges[0])},{fmt_number(edges[1])})"]
    labels = []
    for i in range(n):
        a, b = edges[i], edges[i + 1]
        if i == 0:
            labels.append(f"<{fmt_number(b)}")
        elif i == n - 1:
            labels.append(f"{fmt_number(a)}+")
        elif a == int(a) and b == int(b):
            hi = int(b) - 1
            labels.append(f"{int(a)}" if hi == int(a) else f"{int(a)}-{hi}")
        else:
            labels.append(f"[{fmt_number(a)},{fmt_number(b)})")
    return labels


def _bin_edges(col: str, edges: Any) -> list[float]:
    """Check the ``sensitive_bins`` edges of ``col`` and return them as floats."""
    try:
        edges_f = [float(e) for e in edges]
    except (TypeError, ValueError):
        raise DataError(
            f"sensitive_bins['{col}']: expected a list of numeric bin edges, got {edges!r}."
        ) from None
    if (
        len(edges_f) < 2
        or any(math.isnan(e) for e in edges_f)
        or any(b <= a for a, b in itertools.pairwise(edges_f))
    ):
        raise DataError(
            f"sensitive_bins['{col}']: expected at least 2 strictly increasing edges, "
            f"got {list(edges)!r}."
        )
    return edges_f


def _bin_values(series: pd.Series, col: str) -> pd.Series:
    """The float values of a column to bin (missing ones NaN), or a one-line error."""
    if ptypes.is_bool_dtype(series.dtype):
        raise DataError(
            f"Sensitive column '{col}': expected numbers to bin with sensitive_bins, "
            f"got dtype {series.dtype}; list it in dataset.sensitive instead."
        )
    if ptypes.is_numeric_dtype(series.dtype):
        return series.astype("float64")
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    text = series[pd.isna(values) & ~pd.isna(series)]
    if len(text):
        shown = list(dict.fromkeys(str(v) for v in text))
        more = f" (and {len(shown) - _SHOWN} more)" if len(shown) > _SHOWN else ""
        raise DataError(
            f"Sensitive column '{col}': expected numbers to bin with sensitive_bins (a missing "
            f"value, an empty cell or a marker such as NA, becomes the group '{MISSING_GROUP}'), "
            f"got {len(text)} cell(s) of text: {quote_names(shown[:_SHOWN])}{more}; mark them "
            f"missing with {override_list('dataset.na_values', shown[:_SHOWN])} (Python: "
            f"replace them with NaN), or correct them in the file."
        )
    return values


def _binned(series: pd.Series, col: str, edges: Any) -> np.ndarray:
    """Group labels of a numeric column cut at ``edges`` (see :func:`group_labels`);
    missing values get :data:`MISSING_GROUP`."""
    edges_f = _bin_edges(col, edges)
    values = _bin_values(series, col)
    n_inf = int(np.isinf(values.to_numpy()).sum())
    if n_inf:
        raise DataError(
            f"Sensitive column '{col}': expected finite values, got {n_inf} infinite value(s)."
        )
    labels = group_labels(edges_f)
    cut = pd.cut(values, bins=edges_f, right=False, labels=labels)
    outside = values[pd.isna(cut) & ~pd.isna(values)]
    if len(outside):
        raise DataError(
            f"Sensitive column '{col}': expected values in [{fmt_number(edges_f[0])}, "
            f"{fmt_number(edges_f[-1])}) of sensitive_bins, got {len(outside)} value(s) "
            f"outside (min {fmt_number(outside.min())}, max {fmt_number(outside.max())})."
        )
    missing = pd.isna(values).to_numpy()
    out = cut.astype(object).to_numpy(dtype=object)
    return np.array(
        [MISSING_GROUP if m else str(v) for v, m in zip(out, missing, strict=True)], dtype=object
    )


def missing_sensitive(
    data: pd.DataFrame, sensitive: Sequence[str], bins: Mapping[str, Any]
) -> dict[str, int]:
    """How many rows of each sensitive attribute fall in :data:`MISSING_GROUP`.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table.
    sensitive : sequence of str
        Sensitive columns used as they are.
    bins : mapping of str to bin edges
        Binned columns (attribute ``c_group``).

    Returns
    -------
    dict of str to int
        Attribute name -> number of rows whose source value is missing; attributes with none
        are left out.
    """
    order = list(sensitive) + [c for c in bins if c not in sensitive]
    counts = {
        (f"{col}_group" if col in bins else col): int(pd.isna(data[col]).sum()) for col in order
    }
    return {name: n for name, n in counts.items() if n}


def sensitive_groups(
    data: pd.DataFrame,
    sensitive: Sequence[str],
    bins: Mapping[str, Any],
    n_main: int,
) -> dict[str, np.ndarray]:
    """Check the sensitive columns and compute the group label of every row.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table (main rows first, then any ``ood_frame`` rows).
    sensitive : sequence of str
        Sensitive columns used as they are.
    bins : mapping of str to bin edges
        Numeric columns to bin; column ``c`` gives the attribute ``c_group`` (and replaces
        ``c`` if ``c`` is also in ``sensitive``).
    n_main : int
        Number of rows of the main table; each attribute needs 2 groups there.

    Returns
    -------
    dict of str to numpy.ndarray
        Attribute name -> object array of group labels, in the order of ``sensitive``
        followed by the binned columns not in it.

        A missing value is the group :data:`MISSING_GROUP`.

    Raises
    ------
    DataError
        For infinite values, bad bin edges, text or values outside the bins in a column to
        bin, a numeric column with more than :data:`MAX_SENSITIVE_NUMERIC_GROUPS` values and
        no bins, fewer than 2 groups besides :data:`MISSING_GROUP`, or an attribute name
        given twice.
    """
    values_by_name: dict[str, np.ndarray] = {}
    order = list(sensitive) + [c for c in bins if c not in sensitive]
    for col in order:
        series = data[col]
        is_numeric = ptypes.is_numeric_dtype(series.dtype) and not ptypes.is_bool_dtype(
            series.dtype
        )
        if is_numeric and col not in bins:
            n_inf = int(np.isinf(series.to_numpy(dtype="float64", na_value=np.nan)).sum())
            if n_inf:
                raise DataError(
                    f"Sensitive column '{col}': expected finite values, got {n_inf} "
                    f"infinite value(s)."
                )
        if col in bins:
            out_name = f"{col}_group"
            values = _binned(series, col, bins[col])
        else:
            out_name = col
            n_distinct = int(series.nunique(dropna=True))
            if is_numeric and n_distinct > MAX_SENSITIVE_NUMERIC_GROUPS:
                raise DataError(
                    f"Sensitive column '{col}': expected a group label, got a numeric column "
                    f"with {n_distinct} distinct values that looks continuous; bin it with "
                    f"sensitive_bins={{'{col}': [edges]}}."
                )
            values = to_labels(series)
            values[pd.isna(series).to_numpy()] = MISSING_GROUP
        groups = sorted(set(values[:n_main].tolist()) - {MISSING_GROUP})
        if len(groups) < 2:
            besides = f" besides '{MISSING_GROUP}'" if MISSING_GROUP in set(values[:n_main]) else ""
            raise DataError(
                f"Sensitive column '{out_name}': expected at least 2 groups{besides}, got "
                f"{'a single group ' + quote_names(groups) if groups else 'none'}."
            )
        if out_name in values_by_name:
            raise DataError(
                f"Sensitive attribute '{out_name}': expected unique names, got it twice."
            )
        values_by_name[out_name] = values
    return values_by_name


def sensitive_table(groups: Mapping[str, np.ndarray], n_rows: int) -> pd.DataFrame:
    """Put the group labels of :func:`sensitive_groups` into one object-dtype table.

    Parameters
    ----------
    groups : mapping of str to numpy.ndarray
        Attribute name -> group label of every row.
    n_rows : int
        Number of rows (the table gets a ``RangeIndex`` of this length).

    Returns
    -------
    pandas.DataFrame
        One object column per attribute.
    """
    return pd.DataFrame(
        {k: pd.Series(v, dtype=object) for k, v in groups.items()},
        index=pd.RangeIndex(n_rows),
    )
