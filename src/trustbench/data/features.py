"""Feature columns: choose them, type each as continuous or categorical, build ``X``."""

from __future__ import annotations

import datetime as _dt
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from trustbench.data.labels import quote_names, to_labels
from trustbench.data.task import FeatureSpec, GroundTruth
from trustbench.errors import DataError

#: Largest magnitude a numeric feature value may have. Scaling sums squares of the values
#: (float64 overflows past ~1.8e308), and 1e100 leaves room for sums over any number of rows
#: and for products of two such squares in covariances; no measurement comes near it.
MAX_MAGNITUDE = 1e100

__all__ = [
    "ColumnType",
    "check_feature_importance",
    "classify_feature",
    "feature_table",
    "select_features",
]


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


def select_features(
    columns: Sequence[str],
    *,
    target: str,
    drop: Iterable[str],
    site: str | None,
    sensitive: Iterable[str],
    sensitive_as_features: bool,
    categorical: Iterable[str],
) -> list[str]:
    """The feature columns: every column that has no other role.

    Parameters
    ----------
    columns : sequence of str
        The table's columns, in order.
    target, drop, site
        Columns that are never features.
    sensitive : iterable of str
        Sensitive columns; features unless ``sensitive_as_features`` is false.
    sensitive_as_features : bool
        Whether the ``sensitive`` columns are also features.
    categorical : iterable of str
        Columns forced categorical; each must be a feature.

    Returns
    -------
    list of str
        The feature columns, in table order.

    Raises
    ------
    DataError
        If no feature is left, or a ``categorical`` column is not a feature.
    """
    excluded = {target, *drop}
    if site is not None:
        excluded.add(site)
    if not sensitive_as_features:
        excluded.update(sensitive)
    feature_cols = [c for c in columns if c not in excluded]
    if not feature_cols:
        raise DataError(
            f"Features: expected at least one feature column, got none left after removing "
            f"target, site, drop and sensitive columns from {quote_names(columns)}."
        )
    for col in categorical:
        if col not in feature_cols:
            raise DataError(
                f"Categorical column '{col}': expected a feature column, got a column that is "
                f"the target, site, dropped or a sensitive attribute not used as a feature."
            )
    return feature_cols


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
    DataError
        For datetime or complex values, mixed python types, infinite numbers or numbers
        beyond :data:`MAX_MAGNITUDE` (a continuous column), or a categorical column with
        more than ``max_categories`` values.
    """
    dtype = series.dtype
    if (
        ptypes.is_datetime64_any_dtype(dtype)
        or ptypes.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        raise DataError(
            f"Feature column '{name}': expected numeric, boolean or string values, got a "
            f"datetime column (dtype {dtype}); convert it to a number (e.g. days since an "
            f"origin) or drop it with drop=['{name}']."
        )
    if ptypes.is_complex_dtype(dtype):
        raise DataError(
            f"Feature column '{name}': expected numeric, boolean or string values, got "
            f"complex numbers (dtype {dtype}); encode it or drop it with drop=['{name}']."
        )
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
            raise DataError(
                f"Feature column '{name}': expected numeric, boolean or string values, got "
                f"dates/times; convert it to a number (e.g. days since an origin) or drop "
                f"it with drop=['{name}']."
            )
        if len(classes) > 1 or (classes and classes[0] not in ("str", "bool", "number")):
            raise DataError(
                f"Feature column '{name}': expected values of one type (numbers, booleans or "
                f"strings), got mixed python types ({', '.join(classes)}) that cannot be "
                f"encoded; clean it or drop it with drop=['{name}']."
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
            raise DataError(
                f"Feature column '{name}': expected finite numbers (NaN is allowed and "
                f"imputed later), got {n_inf} infinite value(s); replace them with NaN."
            )
        huge = np.flatnonzero(np.abs(np.nan_to_num(values)) > MAX_MAGNITUDE)
        if force_categorical:  # codes, never scaled
            kind = "categorical"
        elif huge.size:
            raise DataError(
                f"Feature column '{name}': expected numbers of magnitude at most "
                f"{MAX_MAGNITUDE:g} (larger ones overflow float64 arithmetic: standardising "
                f"squares them), got {huge.size} value(s) such as {values[huge[0]]:g} (row "
                f"position {int(huge[0])}); rescale the column (other units, a log), treat it "
                f"as categorical or drop it with drop=['{name}']."
            )
    if kind == "categorical":
        n_distinct = int(series.nunique(dropna=True))
        if n_distinct > max_categories:
            raise DataError(
                f"Feature column '{name}': expected a categorical column with at most "
                f"{max_categories} distinct values (max_categories), got {n_distinct}; "
                f"drop it with drop=['{name}'] or encode it (e.g. as numbers) first."
            )
    return ColumnType(kind=kind, numeric=numeric)


def check_feature_importance(ground_truth: GroundTruth | None, feature_cols: list[str]) -> None:
    """Check that ``ground_truth.feature_importance`` has one entry per feature.

    Parameters
    ----------
    ground_truth : GroundTruth or None
        The explanation ground truth, if any.
    feature_cols : list of str
        The feature columns.

    Raises
    ------
    DataError
        If the lengths differ.
    """
    if ground_truth is not None and ground_truth.feature_importance is not None:
        n_gt = len(np.asarray(ground_truth.feature_importance))
        if n_gt != len(feature_cols):
            raise DataError(
                f"ground_truth.feature_importance: expected {len(feature_cols)} values (one per "
                f"feature {quote_names(feature_cols)}), got {n_gt}."
            )


def feature_table(
    data: pd.DataFrame, typed: Mapping[str, ColumnType]
) -> tuple[pd.DataFrame, list[FeatureSpec]]:
    """Build the model input table of every row.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table.
    typed : mapping of str to ColumnType
        Feature column -> its type from :func:`classify_feature`, in feature order.

    Returns
    -------
    X : pandas.DataFrame
        Continuous features as ``float64``, categorical ones as object label strings
        (missing values kept), with a ``RangeIndex``.
    features : list of FeatureSpec
        One spec per column of ``X``.
    """
    X_all = pd.DataFrame(index=pd.RangeIndex(len(data)))
    features: list[FeatureSpec] = []
    for col, info in typed.items():
        if info.kind == "continuous":
            X_all[col] = info.numeric.to_numpy(dtype="float64")
        else:
            X_all[col] = pd.Series(to_labels(data[col]), dtype=object)
        features.append(FeatureSpec(name=col, kind=info.kind))
    return X_all, features
