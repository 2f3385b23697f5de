"""Duplicates and leakage between a dataset's splits: exact, near and perceptual twins.

The math behind the data suite's ``duplicate_share``, ``twin_share``, ``near_twin_share`` and
``conflicting_label_share`` (``trustbench.metrics.specs.data``). Every function is a pure
function of arrays.

* Exact twins compare 64-bit row hashes (:func:`row_hashes`): two rows are equal when every
  feature is (NaN equals NaN, ``-0.0`` equals ``0.0``, ``1`` equals ``1.0``, a category by its
  value); different rows collide with probability about ``2**-64`` per pair.
* Near twins (:func:`~trustbench.metrics.data_neighbours.near_twin_mask`) compare Euclidean distances on features encoded by
  :func:`encoded_matrix` (standardised by the reference's median and IQR, one-hot categories
  at distance 1) against the median nearest-neighbour distance between distinct reference rows;
  the threshold is known before the search, so the search is an exact radius query
  (grouped by the categories, a grid of cells in a few columns, every
  candidate pair's distance computed), not a nearest-neighbour query, which in more than 15
  columns compares every query row with every reference row.
* Images are also compared by their 64-bit average hash and standardised thumbnails
  (:mod:`~trustbench.metrics.data_images`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.util import hash_array

from trustbench.errors import TrustbenchError

__all__ = [
    "conflicting_label_mask",
    "duplicate_mask",
    "encoded_matrix",
    "row_hashes",
    "twin_mask",
]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_PAIR = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the pairwise combination
_MISSING = np.uint64(0xA0761D6478BD642F)  # hash of a missing text / category cell
_PAD = np.uint64(0xE7037ED1A0B428DB)  # fills an odd-width level of the combination tree
_CELLS = 1 << 22  # cells per chunk when hashing or comparing large arrays
_ONE_HOT = 1.0 / np.sqrt(2.0)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, elementwise on uint64 (a bijection that scrambles every bit)."""
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def _float_cells(values: np.ndarray) -> np.ndarray:
    """Hashes of float cells after canonicalisation (one NaN, ``-0.0 -> 0.0``)."""
    values = np.asarray(values, dtype=np.float64)
    canonical = np.where(np.isnan(values), np.nan, values + 0.0)
    return _mix(canonical.view(np.uint64))


def _combine_rows(cells: np.ndarray) -> np.ndarray:
    """One uint64 per row of ``cells`` (n, d): a pairwise tree of ``mix(a * P + b + level)``.

    Non-commutative, so the column order matters; the width ``d`` enters the final mix.
    """
    n, width = cells.shape
    level = 0
    while cells.shape[1] > 1:
        if cells.shape[1] % 2:
            cells = np.concatenate([cells, np.full((n, 1), _PAD, dtype=np.uint64)], axis=1)
        level += 1
        cells = _mix(cells[:, 0::2] * _PAIR + cells[:, 1::2] + np.uint64(level))
    last = cells[:, 0] if width else np.zeros(n, dtype=np.uint64)
    return _mix(last ^ _mix(np.full(n, width, dtype=np.uint64)))


def _text_cells(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    text = np.where(missing, "", values).astype(str).astype(object)
    hashed = hash_array(text, categorize=True) if len(text) else np.zeros(0, np.uint64)
    return np.where(missing, _MISSING, _mix(hashed))


def _column_cells(column: pd.Series) -> np.ndarray:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        codes = column.cat.codes.to_numpy()
        seen = codes >= 0
        if pd.api.types.is_bool_dtype(categories) or pd.api.types.is_numeric_dtype(categories):
            values = np.append(categories.to_numpy(dtype=np.float64), np.nan)
            return _float_cells(values[np.where(seen, codes, len(categories))])
        per_category = _text_cells(
            categories.to_numpy(dtype=object), np.zeros(len(categories), dtype=bool)
        )
        return np.append(per_category, _MISSING)[np.where(seen, codes, len(categories))]
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_integer_dtype(dtype)
        or pd.api.types.is_float_dtype(dtype)
    ):
        return _float_cells(column.to_numpy(dtype=np.float64, na_value=np.nan))
    values = column.to_numpy(dtype=object)
    return _text_cells(values, np.asarray(pd.isna(values), dtype=bool))


def row_hashes(X: pd.DataFrame | np.ndarray) -> np.ndarray:
    """One 64-bit hash per row: equal rows get equal hashes, different rows (almost surely) not.

    Cells are canonicalised first: numeric columns (bool, int, float, nullable) as float64 with
    one NaN and ``-0.0 -> 0.0`` (so ``1 == 1.0`` and NaN equals NaN); category columns by their
    value (numeric categories as numbers, others as text), never by their code; other columns
    by their text (``str(value)``), every missing value (None, NaN, pd.NA) one and the same.
    Each cell is hashed (SplitMix64; pandas' SipHash for text) and the cells of a row are
    combined in column order by a non-commutative pairwise tree. An ndarray of any shape
    ``(n, ...)`` (a numeric matrix, images ``(n, C, H, W)``) is flattened to ``(n, d)`` and
    hashed like a frame of ``d`` numeric columns, in row chunks so memory stays bounded.

    Parameters
    ----------
    X : DataFrame or array (n, ...)

    Returns
    -------
    array (n,) of uint64
        Two distinct rows collide with probability about ``2**-64``.
    """
    if isinstance(X, pd.DataFrame):
        n = len(X)
        cells = np.empty((n, X.shape[1]), dtype=np.uint64)
        for j in range(X.shape[1]):
            cells[:, j] = _column_cells(X.iloc[:, j])
        return _combine_rows(cells)
    arr = np.asarray(X)
    if arr.ndim == 0:
        raise TrustbenchError(f"row_hashes: X must be a DataFrame or an array (n, ...), got {X!r}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or np.iscomplexobj(arr):
        raise TrustbenchError(
            f"row_hashes: an array X must be real numeric, got dtype {arr.dtype}; pass text "
            "columns as a DataFrame"
        )
    flat = arr.reshape(arr.shape[0], int(np.prod(arr.shape[1:])))
    step = max(1, _CELLS // max(flat.shape[1], 1))
    out = np.empty(flat.shape[0], dtype=np.uint64)
    for start in range(0, flat.shape[0], step):
        out[start : start + step] = _combine_rows(_float_cells(flat[start : start + step]))
    return out


def _hash_vector(hashes, name: str, arg: str = "hashes") -> np.ndarray:
    h = np.asarray(hashes)
    if h.ndim != 1:
        raise TrustbenchError(f"{name}: {arg} must be one-dimensional (n,), got shape {h.shape}")
    return h


def duplicate_mask(hashes: np.ndarray) -> np.ndarray:
    """True where a row repeats an EARLIER row of the same array (same hash).

    The first occurrence of each value is False, so ``(~mask).sum()`` is the number of distinct
    rows and ``mask.mean()`` the duplicate share ``(n - distinct) / n`` in ``[0, 1)``, lower is
    better.
    """
    h = _hash_vector(hashes, "duplicate_mask")
    mask = np.ones(h.shape[0], dtype=bool)
    if h.shape[0]:
        _, first = np.unique(h, return_index=True)
        mask[first] = False
    return mask


def twin_mask(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """True where a query hash occurs in ``reference`` (an exact twin of a reference row).

    ``mask.mean()`` is the twin share in ``[0, 1]``, lower is better (``np.isin``).
    """
    q = _hash_vector(query, "twin_mask", "query")
    r = _hash_vector(reference, "twin_mask", "reference")
    return np.isin(q, r)


def conflicting_label_mask(hashes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True for every row whose feature hash occurs with at least two distinct labels.

    Identical inputs with different labels (a missing label counts as one more label value);
    ``mask.mean()`` is the conflicting-label share in ``[0, 1]``, lower is better.
    """
    h = _hash_vector(hashes, "conflicting_label_mask")
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != h.shape[0]:
        raise TrustbenchError(
            f"conflicting_label_mask: y must have shape ({h.shape[0]},) like hashes, got "
            f"{labels.shape}"
        )
    if not h.shape[0]:
        return np.zeros(0, dtype=bool)
    _, group = np.unique(h, return_inverse=True)
    label, uniques = pd.factorize(labels, use_na_sentinel=True)
    pair = group.astype(np.int64) * (len(uniques) + 1) + (label + 1)
    distinct_groups = np.unique(pair) // (len(uniques) + 1)
    labels_per_group = np.bincount(distinct_groups, minlength=int(group.max()) + 1)
    return labels_per_group[group] >= 2


def _frame_columns(frame, columns: Sequence[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TrustbenchError(f"encoded_matrix: {name} must be a DataFrame, got {type(frame)}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise TrustbenchError(
            f"encoded_matrix: {name} lacks columns {absent}; it has {list(frame.columns)}"
        )


def _continuous(frame: pd.DataFrame, column: str, name: str) -> np.ndarray:
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(series.dtype)
    ):
        raise TrustbenchError(
            f"encoded_matrix: continuous column {column!r} of {name} must be numeric, got "
            f"dtype {series.dtype}"
        )
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _robust_scale(values: np.ndarray) -> tuple[float, float]:
    """Reference median and scale: IQR, else the standard deviation, else 1."""
    finite = values[~np.isnan(values)]
    if not finite.size:
        return 0.0, 1.0
    q1, median, q3 = np.percentile(finite, [25, 50, 75])
    scale = q3 - q1
    if not scale > 0:
        scale = finite.std()
    if not scale > 0:
        scale = 1.0
    return float(median), float(scale)


def encoded_matrix(
    reference: pd.DataFrame,
    *others: pd.DataFrame,
    continuous: Sequence[str],
    categorical: Sequence[str],
) -> tuple[np.ndarray, ...]:
    """Float64 matrices for nearest-neighbour distances, fitted on ``reference`` only.

    Columns, in this order:

    * each continuous column ``x``: ``(x - median) / scale`` with the reference's median and
      ``scale`` = IQR (Q3 - Q1), else its standard deviation when the IQR is 0, else 1; NaN
      becomes 0 (the median);
    * one 0/1 missing indicator per continuous column with any NaN in any of the frames;
    * each categorical column one-hot over the reference's categories (sorted; a missing value
      is a category of its own when the reference has one), scaled by ``1/sqrt(2)`` so that
      rows differing in one category are at distance 1; a value the reference never shows
      (unseen, or missing when the reference has none) gets all zeros.

    Returns
    -------
    tuple of arrays (n_i, d)
        One per frame, ``reference`` first.
    """
    continuous, categorical = list(continuous), list(categorical)
    both = sorted(set(continuous) & set(categorical))
    if both:
        raise TrustbenchError(
            f"encoded_matrix: columns {both} are listed as both continuous and categorical"
        )
    frames = (reference, *others)
    names = ["reference"] + [f"others[{i}]" for i in range(len(others))]
    for frame, name in zip(frames, names, strict=True):
        _frame_columns(frame, continuous + categorical, name)

    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    indicators: list[list[np.ndarray]] = [[] for _ in frames]
    for column in continuous:
        values = [_continuous(f, column, n) for f, n in zip(frames, names, strict=True)]
        median, scale = _robust_scale(values[0])
        any_missing = any(np.isnan(v).any() for v in values)
        for i, v in enumerate(values):
            missing = np.isnan(v)
            blocks[i].append(np.where(missing, 0.0, (v - median) / scale)[:, None])
            if any_missing:
                indicators[i].append(missing.astype(np.float64)[:, None])
    for i in range(len(frames)):
        blocks[i].extend(indicators[i])

    for column in categorical:
        ref_values = reference[column].to_numpy(dtype=object)
        ref_missing = pd.isna(ref_values)
        categories = pd.Index(pd.unique(ref_values[~ref_missing]))
        try:
            categories = categories.sort_values()
        except TypeError:  # mixed types: keep first-seen order
            pass
        width = len(categories) + int(ref_missing.any())
        for i, frame in enumerate(frames):
            values = frame[column].to_numpy(dtype=object)
            missing = np.asarray(pd.isna(values), dtype=bool)
            codes = np.full(len(values), -1, dtype=np.int64)
            if len(categories):
                codes[~missing] = categories.get_indexer(values[~missing])
            if ref_missing.any():
                codes[missing] = len(categories)
            one_hot = np.zeros((len(values), width))
            seen = codes >= 0
            one_hot[np.flatnonzero(seen), codes[seen]] = _ONE_HOT
            blocks[i].append(one_hot)

    return tuple(
        np.hstack(b) if b else np.zeros((len(f), 0)) for b, f in zip(blocks, frames, strict=True)
    )
