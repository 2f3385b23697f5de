"""Feature columns: choose them, type each as continuous or categorical, build ``X``.

:func:`type_features` types every feature column before it reports anything, so that a table
with an ID column, a date column and a free-text column gets one line naming all three and one
``dataset.drop`` to type, not three runs with one column each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from trustbench.data.column_types import (
    MAX_MAGNITUDE,
    ColumnType,
    FeatureProblem,
    classify_feature,
    drop_fix,
)
from trustbench.data.labels import quote_names, to_labels
from trustbench.data.row_index import check_row_index, row_index_kind
from trustbench.data.task import FeatureSpec, GroundTruth
from trustbench.data.validate import as_tuple
from trustbench.errors import DataError

__all__ = [
    "MAX_MAGNITUDE",
    "ColumnType",
    "FeatureProblem",
    "check_feature_importance",
    "classify_feature",
    "feature_table",
    "select_features",
    "type_features",
]


def select_features(
    columns: Sequence[str],
    *,
    target: str,
    drop: Iterable[str],
    site: str | None,
    sensitive: Iterable[str],
    sensitive_as_features: bool,
    categorical: Iterable[str],
    never: Iterable[str] = (),
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
    never : iterable of str
        Other columns that are never features (the group and time columns).

    Returns
    -------
    list of str
        The feature columns, in table order.

    Raises
    ------
    DataError
        If no feature is left, or a ``categorical`` column is not a feature.
    """
    excluded = {target, *drop, *never}
    if site is not None:
        excluded.add(site)
    if not sensitive_as_features:
        excluded.update(sensitive)
    feature_cols = [c for c in columns if c not in excluded]
    if not feature_cols:
        raise DataError(
            f"Features: expected at least one feature column, got none left after removing "
            f"target, site, group, time, drop and sensitive columns from {quote_names(columns)}."
        )
    for col in categorical:
        if col not in feature_cols:
            raise DataError(
                f"Categorical column '{col}': expected a feature column, got a column that is "
                f"the target, site, group, time, dropped or a sensitive attribute not used as a "
                f"feature."
            )
    return feature_cols


def type_features(
    data: pd.DataFrame,
    feature_cols: Sequence[str],
    n_main: int,
    *,
    categorical: Iterable[str],
    max_categories: int,
    drop: Sequence[str],
    keep_index: Sequence[str] | str | None,
) -> tuple[dict[str, ColumnType], tuple[str, ...]]:
    """Type every feature column; report every column that cannot be a feature in one line.

    Parameters
    ----------
    data : pandas.DataFrame
        The working table.
    feature_cols : sequence of str
        The feature columns (:func:`select_features`).
    n_main : int
        Rows of the main table (the row-index check reads only those).
    categorical : iterable of str
        Columns forced categorical.
    max_categories : int
        Most distinct values a categorical column may have.
    drop : sequence of str
        The columns already dropped, repeated in the suggested ``dataset.drop``.
    keep_index : column name or list of column names
        ``index_like_features`` (:func:`~trustbench.data.row_index.check_row_index`).

    Returns
    -------
    typed : dict of str to ColumnType
        Feature column -> its type, in feature order.
    keep_index : tuple of str
        ``keep_index`` as column names.

    Raises
    ------
    DataError
        The one column's own message when one column fails; when several do (row-index
        columns included), one line naming each, what it holds, and one ``dataset.drop``.
    """
    forced = set(categorical)
    typed: dict[str, ColumnType] = {}
    problems: list[FeatureProblem] = []
    for col in feature_cols:
        try:
            typed[col] = classify_feature(data[col], col, col in forced, max_categories)
        except FeatureProblem as problem:
            problems.append(problem)
    if not problems:
        return typed, check_row_index(data, feature_cols, n_main, drop=drop, keep=keep_index)
    kept = {str(c) for c in as_tuple(keep_index, "index_like_features")}
    index_like = {
        col: kind
        for col in typed
        if col not in kept and (kind := row_index_kind(data[col].iloc[:n_main])) is not None
    }
    if len(problems) == 1 and not index_like:
        problem = problems[0]
        raise FeatureProblem(
            problem.column,
            problem.expected,
            problem.got,
            problem.advice,
            droppable=problem.droppable,
            drop=drop,
        ) from None
    what = [f"'{p.column}': {p.got}, so {p.advice}" for p in problems]
    what += [
        f"'{col}': a row index ({kind}) a model would learn the file's order from; keep it with "
        f"dataset.index_like_features only if it is a measurement"
        for col, kind in index_like.items()
    ]
    names = [p.column for p in problems] + list(index_like)
    to_drop = [p.column for p in problems if p.droppable] + list(index_like)
    raise DataError(
        f"Feature columns {quote_names(names)}: expected values a model can encode (numbers, "
        f"booleans or at most {max_categories} categories), got {'; '.join(what)}; drop "
        f"{'them' if len(to_drop) > 1 else 'it'} with {drop_fix([*drop, *to_drop])}."
    ) from None


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
