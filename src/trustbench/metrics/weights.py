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

import numpy as np
import scipy.sparse as sp

from trustbench.errors import TrustbenchError

__all__ = ["bootstrap_counts", "percentile_interval", "stacked"]


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
    # Draw row indices and count them per replicate with a single bincount over offset indices;
    # this is an exact multinomial draw and avoids a loop over replicates.
    idx = rng.integers(0, n, size=(n_boot, n))
    idx += (np.arange(n_boot, dtype=idx.dtype) * n)[:, None]
    counts = np.bincount(idx.ravel(), minlength=n_boot * n)
    return counts.reshape(n_boot, n)


def stacked(counts: np.ndarray) -> np.ndarray:
    """``[ones; counts]``: row 0 evaluates the point value, rows 1.. the bootstrap replicates."""
    return np.vstack([np.ones((1, counts.shape[1])), counts])


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
    w = np.asarray(weights, dtype=np.float64)
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
    if not np.all(np.isfinite(w)) or np.any(w < 0):
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
