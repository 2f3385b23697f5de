"""Type one feature column as continuous or categorical, or say why it cannot be a feature.

A column a model cannot encode (dates, an identifier with a value per patient, mixed python
types, infinite or overflowing numbers) raises :class:`FeatureProblem`: a one-line
:class:`~trustbench.errors.DataError` that also keeps its parts, so that
:func:`~trustbench.data.features.type_features` can name every such column in one line.
"""

from __future__ import annotations

import datetime as _dt
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from trustbench.data.labels import override_list
from trustbench.errors import DataError

__all__ = ["MAX_MAGNITUDE", "ColumnType", "FeatureProblem", "classify_feature", "drop_fix"]

#: Largest magnitude a numeric feature value may have. Scaling sums squares of the values
#: (float64 overflows past ~1.8e308), and 1e100 leaves room for sums over any number of rows
#: and for products of two such squares in covariances; no measurement comes near it.
MAX_MAGNITUDE = 1e100


_TO_NUMBER = (
    "convert it to a number (e.g. days since an origin) or split on it with dataset.time_column"
)


class FeatureProblem(DataError):
    """A feature column that cannot be encoded, as one line.

    Parameters
    ----------
    column : str
        The column.
    expected, got, advice : str
        What a feature must hold, what this one holds, and the fix other than dropping it.
    droppable : bool
        Whether dropping the column is a fix worth offering.
    drop : sequence of str
        The columns already in ``drop``, repeated in the suggested ``dataset.drop``.
    """

    def __init__(
        self,
        column: str,
        expected: str,
        got: str,
        advice: str,
        *,
        droppable: bool = True,
        drop: Sequence[str] = (),
    ) -> None:
        self.column, self.expected, self.got = column, expected, got
        self.advice, self.droppable = advice, droppable
        message = f"Feature column '{column}': expected {expected}, got {got}; {advice}"
        if droppable:
            message += f", or drop it with {drop_fix([*drop, column])}"
        super().__init__(message + ".")


def drop_fix(names: Sequence[str]) -> str:
    """The ``dataset.drop`` override and its Python spelling, for a message.

    Parameters
    ----------
    names : sequence of str
        Every column to drop (those already dropped first).

    Returns
    -------
    str
        ``'dataset.drop=[id,admit_date]' (Python: drop=['id', 'admit_date'])``.
    """
    return f"{override_list('dataset.drop', names)} (Python: drop={list(names)!r})"


@dataclass
class ColumnType:
    """How one feature column will be typed.

    Attributes
    ----------
    kind : str
        ``"continuous"`` or ``"categorical"``.
    numeric : pandas.Series or None
        The float values of a numeric column, else ``None``.
    """

    kind: str
    numeric: pd.Series | None = None


def _value_class(value: Any) -> str:
    """Coarse python type of one non-missing value: str / bool / number / datetime / other."""
    if isinstance(value, str):
        return "str"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, numbers.Real):
        return "number"
    if isinstance(
        value,
        (
            _dt.date,
            _dt.datetime,
            _dt.time,
            _dt.timedelta,
            np.datetime64,
            np.timedelta64,
            pd.Timestamp,
            pd.Timedelta,
            pd.Period,
        ),
    ):
        return "datetime"
    return type(value).__name__


_DATE_TEXT = (
    r"\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*"
)


def _dates(present: pd.Series) -> bool:
    """Whether text values all read as dates (``2021-03-04``, ``04/03/2021 10:30``, ...)."""
    values = pd.Series(pd.unique(present.astype(str))[:1000])
    return bool(len(values)) and bool(values.str.fullmatch(_DATE_TEXT).all())


def classify_feature(
    series: pd.Series, name: str, force_categorical: bool, max_categories: int
) -> ColumnType:
    """Type one feature column or explain why it cannot be typed.

    Parameters
    ----------
    series : pandas.Series
        The column.
    name : str
        Its name, for messages.
    force_categorical : bool
        Treat a numeric column as categorical.
    max_categories : int
        Most distinct values a categorical column may have.

    Returns
    -------
    ColumnType
        Numeric dtypes (and object columns holding only numbers) are continuous; booleans,
        pandas categoricals, strings and all-missing columns are categorical.

    Raises
    ------
    FeatureProblem
        For datetime or complex values, mixed python types, infinite numbers or numbers
        beyond :data:`MAX_MAGNITUDE` (a continuous column), or a categorical column with
        more than ``max_categories`` values.
    """
    plain = "numeric, boolean or string values"
    dtype = series.dtype
    if (
        ptypes.is_datetime64_any_dtype(dtype)
        or ptypes.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        raise FeatureProblem(name, plain, f"a datetime column (dtype {dtype})", _TO_NUMBER)
    if ptypes.is_complex_dtype(dtype):
        raise FeatureProblem(name, plain, f"complex numbers (dtype {dtype})", "encode it")
    numeric: pd.Series | None = None
    if ptypes.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        kind = "categorical"
    elif ptypes.is_numeric_dtype(dtype):
        kind = "continuous"
        numeric = series.astype("float64")
    else:
        present = series[~pd.isna(series)]
        classes = sorted({_value_class(v) for v in present.to_numpy(dtype=object)})
        if "datetime" in classes:
            raise FeatureProblem(name, plain, "dates/times", _TO_NUMBER)
        if len(classes) == 1 and classes[0] == "str" and _dates(present):
            raise FeatureProblem(name, plain, "dates written as text", _TO_NUMBER)
        if len(classes) > 1 or (classes and classes[0] not in ("str", "bool", "number")):
            raise FeatureProblem(
                name,
                "values of one type (numbers, booleans or strings)",
                f"mixed python types ({', '.join(classes)}) that cannot be encoded",
                "clean it",
            )
        if classes == ["number"]:
            kind = "continuous"
            numeric = pd.to_numeric(series, errors="raise").astype("float64")
        else:  # strings, booleans, or an all-missing column
            kind = "categorical"
    if numeric is not None:
        values = numeric.to_numpy()
        n_inf = int(np.isinf(values).sum())
        if n_inf:
            raise FeatureProblem(
                name,
                "finite numbers (NaN is allowed and imputed later)",
                f"{n_inf} infinite value(s)",
                "replace them with NaN",
                droppable=False,
            )
        huge = np.flatnonzero(np.abs(np.nan_to_num(values)) > MAX_MAGNITUDE)
        if force_categorical:  # codes, never scaled
            kind = "categorical"
        elif huge.size:
            raise FeatureProblem(
                name,
                f"numbers of magnitude at most {MAX_MAGNITUDE:g} (larger ones overflow float64 "
                f"arithmetic: standardising squares them)",
                f"{huge.size} value(s) such as {values[huge[0]]:g} (row position {int(huge[0])})",
                "rescale the column (other units, a log), treat it as categorical",
            )
    if kind == "categorical":
        n_distinct = int(series.nunique(dropna=True))
        if n_distinct > max_categories:
            raise FeatureProblem(
                name,
                f"a categorical column with at most {max_categories} distinct values "
                f"(max_categories)",
                f"{n_distinct} distinct values (an identifier or free text?)",
                "encode it (e.g. as numbers) first, or, for a patient id, name it in "
                "dataset.group_column",
            )
    return ColumnType(kind=kind, numeric=numeric)
