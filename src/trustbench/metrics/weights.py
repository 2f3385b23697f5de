"""Bootstrap weights and the weight plumbing shared by every metric.

Every metric in :mod:`trustbench.metrics` accepts ``weights``:

* ``None``: the plain metric, returned as a Python ``float``;
* shape ``(n,)``: non-negative row weights (for instance integer bootstrap counts), returned as a
  ``float`` equal to the reference computed with ``sample_weight=weights``;
* shape ``(B, n)``: ``B`` replicates at once, returned as an array of shape ``(B,)``.

A bootstrap replicate is a row of :func:`bootstrap_counts`; evaluating a metric on it equals
evaluating the metric on the rows ``np.repeat(np.arange(n), counts)``. The helpers here turn the
three accepted forms into one ``(B, n)`` float64 matrix, so that every metric is written once,
as matrix products over that matrix.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from trustbench.errors import TrustbenchError

__all__ = [
    "bootstrap_counts",
    "chunk_memory",
    "map_chunks",
    "percentile_interval",
    "replicate_chunk_rows",
    "replicated",
    "stacked",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Replicates drawn per pass of :func:`bootstrap_counts` are capped so its int64 index
#: matrix holds at most this many elements (16 MiB).
_DRAW_ELEMENTS = 1 << 21
#: A metric's temporaries are about this many float64 copies of its weight chunk.
_TEMPORARIES = 8
#: The fewest replicates a chunk holds, whatever the budget (at 300k rows: 32 x 300k x 64 B =
#: 600 MB of temporaries).
_MIN_CHUNK_ROWS = 32
#: Default memory for one chunk of replicates (MiB), as ``suite.bootstrap.chunk_memory_mb``.
DEFAULT_CHUNK_MB = 64.0
_CHUNK_MB = contextvars.ContextVar("trustbench_chunk_memory_mb", default=DEFAULT_CHUNK_MB)


def bootstrap_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Draw nonparametric bootstrap resample counts over ``n`` rows.

    Parameters
    ----------
    n : int
        Number of rows in the evaluated sample (``n >= 1``).
    n_boot : int
        Number of bootstrap replicates ``B`` (``B >= 1``).
    rng : numpy.random.Generator
        Source of randomness; the result is a deterministic function of its state.

    Returns
    -------
    numpy.ndarray
        Integer array of shape ``(n_boot, n)``; entry ``[b, i]`` is how many times row ``i`` is
        drawn in replicate ``b``. Every row sums to ``n``: each replicate is a
        ``Multinomial(n, (1/n, ..., 1/n))`` draw, i.e. ``n`` rows drawn uniformly with
        replacement. Pass it as ``weights`` to any metric to get ``B`` replicates at once.
    """
    n = int(n)
    n_boot = int(n_boot)
    if n < 1:
        raise TrustbenchError(f"bootstrap_counts: n must be >= 1, got {n}")
    if n_boot < 1:
        raise TrustbenchError(f"bootstrap_counts: n_boot must be >= 1, got {n_boot}")
    # Draw row indices and count them per replicate with one bincount over offset indices (an
    # exact multinomial draw, no loop over replicates), a bounded block of replicates at a
    # time: consecutive draws from one generator give the same stream as a single draw.
    # Each block is stored as uint8 at once (a count is at most n, and above 255 only with a
    # vanishing probability for larger n; then every block is kept as int64): one byte a
    # count, so 1,000 replicates
    # of 1M rows take 1 GB, not 8, and no int64 copy of the whole matrix ever exists.
    step = max(1, _DRAW_ELEMENTS // n)
    out = np.empty((n_boot, n), dtype=np.uint8)
    for start in range(0, n_boot, step):
        rows = min(step, n_boot - start)
        idx = rng.integers(0, n, size=(rows, n))
        idx += (np.arange(rows, dtype=idx.dtype) * n)[:, None]
        block = np.bincount(idx.ravel(), minlength=rows * n).reshape(rows, n)
        if out.dtype == np.uint8 and block.max() > np.iinfo(np.uint8).max:
            out = out.astype(np.int64)
        out[start : start + rows] = block
    return out


def stacked(counts: np.ndarray) -> np.ndarray:
    """``[ones; counts]``: row 0 evaluates the point value, rows 1.. the bootstrap replicates
    (in the counts' own dtype, so that uint8 counts stay one byte a count)."""
    counts = np.asarray(counts)
    dtype = counts.dtype if counts.dtype.kind in "iu" else np.float64
    return np.vstack([np.ones((1, counts.shape[1]), dtype=dtype), counts.astype(dtype)])


@contextmanager
def chunk_memory(mb: float) -> Iterator[None]:
    """Within the block, weighted metrics given many replicates evaluate them in chunks whose
    temporaries take about ``mb`` MiB (``suite.bootstrap.chunk_memory_mb``)."""
    if not float(mb) > 0:
        raise TrustbenchError(f"chunk_memory: expected a positive number of MiB, got {mb!r}")
    token = _CHUNK_MB.set(float(mb))
    try:
        yield
    finally:
        _CHUNK_MB.reset(token)


def replicate_chunk_rows(n: int) -> int:
    """Replicates per chunk for ``n`` rows: ``_TEMPORARIES`` float64 copies of a
    ``(rows, n)`` chunk fit in the current :func:`chunk_memory` budget, and at least
    ``_MIN_CHUNK_ROWS`` (a metric's per-call work, sorting the scores and checking its inputs,
    is repeated per chunk: 1,000 replicates are then at most ~32 chunks however many rows)."""
    elements = _CHUNK_MB.get() * 2**20 / (8 * _TEMPORARIES)
    return max(_MIN_CHUNK_ROWS, int(elements // max(int(n), 1)))


def map_chunks(fn: Callable[[np.ndarray], Any], weights: np.ndarray) -> Any:
    """``fn(weights)`` evaluated chunk by chunk of rows (:func:`replicate_chunk_rows`) and
    joined along the replicate axis: for a caller that must transform the weights before a
    metric sees them (``fn = lambda w: metric(..., weights=w * shift)``) without building the
    transformed ``(B, n)`` matrix at once."""
    weights = np.asarray(weights)
    step = replicate_chunk_rows(weights.shape[1])
    if weights.shape[0] <= step:
        return fn(weights)
    return _concat([fn(weights[s : s + step]) for s in range(0, weights.shape[0], step)], ())


def _concat(parts: list[Any], fixed: tuple[Any, ...]) -> Any:
    """Join the per-chunk results of a :func:`replicated` metric along the replicate axis;
    the parts named in ``fixed`` (tuple indices, dict keys, dataclass fields) are the same
    in every chunk and taken from the first."""
    first = parts[0]
    if isinstance(first, np.ndarray) and first.ndim >= 1:
        return np.concatenate(parts, axis=0)
    if isinstance(first, tuple):
        return tuple(
            first[i] if i in fixed else _concat([p[i] for p in parts], ())
            for i in range(len(first))
        )
    if isinstance(first, dict):
        return {k: first[k] if k in fixed else _concat([p[k] for p in parts], ()) for k in first}
    if dataclasses.is_dataclass(first):
        return dataclasses.replace(
            first,
            **{
                f.name: _concat([getattr(p, f.name) for p in parts], ())
                for f in dataclasses.fields(first)
                if f.name not in fixed
            },
        )
    raise TypeError(f"cannot join per-chunk results of type {type(first).__name__}")


def replicated(
    rows: Mapping[str, int | tuple[int, ...]] | None = None, fixed: tuple[Any, ...] = ()
) -> Callable[[F], F]:
    """Decorate a weighted metric so that a ``(B, n)`` ``weights`` matrix is evaluated in
    chunks of :func:`replicate_chunk_rows` replicates, the results joined along the replicate
    axis: memory stays bounded whatever ``B * n``, and the values equal one call's.

    Parameters
    ----------
    rows : mapping, optional
        Other arguments with one entry per replicate, by name, and the ``ndim`` (an int or a
        tuple of them) at which they have it (``{"y_pred": 2}``: a ``(B, n)`` prediction
        matrix, one row per replicate; ``{"threshold": (1, 2)}``: ``(B,)`` or ``(B, n)``);
        they are sliced with the weights.
    fixed : tuple, optional
        Parts of the result that do not depend on the replicate (tuple indices, dict keys or
        dataclass fields, e.g. the group labels), taken from the first chunk.
    """
    per_row = {
        name: (ndim,) if isinstance(ndim, int) else tuple(ndim)
        for name, ndim in {"weights": 2, **dict(rows or {})}.items()
    }

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            sliced = {
                name: np.asarray(value)
                for name, value in bound.arguments.items()
                if name in per_row and value is not None and np.ndim(value) in per_row[name]
            }
            matrices = [v for v in sliced.values() if v.ndim == 2]
            if not matrices:
                return fn(*args, **kwargs)
            total = max(v.shape[0] for v in sliced.values())
            step = replicate_chunk_rows(max(v.shape[1] for v in matrices))  # the widest
            if total <= step:
                return fn(*args, **kwargs)
            parts = []
            for start in range(0, total, step):
                for name, value in sliced.items():
                    if value.shape[0] == total:
                        bound.arguments[name] = value[start : start + step]
                parts.append(fn(*bound.args, **bound.kwargs))
            return _concat(parts, fixed)

        return wrapper  # type: ignore[return-value]

    return decorate


def percentile_interval(replicates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap confidence interval, ignoring undefined replicates.

    Parameters
    ----------
    replicates : array-like of shape (B,)
        Metric values over bootstrap replicates; NaN marks a replicate where the metric is
        undefined (for example AUC on a replicate holding a single class).
    level : float, default 0.95
        Coverage of the two-sided interval, in ``(0, 1)``.

    Returns
    -------
    tuple of float
        ``(lo, hi)``: the ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of the finite
        replicates (``numpy.nanpercentile``, linear interpolation). ``(nan, nan)`` when fewer than
        half of the replicates are finite, since the interval would then describe a selected,
        unrepresentative subset of resamples.
    """
    if not 0.0 < float(level) < 1.0:
        raise TrustbenchError(f"percentile_interval: level must lie in (0, 1), got {level!r}")
    r = np.asarray(replicates, dtype=np.float64).ravel()
    finite = np.isfinite(r)
    if r.size == 0 or 2 * int(finite.sum()) < r.size:
        return (float("nan"), float("nan"))
    alpha = 100.0 * (1.0 - float(level)) / 2.0
    lo, hi = np.nanpercentile(np.where(finite, r, np.nan), [alpha, 100.0 - alpha])
    return (float(lo), float(hi))


def _weight_matrix(weights: np.ndarray | None, n: int, name: str) -> tuple[np.ndarray, bool]:
    """Normalise ``weights`` into a ``(B, n)`` float64 matrix.

    Returns the matrix and ``squeeze``: True when the caller passed ``None`` or a 1-D vector and
    expects a scalar back (``B == 1``).
    """
    if weights is None:
        return np.ones((1, n), dtype=np.float64), True
    raw = np.asarray(weights)
    w = raw.astype(np.float64, copy=False)
    if w.ndim == 1:
        squeeze = True
        w = w[None, :]
    elif w.ndim == 2:
        squeeze = False
    else:
        raise TrustbenchError(
            f"{name}: weights must have shape (n,) or (B, n) with n={n}, got shape {w.shape}"
        )
    if w.shape[1] != n:
        raise TrustbenchError(
            f"{name}: weights must have shape (n,) or (B, n) with n={n}, got shape {w.shape}"
        )
    if raw.dtype.kind != "u" and (not np.all(np.isfinite(w)) or np.any(w < 0)):
        # unsigned counts (bootstrap_counts) are finite and non-negative by their type
        raise TrustbenchError(f"{name}: weights must be finite and non-negative")
    return w, squeeze


def _finish(values: np.ndarray, squeeze: bool) -> float | np.ndarray:
    """Return ``values`` (shape ``(B,)``) as a float when ``squeeze``, else as a float64 array."""
    values = np.asarray(values, dtype=np.float64)
    if squeeze:
        return float(values[0])
    return values


# Up to this many output columns (groups x value vectors) the one-hot matrix is built dense and
# multiplied with BLAS; beyond it (e.g. one column per distinct score) a sparse product is used.
_DENSE_MAX_COLUMNS = 256


def _group_sums(w: np.ndarray, codes: np.ndarray, n_codes: int, *values) -> np.ndarray:
    """Weighted sums per code, for one or more value vectors at once.

    ``out[j, b, g] = sum_i w[b, i] * values[j][i] * [codes[i] == g]`` (``values`` empty: one
    block of plain weight sums). Returns an array of shape ``(m, B, n_codes)`` with
    ``m = max(1, len(values))``; unpack it as ``a, b = _group_sums(w, codes, G, va, vb)``.

    It is one matrix product with a one-hot matrix: dense (BLAS) when ``m * n_codes`` is small,
    sparse otherwise, so memory stays ``O(B * m * n_codes)`` beyond ``w`` itself. In the sparse
    case each ``out[j]`` is the transpose of a C-contiguous ``(n_codes, B)`` block, so
    ``out[j].T`` is cheap to scan along the codes.
    """
    n = codes.shape[0]
    vectors = [np.ones(n)] if not values else [np.asarray(v, np.float64) for v in values]
    m = len(vectors)
    data = np.concatenate(vectors)
    rows = np.arange(n)
    cols = np.concatenate([codes + j * n_codes for j in range(m)])
    if m * n_codes <= _DENSE_MAX_COLUMNS:
        onehot = np.zeros((n, m * n_codes))
        onehot[np.tile(rows, m), cols] = data
        out = w @ onehot  # (B, m * n_codes)
        return out.reshape(w.shape[0], m, n_codes).transpose(1, 0, 2)
    onehot = sp.csr_matrix((data, (cols, np.tile(rows, m))), shape=(m * n_codes, n))
    out = np.asarray(onehot @ np.ascontiguousarray(w.T))  # (m * n_codes, B)
    return out.reshape(m, n_codes, w.shape[0]).transpose(0, 2, 1)


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den == 0`` (no warnings)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    ok = den > 0
    return np.where(ok, num / np.where(ok, den, 1.0), np.nan)
