"""Near twins: exact radius search of each query row's train neighbours on encoded features.

The math behind the data suite's ``near_twin_share`` (``trustbench.metrics.specs.data``): a
query row is a near twin when its Euclidean distance to the nearest reference row, on features
encoded by :func:`~trustbench.metrics.data_leakage.encoded_matrix`, is at most ``ratio`` times
the median nearest-neighbour distance between distinct reference rows. The threshold is known
before the search, so the search is an exact radius query (:func:`_within_radius`: grouped by
the categories, a grid of cells in a few columns, every candidate pair's distance computed),
not a nearest-neighbour query, which in more than 15 columns compares every query row with
every reference row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from trustbench.errors import TrustbenchError
from trustbench.metrics.data_leakage import _PAIR, _mix, duplicate_mask, row_hashes

__all__ = ["near_twin_mask", "nearest_distances"]

_QUERY_CHUNK = 65536  # query rows per nearest-neighbour call


def _matrix(x, name: str, arg: str) -> np.ndarray:
    m = np.ascontiguousarray(x, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] == 0:
        raise TrustbenchError(
            f"{name}: {arg} must be a matrix (n, d) with d >= 1, got shape {m.shape}"
        )
    if not np.all(np.isfinite(m)):
        raise TrustbenchError(f"{name}: {arg} must be finite (encode NaN first), found NaN/inf")
    return m


def _matrices(reference, query, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Both matrices checked, with the same number of columns."""
    ref = _matrix(reference, name, "reference")
    qry = _matrix(query, name, "query")
    if qry.shape[1] != ref.shape[1]:
        raise TrustbenchError(
            f"{name}: query must have {ref.shape[1]} columns like reference, got {qry.shape[1]}"
        )
    return ref, qry


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
    ref, qry = _matrices(reference, query, "nearest_distances")
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
    typical: float | None = None,
) -> tuple[np.ndarray, float]:
    """Query rows with a near twin in ``reference``, and the typical distance they are held to.

    Definition: the typical distance ``t`` is the median, over the distinct reference rows
    (at most ``max_reference`` of them, a random subset drawn with ``seed`` above that), of the
    Euclidean distance from each to its nearest other row of that set. A query row is a near
    twin when its distance to the nearest reference row (every reference row) is
    ``<= ratio * t``, found by an exact radius query on the distinct reference rows
    (:func:`_within_radius`, no nearest-neighbour search); exact twins (distance 0) always
    are. Rows should be encoded first (:func:`encoded_matrix`). With fewer than two distinct
    reference rows ``t`` is NaN and only exact twins are flagged.

    Parameters
    ----------
    reference, query : arrays (n, d) and (m, d), finite
    ratio : float >= 0
        How close, as a fraction of the typical distance, counts as a near twin.
    max_reference : int
        Most distinct reference rows used to estimate ``t``.
    seed : int
        Seed of the subset.
    typical : float, optional
        ``t`` as an earlier call on the same ``reference`` returned it (several query splits
        against one train split): it is then not estimated again.

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
    ref, qry = _matrices(reference, query, "near_twin_mask")
    unique_rows = ref[~duplicate_mask(row_hashes(ref))]
    if typical is None:
        typical = _typical_distance(unique_rows, int(max_reference), seed)
    radius = ratio * typical if np.isfinite(typical) else 0.0
    return _within_radius(unique_rows, qry, radius), typical


def _typical_distance(distinct: np.ndarray, max_reference: int, seed: int) -> float:
    """Median nearest-other-row distance over (a seeded subset of) the distinct rows."""
    if distinct.shape[0] > max_reference:
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(distinct.shape[0], size=max_reference, replace=False))
        distinct = distinct[pick]
    if distinct.shape[0] < 2:
        return float("nan")
    return float(np.median(nearest_distances(distinct, distinct, exclude_self=True)))


def _within_radius(reference: np.ndarray, query: np.ndarray, radius: float) -> np.ndarray:
    """True where a query row has a reference row within Euclidean ``radius`` (``<=``).

    ``mask_i = [min_j ||q_i - r_j||_2 <= radius]``, exactly: a candidate search that can only
    add candidates, then every candidate pair's distance computed in full.

    Candidates. (1) A column in which any two distinct values (of either array) differ by more
    than ``radius`` (a one-hot category, a missing-value indicator, a constant) can only hold
    equal values in a pair within ``radius``: rows are grouped by their values in all such
    columns (a 64-bit hash). (2) Of the other columns, up to four are cut into cells of width
    ``radius`` (those splitting the reference into the most cells; as many as a cost model of
    candidate pairs against cells searched chooses): a pair within ``radius`` lies in cells at
    most one apart in each. A query row's candidates are the reference rows of its group in
    the ``3**k`` neighbouring cells (a hash table of the reference's keys). The cost is
    ``O((n + m) log n)`` plus the candidate pairs, few when ``radius`` is well below the
    typical nearest-neighbour distance (:func:`near_twin_mask`'s ``ratio * t``), in any
    number of columns, where a k-d tree's radius query degrades towards comparing every pair
    beyond about 10 columns. ``radius=0`` finds exact copies. Pass distinct reference rows:
    copies add candidates, never answers.

    Parameters
    ----------
    reference, query : arrays (n, d) and (m, d), finite, n >= 1
    radius : float >= 0

    Returns
    -------
    array (m,) of bool
    """
    ref = _matrix(reference, "_within_radius", "reference")
    qry = _matrix(query, "_within_radius", "query")
    radius = float(radius)
    if not (np.isfinite(radius) and radius >= 0):
        raise TrustbenchError(f"_within_radius: radius must be finite and >= 0, got {radius!r}")
    if qry.shape[1] != ref.shape[1]:
        raise TrustbenchError(
            f"_within_radius: query must have {ref.shape[1]} columns like reference, got "
            f"{qry.shape[1]}"
        )
    if not ref.shape[0]:
        raise TrustbenchError("_within_radius: reference needs at least 1 row, got 0")
    found = np.zeros(qry.shape[0], dtype=bool)
    if not qry.shape[0]:
        return found
    grouped = np.array([_min_gap(ref[:, j], qry[:, j]) > radius * (1 + 1e-9) for j in
                        range(ref.shape[1])])  # fmt: skip
    ref_key, qry_key = _group_hashes(ref, grouped), _group_hashes(qry, grouped)
    width = radius * (1 + 1e-6)  # cells at least radius wide: a close pair is <= 1 cell apart
    ref_cells, qry_cells = [], []
    if width > 0:
        free = np.flatnonzero(~grouped)
        ref_cells = [_cells(ref[:, j], width) for j in free]
        spread = [len(np.unique(c)) for c in ref_cells]
        order = np.argsort(spread, kind="stable")[::-1][:4]
        chosen = _grid_dims(ref_key, [ref_cells[i] for i in order])
        ref_cells = [ref_cells[i] for i in order[:chosen]]
        qry_cells = [_cells(qry[:, free[i]], width) for i in order[:chosen]]
    ref_key = _cell_keys(ref_key, ref_cells, ())
    rows = np.argsort(ref_key, kind="stable")  # reference rows by key; each key's rows:
    distinct, starts, sizes = np.unique(ref_key[rows], return_index=True, return_counts=True)
    lookup = pd.Index(distinct)  # a hash table: key -> position
    for offset in np.ndindex(*(3,) * len(qry_cells)):
        active = np.flatnonzero(~found)
        if not active.size:
            break
        keys = _cell_keys(qry_key[active], [c[active] for c in qry_cells], offset)
        at = lookup.get_indexer(keys)
        hit = at >= 0
        at = at[hit]
        _verify(ref, qry, radius, found, active[hit], starts[at], sizes[at], rows)
    return found


def _min_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest positive difference between values of ``a`` and ``b`` together (inf: one)."""
    values = np.unique(np.concatenate([a, b]))
    return float(np.diff(values).min()) if values.size > 1 else float("inf")


def _group_hashes(x: np.ndarray, columns: np.ndarray) -> np.ndarray:
    if not columns.any():
        return np.zeros(x.shape[0], dtype=np.uint64)
    return row_hashes(x[:, columns])


def _cells(values: np.ndarray, width: float) -> np.ndarray:
    """Cell index ``floor(v / width)``, clipped to +-2**60 (far cells merge: more candidates)."""
    return np.clip(np.floor(values / width), -(2.0**60), 2.0**60).astype(np.int64)


def _cell_keys(key: np.ndarray, cells: list[np.ndarray], offset: tuple[int, ...]) -> np.ndarray:
    """Hash of (group, cell + offset per grid column)."""
    key = key.copy()
    with np.errstate(over="ignore"):
        for i, column in enumerate(cells):
            shift = offset[i] - 1 if offset else 0
            key = _mix(key * _PAIR + (column + shift).view(np.uint64))
    return key


def _grid_dims(key: np.ndarray, cells: list[np.ndarray]) -> int:
    """How many of ``cells`` (best first) to search: the fewest expected operations per query,
    ``3**k`` cell searches each finding ``sum(count**2) / n`` reference rows on average."""
    best, best_cost = 0, float("inf")
    for k in range(len(cells) + 1):
        keys = _cell_keys(key, cells[:k], ())
        _, counts = np.unique(keys, return_counts=True)
        cost = 3.0**k * (4.0 + float(np.sum(counts.astype(np.float64) ** 2)) / key.size)
        if cost < best_cost:
            best, best_cost = k, cost
    return best


_PAIRS = 1 << 20  # candidate pairs compared at once


def _verify(ref, qry, radius, found, queries, low, count, rows) -> None:
    """Mark ``found`` for each query with a candidate (``rows[low : low + count]``) within
    ``radius``, comparing the pairs in blocks of about ``_PAIRS``."""
    if not queries.size:
        return
    ends = np.cumsum(count)
    start = 0
    while start < queries.size:
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + _PAIRS, side="right")), start + 1)
        n = count[start:stop]
        first = np.cumsum(n) - n
        q = np.repeat(queries[start:stop], n)
        r = rows[np.repeat(low[start:stop] - first, n) + np.arange(int(n.sum()))]
        diff = qry[q] - ref[r]
        close = np.sqrt(np.einsum("ij,ij->i", diff, diff)) <= radius
        found[q[close]] = True
        start = stop
