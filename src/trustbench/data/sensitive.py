"""Sensitive attributes: check the columns, bin numeric ones and label the groups."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from trustbench.data.labels import fmt_number, quote_names, to_labels
from trustbench.errors import DataError

__all__ = ["MAX_SENSITIVE_NUMERIC_GROUPS", "group_labels", "sensitive_groups", "sensitive_table"]

#: A numeric sensitive column with more distinct values than this needs ``sensitive_bins``.
MAX_SENSITIVE_NUMERIC_GROUPS = 10


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


def _binned(series: pd.Series, col: str, edges: Any, is_numeric: bool) -> np.ndarray:
    """Group labels of a numeric column cut at ``edges`` (see :func:`group_labels`)."""
    edges_f = _bin_edges(col, edges)
    if not is_numeric:
        raise DataError(
            f"Sensitive column '{col}': expected numbers to bin with sensitive_bins, "
            f"got dtype {series.dtype}."
        )
    labels = group_labels(edges_f)
    cut = pd.cut(series.astype("float64"), bins=edges_f, right=False, labels=labels)
    n_out = int(pd.isna(cut).sum())
    if n_out:
        outside = series[pd.isna(cut)]
        raise DataError(
            f"Sensitive column '{col}': expected values in [{fmt_number(edges_f[0])}, "
            f"{fmt_number(edges_f[-1])}) of sensitive_bins, got {n_out} value(s) "
            f"outside (min {fmt_number(outside.min())}, max {fmt_number(outside.max())})."
        )
    return cut.astype(str).to_numpy(dtype=object)


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

    Raises
    ------
    DataError
        For missing or infinite values, bad bin edges, values outside the bins, a numeric
        column with more than :data:`MAX_SENSITIVE_NUMERIC_GROUPS` values and no bins, a
        single group, or an attribute name given twice.
    """
    values_by_name: dict[str, np.ndarray] = {}
    order = list(sensitive) + [c for c in bins if c not in sensitive]
    for col in order:
        series = data[col]
        n_missing = int(pd.isna(series).sum())
        if n_missing:
            raise DataError(
                f"Sensitive column '{col}': expected no missing values, got {n_missing} "
                f"missing row(s) of {len(series)}; fill them (e.g. 'unknown') or drop those rows."
            )
        is_numeric = ptypes.is_numeric_dtype(series.dtype) and not ptypes.is_bool_dtype(
            series.dtype
        )
        if is_numeric:
            n_inf = int(np.isinf(series.to_numpy(dtype="float64")).sum())
            if n_inf:
                raise DataError(
                    f"Sensitive column '{col}': expected finite values, got {n_inf} "
                    f"infinite value(s)."
                )
        if col in bins:
            out_name = f"{col}_group"
            values = _binned(series, col, bins[col], is_numeric)
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
        groups = sorted(set(values[:n_main].tolist()))
        if len(groups) < 2:
            raise DataError(
                f"Sensitive column '{out_name}': expected at least 2 groups, got a single "
                f"group {quote_names(groups)}."
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
