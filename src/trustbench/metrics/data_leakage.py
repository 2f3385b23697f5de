"""Duplicates and leakage between a dataset's splits: exact, near and perceptual twins.

The math behind the data suite's ``duplicate_share``, ``twin_share``, ``near_twin_share`` and
``conflicting_label_share`` (``trustbench.metrics.specs.data``). Every function is a pure
function of arrays.

* Exact twins compare 64-bit row hashes (:func:`row_hashes`): two rows are equal when every
  feature is (NaN equals NaN, ``-0.0`` equals ``0.0``, ``1`` equals ``1.0``, a category by its
  value); different rows collide with probability about ``2**-64`` per pair.
* Near twins (:func:`near_twin_mask`) compare Euclidean distances on features encoded by
  :func:`encoded_matrix` (standardised by the reference's median and IQR, one-hot categories
  at distance 1) against the median nearest-neighbour distance between distinct reference rows.
* Images are also compared by their 64-bit average hash (:func:`perceptual_hashes`) and the
  Hamming distance to the nearest reference hash (:func:`hamming_nearest`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.util import hash_array
from sklearn.neighbors import NearestNeighbors

from trustbench.errors import TrustbenchError

__all__ = [
    "conflicting_label_mask",
    "duplicate_mask",
    "encoded_matrix",
    "hamming_nearest",
    "near_twin_mask",
    "nearest_distances",
    "perceptual_hashes",
    "row_hashes",
    "thumbnails",
    "twin_mask",
]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_PAIR = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the pairwise combination
_MISSING = np.uint64(0xA0761D6478BD642F)  # hash of a missing text / category cell
_PAD = np.uint64(0xE7037ED1A0B428DB)  # fills an odd-width level of the combination tree
_CELLS = 1 << 22  # cells per chunk when hashing or comparing large arrays
_QUERY_CHUNK = 65536  # query rows per nearest-neighbour call
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


def _matrix(x, name: str, arg: str) -> np.ndarray:
    m = np.ascontiguousarray(x, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] == 0:
        raise TrustbenchError(
            f"{name}: {arg} must be a matrix (n, d) with d >= 1, got shape {m.shape}"
        )
    if not np.all(np.isfinite(m)):
        raise TrustbenchError(f"{name}: {arg} must be finite (encode NaN first), found NaN/inf")
    return m


def nearest_distances(
    reference: np.ndarray, query: np.ndarray, *, exclude_self: bool = False
) -> np.ndarray:
    """Euclidean distance from each query row to its nearest reference row.

    ``d_i = min_j ||q_i - r_j||_2`` in ``[0, inf)``, from
    ``sklearn.neighbors.NearestNeighbors(algorithm="auto")`` (a k-d tree for up to 15
    columns), the query in chunks of 65 536 rows. With ``exclude_self=True`` the query must be
    ``reference`` itself and ``d_i`` is the distance to the nearest OTHER row (the second
    neighbour), so a row duplicated inside ``reference`` gets 0.

    Returns
    -------
    array (n_query,) of float64
    """
    ref = _matrix(reference, "nearest_distances", "reference")
    qry = _matrix(query, "nearest_distances", "query")
    if qry.shape[1] != ref.shape[1]:
        raise TrustbenchError(
            f"nearest_distances: query must have {ref.shape[1]} columns like reference, got "
            f"{qry.shape[1]}"
        )
    k = 2 if exclude_self else 1
    if exclude_self and qry.shape != ref.shape:
        raise TrustbenchError(
            f"nearest_distances: exclude_self=True needs query to be reference (shape "
            f"{ref.shape}), got shape {qry.shape}"
        )
    if ref.shape[0] < k:
        raise TrustbenchError(
            f"nearest_distances: reference needs at least {k} row(s), got {ref.shape[0]}"
        )
    out = np.empty(qry.shape[0], dtype=np.float64)
    if not qry.shape[0]:
        return out
    index = NearestNeighbors(n_neighbors=k, algorithm="auto").fit(ref)
    for start in range(0, qry.shape[0], _QUERY_CHUNK):
        distance, _ = index.kneighbors(qry[start : start + _QUERY_CHUNK], n_neighbors=k)
        out[start : start + _QUERY_CHUNK] = distance[:, k - 1]
    return out


def near_twin_mask(
    reference: np.ndarray,
    query: np.ndarray,
    *,
    ratio: float,
    max_reference: int = 20000,
    seed: int = 0,
) -> tuple[np.ndarray, float]:
    """Query rows with a near twin in ``reference``, and the typical distance they are held to.

    Definition: the typical distance ``t`` is the median, over the distinct reference rows
    (at most ``max_reference`` of them, a random subset drawn with ``seed`` above that), of the
    Euclidean distance from each to its nearest other row of that set. A query row is a near
    twin when its distance to the nearest reference row (every reference row) is
    ``<= ratio * t``; exact twins (distance 0) always are. Rows should be encoded first
    (:func:`encoded_matrix`). With fewer than two distinct reference rows ``t`` is NaN and only
    exact twins are flagged.

    Parameters
    ----------
    reference, query : arrays (n, d) and (m, d), finite
    ratio : float >= 0
        How close, as a fraction of the typical distance, counts as a near twin.
    max_reference : int
        Most distinct reference rows used to estimate ``t``.
    seed : int
        Seed of the subset.

    Returns
    -------
    mask : array (m,) of bool
        ``mask.mean()`` is the near-twin share in ``[0, 1]``, lower is better.
    typical : float
        ``t``, in ``(0, inf)`` or NaN.
    """
    ratio = float(ratio)
    if not (np.isfinite(ratio) and ratio >= 0):
        raise TrustbenchError(f"near_twin_mask: ratio must be finite and >= 0, got {ratio!r}")
    if int(max_reference) < 2:
        raise TrustbenchError(
            f"near_twin_mask: max_reference must be an integer >= 2, got {max_reference!r}"
        )
    ref = _matrix(reference, "near_twin_mask", "reference")
    qry = _matrix(query, "near_twin_mask", "query")
    distinct = ref[~duplicate_mask(row_hashes(ref))]
    if distinct.shape[0] > max_reference:
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(distinct.shape[0], size=int(max_reference), replace=False))
        distinct = distinct[pick]
    if distinct.shape[0] >= 2:
        typical = float(np.median(nearest_distances(distinct, distinct, exclude_self=True)))
    else:
        typical = float("nan")
    distance = nearest_distances(ref, qry)
    with np.errstate(invalid="ignore"):
        mask = (distance <= ratio * typical) | (distance == 0.0)
    return mask, typical


def _block_edges(size: int, name: str, blocks: int = 8) -> np.ndarray:
    if size < blocks:
        raise TrustbenchError(
            f"perceptual_hashes: images need {name} >= {blocks} pixels, got {size}"
        )
    return np.cumsum([0] + [len(b) for b in np.array_split(np.arange(size), blocks)[:-1]])


def _block_means(images: np.ndarray, blocks: int) -> np.ndarray:
    """Grayscale ``(n, blocks * blocks)`` block means of ``(n, C, H, W)`` or ``(n, H, W)``."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise TrustbenchError(
            f"perceptual_hashes: images must have shape (n, C, H, W) or (n, H, W), got {x.shape}"
        )
    _, _, height, width = x.shape
    gray = x.mean(axis=1)
    rows, cols = _block_edges(height, "H", blocks), _block_edges(width, "W", blocks)
    sums = np.add.reduceat(np.add.reduceat(gray, rows, axis=1), cols, axis=2)
    sizes = np.diff(np.append(rows, height))[:, None] * np.diff(np.append(cols, width))[None, :]
    return (sums / sizes).reshape(len(x), blocks * blocks)


def thumbnails(images: np.ndarray, size: int = 16) -> np.ndarray:
    """Standardised ``size x size`` grayscale thumbnails, one row of ``size**2`` per image.

    Block means as in :func:`perceptual_hashes`, then each thumbnail minus its mean and
    divided by its standard deviation (a constant image stays 0): a brightness or contrast
    change does not move an image, a different scene does. Distances between rows
    (:func:`near_twin_mask`) compare image content.
    """
    small = _block_means(images, size)
    centred = small - small.mean(axis=1, keepdims=True)
    scale = centred.std(axis=1, keepdims=True)
    return np.divide(centred, scale, out=np.zeros_like(centred), where=scale > 0)


def perceptual_hashes(images: np.ndarray) -> np.ndarray:
    """64-bit average hash (aHash) of each image.

    Grayscale (the mean over channels), shrunk to 8x8 by block means (area resampling; when
    ``H`` or ``W`` is not a multiple of 8 the blocks are those of ``np.array_split``), then bit
    ``8 r + c`` (most significant first) is 1 when block ``(r, c)`` is brighter than the mean
    of the 64 blocks. Near-identical images (noise, a brightness shift) differ in few bits,
    unrelated ones in about 32 (compare with :func:`hamming_nearest`).

    Parameters
    ----------
    images : array (n, C, H, W) or (n, H, W), H, W >= 8

    Returns
    -------
    array (n,) of uint64
    """
    small = _block_means(images, 8)
    bits = small > small.mean(axis=1, keepdims=True)
    return np.packbits(bits, axis=1).view(">u8")[:, 0].astype(np.uint64)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    return _POPCOUNT[x[..., None].view(np.uint8)].sum(axis=-1, dtype=np.uint8)


def hamming_nearest(query: np.ndarray, reference: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Smallest Hamming distance from each query hash to any reference hash.

    ``min_j popcount(q_i XOR r_j)`` in ``[0, 64]``, lower = more alike (0: the same perceptual
    hash), over blocks of ``chunk`` query by ``chunk`` reference hashes.

    Returns
    -------
    array (n_query,) of int64
    """
    q = _hash_vector(query, "hamming_nearest", "query").astype(np.uint64)
    r = _hash_vector(reference, "hamming_nearest", "reference").astype(np.uint64)
    if not r.shape[0]:
        raise TrustbenchError("hamming_nearest: reference must hold at least one hash, got 0")
    if int(chunk) < 1:
        raise TrustbenchError(f"hamming_nearest: chunk must be a positive integer, got {chunk!r}")
    chunk = int(chunk)
    out = np.full(q.shape[0], 64, dtype=np.int64)
    for qs in range(0, q.shape[0], chunk):
        block = q[qs : qs + chunk, None]
        for rs in range(0, r.shape[0], chunk):
            distance = _popcount(block ^ r[None, rs : rs + chunk]).min(axis=1)
            out[qs : qs + chunk] = np.minimum(out[qs : qs + chunk], distance)
    return out
