"""Turn one pandas table into a validated, typed, split and fingerprinted :class:`TaskData`.

:func:`build_task` is what every tabular loader calls. It first checks the whole table
against the data contract (DESIGN.md section 3) and raises a one-line :class:`DataError`
naming the column, what was expected and what was received; only then does it type the
columns, split the rows and compute the fingerprint.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.model_selection import train_test_split

from trustbench.data.task import FeatureSpec, GroundTruth, Split, TaskData
from trustbench.errors import DataError
from trustbench.registry import did_you_mean

__all__ = ["build_task", "group_labels"]

#: A numeric sensitive column with more distinct values than this needs ``sensitive_bins``.
MAX_SENSITIVE_NUMERIC_GROUPS = 10
_OOD_SHIFT_KINDS = ("noise", "none")


# ----------------------------------------------------------------------------- helpers
def _names(values: Iterable[Any], limit: int = 25) -> str:
    """``'a', 'b', 'c'`` (at most ``limit`` items, then a count of the rest)."""
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values) - limit} more)"
    return shown or "(none)"


def _as_tuple(value: Any, what: str) -> tuple:
    """Normalise ``None`` / one string / an iterable of names to a tuple."""
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


def _fmt_number(x: float) -> str:
    """``50`` for 50.0, ``2.5`` for 2.5."""
    x = float(x)
    if math.isfinite(x) and x == int(x):
        return str(int(x))
    return f"{x:g}"


def _to_label(value: Any) -> str:
    """One non-missing value as a group/class/category label string."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return _fmt_number(float(value))
    return str(value)


def _labels(series: pd.Series) -> np.ndarray:
    """Label strings of a column (object array); missing values stay ``nan``."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(series).to_numpy()
    return np.array(
        [np.nan if m else _to_label(v) for v, m in zip(values, missing, strict=True)], dtype=object
    )


def group_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the left-closed bins ``[edges[i], edges[i+1])``.

    The first bin is ``"<b"``, the last ``"a+"``; a middle bin is ``"a-(b-1)"`` when both
    edges are integers (``"50-59"``), else ``"[a,b)"``.

    Examples
    --------
    >>> group_labels([0, 50, 60, 200])
    ['<50', '50-59', '60+']
    """
    edges = [float(e) for e in edges]
    n = len(edges) - 1
    if n == 1:
        return [f"[{_fmt_number(edges[0])},{_fmt_number(edges[1])})"]
    labels = []
    for i in range(n):
        a, b = edges[i], edges[i + 1]
        if i == 0:
            labels.append(f"<{_fmt_number(b)}")
        elif i == n - 1:
            labels.append(f"{_fmt_number(a)}+")
        elif a == int(a) and b == int(b):
            hi = int(b) - 1
            labels.append(f"{int(a)}" if hi == int(a) else f"{int(a)}-{hi}")
        else:
            labels.append(f"[{_fmt_number(a)},{_fmt_number(b)})")
    return labels


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


@dataclass
class _Column:
    """How one feature column will be typed."""

    kind: str  # "continuous" or "categorical"
    numeric: pd.Series | None = None  # float values for numeric columns


def _classify_feature(
    series: pd.Series, name: str, force_categorical: bool, max_categories: int
) -> _Column:
    """Type one feature column or raise a :class:`DataError` explaining why it cannot be."""
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
        if force_categorical:
            kind = "categorical"
    if kind == "categorical":
        n_distinct = int(series.nunique(dropna=True))
        if n_distinct > max_categories:
            raise DataError(
                f"Feature column '{name}': expected a categorical column with at most "
                f"{max_categories} distinct values (max_categories), got {n_distinct}; "
                f"drop it with drop=['{name}'] or encode it (e.g. as numbers) first."
            )
    return _Column(kind=kind, numeric=numeric)


def _parse_ood_shift(ood_shift: Any) -> dict | None:
    """Validate ``ood_shift``; return ``{"kind": "noise", "severity": s}`` or ``None``."""
    if ood_shift is None:
        return None
    if not isinstance(ood_shift, Mapping):
        raise DataError(
            f"ood_shift: expected a dict like {{'kind': 'noise', 'severity': 0.5}} or "
            f"{{'kind': 'none'}}, got {type(ood_shift).__name__} {ood_shift!r}."
        )
    kind = ood_shift.get("kind")
    if kind not in _OOD_SHIFT_KINDS:
        raise DataError(
            f"ood_shift['kind']: expected one of {_names(_OOD_SHIFT_KINDS)}, got {kind!r}."
        )
    allowed = {"kind"} if kind == "none" else {"kind", "severity"}
    extra = sorted(set(ood_shift) - allowed)
    if extra:
        raise DataError(
            f"ood_shift: unknown key(s) {_names(extra)} for kind '{kind}'; "
            f"valid keys: {_names(sorted(allowed))}."
        )
    if kind == "none":
        return None
    severity = ood_shift.get("severity", 0.5)
    if (
        isinstance(severity, bool)
        or not isinstance(severity, numbers.Real)
        or not math.isfinite(float(severity))
        or float(severity) < 0
    ):
        raise DataError(f"ood_shift['severity']: expected a finite number >= 0, got {severity!r}.")
    return {"kind": "noise", "severity": float(severity)}


def _missing_column(role: str, name: Any, columns: list[str]) -> DataError:
    return DataError(
        f"{role} column '{name}' not found in the table.{did_you_mean(str(name), columns)} "
        f"Available columns: {_names(columns)}."
    )


def _canonical(value: Any) -> Any:
    """A JSON-friendly canonical form of the build choices, for the fingerprint."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_canonical(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(float(value)) else str(float(value))
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _frame_hash(frame: pd.DataFrame) -> bytes:
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False)
    except TypeError:  # unhashable cells (lists, dicts) in a dropped column
        hashed = pd.util.hash_pandas_object(frame.astype(str), index=False)
    return hashed.to_numpy().astype("<u8").tobytes()


def _fingerprint(frame: pd.DataFrame, choices: dict, split_rows: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    h.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    h.update(_frame_hash(frame))
    h.update(json.dumps(_canonical(choices), sort_keys=True).encode())
    for name, rows in split_rows.items():
        h.update(name.encode())
        h.update(np.asarray(rows, dtype="<i8").tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- build_task
def build_task(
    frame: pd.DataFrame,
    *,
    name: str,
    target: str,
    positive_label: Any = None,
    sensitive: Sequence[str] | str = (),
    sensitive_bins: Mapping[str, Sequence[float]] | None = None,
    site: str | None = None,
    ood_sites: Sequence[Any] | None = None,
    ood_shift: Mapping[str, Any] | None = None,
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] | str = (),
    sensitive_as_features: bool = True,
    test_size: float = 0.3,
    seed: int = 0,
    max_categories: int = 50,
    ground_truth: GroundTruth | None = None,
    metadata: Mapping[str, Any] | None = None,
    ood_frame: pd.DataFrame | None = None,
    ood_description: str | None = None,
) -> TaskData:
    """Validate, type, split and fingerprint one table.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per patient/sample. Its index is ignored: ``row_id`` is the row position.
    name : str
        Dataset name recorded in :attr:`TaskData.name`.
    target : str
        Target column (binary or multiclass; labels become strings, sorted).
    positive_label : optional
        For a binary target, the label that becomes class index 1 (the other is 0).
        Default: the second label in sorted order.
    sensitive : column name or list of column names
        Sensitive attributes; their values become group-label strings in ``Split.sensitive``.
        A numeric column with more than 10 distinct values must be binned.
    sensitive_bins : dict of column -> bin edges, optional
        ``{"age": [0, 50, 60, 200]}`` adds a sensitive attribute ``age_group`` with the
        left-closed bins ``<50``, ``50-59``, ``60+``. The source column stays a feature
        (unless it is also listed in ``sensitive`` and ``sensitive_as_features=False``);
        listing it in ``sensitive`` too just replaces it there by ``age_group``.
    site : str, optional
        Site/domain column (hospital). Never a feature; kept as ``Split.site``.
    ood_sites : list, optional
        Site values whose rows form the ``ood`` split (needs ``site``).
    ood_shift : dict, optional
        Without ``ood_sites``: ``{"kind": "noise", "severity": s}`` makes ``ood`` a copy of
        ``test`` with Gaussian noise of ``s * train std`` added to every continuous feature;
        ``{"kind": "none"}`` or ``None``: no ``ood`` split.
    categorical : list of column names, optional
        Numeric feature columns to treat as categorical.
    drop : list of column names
        Columns that are neither features nor anything else.
    sensitive_as_features : bool
        If ``False``, the columns named in ``sensitive`` are not features.
    test_size : float
        Fraction of the (non-ood) rows in ``test``; stratified on the target.
    seed : int
        Seed of the split (``train_test_split(random_state=seed)``) and of the noise.
    max_categories : int
        A categorical feature with more distinct values is an error.
    ground_truth : GroundTruth, optional
        Explanation ground truth; ``feature_importance`` must have one entry per feature.
    metadata : dict, optional
        Extra facts (source, licence, ...) copied into :attr:`TaskData.metadata`.
    ood_frame : pandas.DataFrame, optional
        A table with the same columns whose rows become the ``ood`` split (e.g. a generated
        covariate shift); its row ids continue after ``frame``'s.
    ood_description : str, optional
        How ``ood_frame`` was made, recorded as ``metadata["ood"]``.

    Returns
    -------
    TaskData
        With ``metadata`` keys ``ood``, ``seed``, ``test_size``, ``n_rows``,
        ``split_sizes``, ``site``, ``ood_sites``, ``sensitive_bins``,
        ``sensitive_as_features``, ``positive_label``, ``dropped`` and
        ``missing_by_feature`` added to those passed in.

    Raises
    ------
    DataError
        One line naming the column, what was expected and what was received, raised
        before any typing or splitting is done.
    """
    # ---------------------------------------------------------------- validate: arguments
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}.")
    sensitive = _as_tuple(sensitive, "sensitive")
    drop = _as_tuple(drop, "drop")
    categorical = _as_tuple(categorical, "categorical")
    ood_sites_t = _as_tuple(ood_sites, "ood_sites") if ood_sites is not None else None
    bins = dict(sensitive_bins or {})
    shift = _parse_ood_shift(ood_shift)
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
    seed = int(seed)
    n_ood_sources = sum([bool(ood_sites_t), shift is not None, ood_frame is not None])
    if n_ood_sources > 1:
        raise DataError(
            "ood: expected at most one of ood_sites, ood_shift (kind 'noise') and ood_frame, "
            f"got ood_sites={ood_sites!r}, ood_shift={ood_shift!r} and "
            f"ood_frame={'a table' if ood_frame is not None else None}."
        )

    # ---------------------------------------------------------------- validate: columns
    columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataError(
            f"Table columns: expected unique column names, got duplicates {_names(duplicated)}."
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
                f"{_names(missing)} and extra {_names(extra)}."
            )
        if len(ood_frame) == 0:
            raise DataError(
                "ood_frame: expected at least one row, got an empty table (empty ood split)."
            )
        extra_rows = ood_frame.copy()
        extra_rows.columns = ood_cols
        extra_rows = extra_rows[columns]
        data = pd.concat([data, extra_rows.reset_index(drop=True)], ignore_index=True)

    target = str(target)
    if target not in columns:
        raise DataError(
            f"Target column '{target}' not found in the table.{did_you_mean(target, columns)} "
            f"Available columns: {_names(columns)}."
        )
    for col in sensitive:
        if str(col) not in columns:
            raise _missing_column("Sensitive", col, columns)
    for col in bins:
        if str(col) not in columns:
            raise _missing_column("sensitive_bins", col, columns)
    if site is not None and str(site) not in columns:
        raise _missing_column("Site", site, columns)
    for col in drop:
        if str(col) not in columns:
            raise _missing_column("Drop", col, columns)
    for col in categorical:
        if str(col) not in columns:
            raise _missing_column("Categorical", col, columns)
    sensitive = tuple(str(c) for c in sensitive)
    bins = {str(k): v for k, v in bins.items()}
    drop = tuple(str(c) for c in drop)
    categorical = tuple(str(c) for c in categorical)
    site = None if site is None else str(site)

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
    if ood_sites_t and site is None:
        raise DataError(
            f"ood_sites: expected a site column to select {_names(ood_sites_t)} from, "
            f"got site=None."
        )

    # ---------------------------------------------------------------- validate: target
    y_all = data[target]
    n_nan = int(pd.isna(y_all).sum())
    if n_nan:
        raise DataError(
            f"Target column '{target}': expected no missing values, got {n_nan} missing "
            f"row(s) of {len(y_all)}; drop or label those rows first."
        )
    y_labels = _labels(y_all)
    main_labels = sorted(set(y_labels[:n_main].tolist()))
    all_labels = sorted(set(y_labels.tolist()))
    if len(main_labels) < 2:
        raise DataError(
            f"Target column '{target}': expected at least 2 classes, got a single class "
            f"{_names(main_labels)} in {n_main} rows."
        )
    unseen = [c for c in all_labels if c not in main_labels]
    if unseen:
        raise DataError(
            f"Target column '{target}' in ood_frame: expected only the table's classes "
            f"{_names(main_labels)}, got {_names(unseen)}."
        )
    if positive_label is not None:
        pos = _to_label(positive_label)
        if pos not in main_labels:
            raise DataError(
                f"Target column '{target}': positive_label {positive_label!r} not found; "
                f"expected one of {_names(main_labels)}."
            )
        if len(main_labels) != 2:
            raise DataError(
                f"Target column '{target}': positive_label applies to binary targets, got "
                f"{len(main_labels)} classes {_names(main_labels)}."
            )
        classes = [c for c in main_labels if c != pos] + [pos]
    else:
        classes = main_labels
    class_index = {c: i for i, c in enumerate(classes)}
    y = np.array([class_index[v] for v in y_labels], dtype=np.int64)

    # ---------------------------------------------------------------- validate: sensitive
    sensitive_values: dict[str, np.ndarray] = {}
    sensitive_names: list[str] = []
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
            edges = bins[col]
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
                    f"Sensitive column '{col}': expected values in [{_fmt_number(edges_f[0])}, "
                    f"{_fmt_number(edges_f[-1])}) of sensitive_bins, got {n_out} value(s) "
                    f"outside (min {_fmt_number(outside.min())}, max {_fmt_number(outside.max())})."
                )
            values = cut.astype(str).to_numpy(dtype=object)
        else:
            out_name = col
            n_distinct = int(series.nunique(dropna=True))
            if is_numeric and n_distinct > MAX_SENSITIVE_NUMERIC_GROUPS:
                raise DataError(
                    f"Sensitive column '{col}': expected a group label, got a numeric column "
                    f"with {n_distinct} distinct values that looks continuous; bin it with "
                    f"sensitive_bins={{'{col}': [edges]}}."
                )
            values = _labels(series)
        groups = sorted(set(values[:n_main].tolist()))
        if len(groups) < 2:
            raise DataError(
                f"Sensitive column '{out_name}': expected at least 2 groups, got a single "
                f"group {_names(groups)}."
            )
        if out_name in sensitive_values:
            raise DataError(
                f"Sensitive attribute '{out_name}': expected unique names, got it twice."
            )
        sensitive_values[out_name] = values
        sensitive_names.append(out_name)

    # ---------------------------------------------------------------- validate: site
    site_values: np.ndarray | None = None
    if site is not None:
        n_missing = int(pd.isna(data[site]).sum())
        if n_missing:
            raise DataError(
                f"Site column '{site}': expected a site for every row, got {n_missing} missing."
            )
        site_values = _labels(data[site])
        if ood_sites_t:
            present = sorted(set(site_values.tolist()))
            wanted = [_to_label(s) for s in ood_sites_t]
            absent = [s for s in wanted if s not in present]
            if absent:
                raise DataError(
                    f"ood_sites: expected values of site column '{site}', got "
                    f"{_names(absent)} which do not occur; site values are {_names(present)}."
                )

    # ---------------------------------------------------------------- validate: features
    excluded = {target, *drop}
    if site is not None:
        excluded.add(site)
    if not sensitive_as_features:
        excluded.update(sensitive)
    feature_cols = [c for c in columns if c not in excluded]
    if not feature_cols:
        raise DataError(
            f"Features: expected at least one feature column, got none left after removing "
            f"target, site, drop and sensitive columns from {_names(columns)}."
        )
    for col in categorical:
        if col not in feature_cols:
            raise DataError(
                f"Categorical column '{col}': expected a feature column, got a column that is "
                f"the target, site, dropped or a sensitive attribute not used as a feature."
            )
    typed: dict[str, _Column] = {}
    for col in feature_cols:
        typed[col] = _classify_feature(data[col], col, col in categorical, max_categories)

    if ground_truth is not None and ground_truth.feature_importance is not None:
        n_gt = len(np.asarray(ground_truth.feature_importance))
        if n_gt != len(feature_cols):
            raise DataError(
                f"ground_truth.feature_importance: expected {len(feature_cols)} values (one per "
                f"feature {_names(feature_cols)}), got {n_gt}."
            )

    # ---------------------------------------------------------------- validate: split sizes
    all_rows = np.arange(len(data), dtype=np.int64)
    if ood_sites_t:
        wanted = {_to_label(s) for s in ood_sites_t}
        is_ood = np.isin(site_values, list(wanted))
        ood_rows = all_rows[is_ood]
        pool = all_rows[~is_ood]
        ood_text = f"{site} in {sorted(wanted)!r}"
    elif ood_frame is not None:
        pool = all_rows[:n_main]
        ood_rows = all_rows[n_main:]
        ood_text = ood_description or f"separate table of {len(ood_rows)} rows (ood_frame)"
    else:
        pool = all_rows
        ood_rows = None
        if shift is not None:
            ood_text = f"test + gaussian noise, severity {_fmt_number(shift['severity'])}"
        else:
            ood_text = "none"
    n_pool = len(pool)
    n_test = math.ceil(float(test_size) * n_pool)
    n_train = n_pool - n_test
    if n_pool == 0 or n_train == 0:
        raise DataError(
            f"Train split: expected at least one row, got 0 (rows outside ood: {n_pool}, "
            f"test_size={test_size}); hold out fewer sites in ood_sites or add rows."
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
            f"only {_names([classes[i] for i in pool_classes])}."
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

    # ---------------------------------------------------------------- type the features
    X_all = pd.DataFrame(index=pd.RangeIndex(len(data)))
    features: list[FeatureSpec] = []
    for col in feature_cols:
        info = typed[col]
        if info.kind == "continuous":
            X_all[col] = info.numeric.to_numpy(dtype="float64")
        else:
            X_all[col] = pd.Series(_labels(data[col]), dtype=object)
        features.append(FeatureSpec(name=col, kind=info.kind))
    sens_all = pd.DataFrame(
        {k: pd.Series(v, dtype=object) for k, v in sensitive_values.items()},
        index=pd.RangeIndex(len(data)),
    )

    # ---------------------------------------------------------------- split
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
    if ood_rows is not None:
        splits["ood"] = make_split(ood_rows)
        split_rows["ood"] = ood_rows
    elif shift is not None:
        ood = make_split(test_rows)
        rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
        X_train = splits["train"].X
        X_ood = ood.X.copy()
        for spec in features:
            if spec.kind != "continuous":
                continue
            std = float(X_train[spec.name].std(skipna=True))
            if not math.isfinite(std):
                std = 0.0
            noise = rng.normal(0.0, 1.0, size=len(X_ood)) * shift["severity"] * std
            X_ood[spec.name] = X_ood[spec.name].to_numpy(dtype="float64") + noise
        ood.X = X_ood
        splits["ood"] = ood
        split_rows["ood"] = test_rows

    # ---------------------------------------------------------------- fingerprint
    choices = {
        "name": name,
        "target": target,
        "positive_label": None if positive_label is None else _to_label(positive_label),
        "classes": classes,
        "sensitive": list(sensitive),
        "sensitive_bins": {k: [float(e) for e in v] for k, v in bins.items()},
        "site": site,
        "ood_sites": None if not ood_sites_t else [_to_label(s) for s in ood_sites_t],
        "ood_shift": shift,
        "ood_frame_rows": None if ood_frame is None else len(data) - n_main,
        "categorical": list(categorical),
        "drop": list(drop),
        "sensitive_as_features": bool(sensitive_as_features),
        "test_size": float(test_size),
        "seed": seed,
        "features": [[f.name, f.kind] for f in features],
    }
    fingerprint = _fingerprint(data, choices, split_rows)

    # ---------------------------------------------------------------- metadata
    missing_by_feature = {col: int(n) for col, n in X_all.isna().sum().items() if int(n) > 0}
    meta = dict(metadata or {})
    meta.update(
        {
            "ood": ood_text,
            "seed": seed,
            "test_size": float(test_size),
            "n_rows": len(data),
            "split_sizes": {k: len(v) for k, v in splits.items()},
            "site": site,
            "ood_sites": choices["ood_sites"],
            "sensitive_bins": {k: list(v) for k, v in bins.items()},
            "sensitive_as_features": bool(sensitive_as_features),
            "positive_label": classes[1] if len(classes) == 2 else None,
            "dropped": list(drop),
            "missing_by_feature": missing_by_feature,
        }
    )
    return TaskData(
        name=name,
        features=features,
        target=target,
        classes=classes,
        sensitive_names=sensitive_names,
        splits=splits,
        fingerprint=fingerprint,
        ground_truth=ground_truth,
        metadata=meta,
    )
