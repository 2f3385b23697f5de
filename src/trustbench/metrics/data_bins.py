"""Binning shared by the drift and shortcut measures: numeric and categorical columns to bin
codes, quantile bins fitted on a reference sample (a heavily tied value gets a bin of its own),
missing values as their own code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.errors import TrustbenchError


def _numeric_1d(values, name: str, where: str, *, allow_inf: bool = True) -> np.ndarray:
    """``values`` as a 1-D float64 array (NaN = missing), or a clear error."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        try:  # an object array holding pd.NA (a pandas nullable column's to_numpy())
            x = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()))
            x = x.to_numpy(dtype=np.float64, na_value=np.nan).reshape(np.shape(values))
        except (TypeError, ValueError) as exc:
            raise TrustbenchError(
                f"{where}: {name} must be numeric, got dtype {np.asarray(values).dtype}"
            ) from exc
    if x.ndim != 1:
        raise TrustbenchError(f"{where}: {name} must be 1-D, got shape {x.shape}")
    if not allow_inf and np.isinf(x).any():
        raise TrustbenchError(f"{where}: {name} holds +/-inf; only NaN may mark a missing value")
    return x


def _is_categorical(values) -> bool:
    """True for object, string, boolean and pandas categorical arrays."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        return True
    return np.asarray(values).dtype.kind in "OUSb"


def _category_codes(*arrays, where: str, names: tuple[str, ...]) -> tuple[list[np.ndarray], int]:
    """Shared integer codes for the categories of several 1-D arrays.

    Codes ``0 .. U-1`` number the distinct non-missing values of all arrays together (in order
    of first appearance); missing values (``None``, NaN, ``pd.NA``, ``NaT``) get code ``U``, one
    category of their own, distinct from every real value (even the string ``"missing"``).
    Returns the code arrays and ``U + 1``, the number of codes.
    """
    raw = [np.asarray(a, dtype=object) for a in arrays]
    for name, a in zip(names, raw, strict=True):
        if a.ndim != 1:
            raise TrustbenchError(f"{where}: {name} must be 1-D, got shape {a.shape}")
    series = [pd.Series(a, dtype=object) for a in raw]
    joined = pd.concat(series, ignore_index=True)
    codes, uniques = pd.factorize(joined, use_na_sentinel=True)
    n_real = len(uniques)
    codes = np.where(codes < 0, n_real, codes)
    out, start = [], 0
    for s in series:
        out.append(codes[start : start + len(s)])
        start += len(s)
    return out, n_real + 1


def _quantile_cuts(train: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut points from the quantiles of the (non-missing) ``train`` values.

    The edges are ``np.quantile(train, linspace(0, 1, n_bins + 1))`` (linear interpolation).
    The cuts are the distinct interior edges, plus every edge value that occurs more than once
    among the edges (a *heavy* value: a tie holding at least about ``1/n_bins`` of the rows),
    even when it is the minimum or the maximum. Returns ``(cuts, heavy)``, sorted, with
    ``heavy[j]`` True when ``cuts[j]`` is such a repeated edge. Empty when ``train`` is.
    """
    if train.size == 0:
        return np.empty(0), np.empty(0, dtype=bool)
    edges = np.quantile(train, np.linspace(0.0, 1.0, n_bins + 1))
    uniq, counts = np.unique(edges, return_counts=True)
    heavy = counts >= 2
    interior = np.zeros(uniq.shape[0], dtype=bool)
    interior[1:-1] = True
    keep = heavy | interior
    return uniq[keep], heavy[keep]


def _bin_codes(
    x: np.ndarray, cuts: np.ndarray, heavy: np.ndarray, lo: float, hi: float
) -> tuple[np.ndarray, int]:
    """Bin codes of ``x`` for the cuts of :func:`_quantile_cuts`; returns ``(codes, n_codes)``.

    ``x`` is first clipped to ``[lo, hi]`` (the range of the values the cuts came from), so
    values outside fall in the end bins. With ``k`` cuts, code ``2i`` is the interval between
    ``cuts[i-1]`` and ``cuts[i]`` (left-closed: ``[cuts[i-1], cuts[i])``, the outer two
    unbounded), code ``2j + 1`` the single value ``cuts[j]`` when it is heavy (so a tied value,
    e.g. either level of a binary column or the zeros of a zero-inflated one, is a bin of its
    own), and code ``2k + 1`` the missing values (NaN). ``n_codes = 2k + 2``; codes that are
    never used are simply empty bins.
    """
    k = cuts.shape[0]
    missing = np.isnan(x)
    if k == 0:  # no observed values, or a single bin
        return np.where(missing, 1, 0).astype(np.intp), 2
    xc = np.clip(x, lo, hi)
    right = np.searchsorted(cuts, xc, side="right")
    left = np.searchsorted(cuts, xc, side="left")
    on_heavy = (right > left) & heavy[np.minimum(left, k - 1)]
    codes = np.where(on_heavy, 2 * left + 1, 2 * right)
    codes = np.where(missing, 2 * k + 1, codes)
    return codes.astype(np.intp), 2 * k + 2


def _quantile_bin_codes(
    observed: np.ndarray, n_bins: int, *arrays: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Bin codes of each of ``arrays`` for the quantile bins of ``observed`` (finite values).

    Returns the code arrays followed by the number of codes (the last code is "missing").
    """
    cuts, heavy = _quantile_cuts(observed, n_bins)
    lo, hi = (observed.min(), observed.max()) if observed.size else (np.nan, np.nan)
    out = [_bin_codes(x, cuts, heavy, lo, hi)[0] for x in arrays]
    return (*out, 2 * cuts.shape[0] + 2)


def _check_n_bins(n_bins: int, where: str) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise TrustbenchError(f"{where}: n_bins must be an integer >= 1, got {n_bins!r}")
    return int(n_bins)
