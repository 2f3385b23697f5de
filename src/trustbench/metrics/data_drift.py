"""Per-feature shift between a reference split (train) and another split, and a domain classifier.

Continuous features are compared by the two-sample Kolmogorov–Smirnov statistic
(:func:`ks_statistic`, with its asymptotic p-value :func:`ks_pvalue`) and the population
stability index (:func:`psi`); categorical features by the Jensen–Shannon divergence of their
category frequencies (:func:`js_divergence`) and the PSI over categories.
:func:`feature_drift` tabulates all of them per feature. :func:`domain_scores` trains a
classifier to tell the two splits apart (cross-fitted): an AUC near 0.5 means the rows are
exchangeable, near 1 that the splits differ in some (possibly joint) way no marginal shows.

Missing values are never silently dropped from a comparison of shares: they form a category
(JS, categorical PSI) or a bin (continuous PSI) of their own, and their shares are reported
by :func:`feature_drift`. Only the KS statistic, a statement about the distribution of the
observed values, ignores them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from trustbench.errors import TrustbenchError
from trustbench.metrics.data_bins import (
    _category_codes,
    _check_n_bins,
    _is_categorical,
    _numeric_1d,
    _quantile_bin_codes,
)

__all__ = [
    "feature_drift",
    "js_divergence",
    "ks_pvalue",
    "ks_statistic",
    "psi",
]


# --------------------------------------------------------------------------------------------
# Kolmogorov–Smirnov


def ks_statistic(reference: np.ndarray, other: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic ``D = sup_x |F_ref(x) - F_other(x)|``.

    ``F`` are the empirical CDFs of the non-missing values (NaNs are dropped from each side).
    The supremum is attained at an observed value, so ``D`` is the largest gap over the pooled
    sample, ``F(x) = #{values <= x} / n`` found by sorting each side once and one
    ``np.searchsorted`` per side: ``O((n + m) log(n + m))``.

    Parameters
    ----------
    reference, other : array-like of shape (n,) and (m,)
        Numeric values (integers allowed, ties allowed); NaN marks a missing value.

    Returns
    -------
    float
        In ``[0, 1]``; 0 when the empirical distributions coincide, 1 when the two samples do
        not overlap. Lower means less drift. NaN when either side has no non-missing value.

    Notes
    -----
    Equals ``scipy.stats.ks_2samp(a, b).statistic`` on the NaN-free samples (tested to 1e-12
    with ties and integer data). scipy is not called: its exact p-value is slow on large
    samples; see :func:`ks_pvalue` for the (asymptotic) p-value.
    """
    a = _numeric_1d(reference, "reference", "ks_statistic")
    b = _numeric_1d(other, "other", "ks_statistic")
    a = np.sort(a[~np.isnan(a)])
    b = np.sort(b[~np.isnan(b)])
    if a.size == 0 or b.size == 0:
        return float("nan")
    pooled = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, pooled, side="right") / a.size
    cdf_b = np.searchsorted(b, pooled, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_pvalue(statistic: float, n: int, m: int) -> float:
    """Asymptotic two-sided p-value of the two-sample KS statistic.

    ``p = P(D_N >= statistic)`` under the one-sample Kolmogorov distribution ``D_N``
    (``scipy.stats.kstwo``) with the effective size ``N = round(n m / (n + m))`` (at least 1),
    the approximation ``scipy.stats.ks_2samp(..., method="asymp")`` uses for the two-sided test.
    For large ``N`` it tends to the limiting Kolmogorov law,
    ``scipy.special.kolmogorov(sqrt(n m / (n + m)) * statistic)``. The exact null distribution
    of the two-sample statistic is discrete; this approximation is accurate for ``n, m`` in the
    hundreds and above, the sizes a data audit deals with.

    Parameters
    ----------
    statistic : float
        The KS statistic ``D`` in ``[0, 1]`` (:func:`ks_statistic`), NaN allowed.
    n, m : int
        Numbers of non-missing values on each side.

    Returns
    -------
    float
        In ``[0, 1]``; small values are evidence that the two distributions differ. NaN when
        ``statistic`` is NaN or either size is 0.
    """
    from scipy.stats import kstwo

    d = float(statistic)
    for name, size in (("n", n), ("m", m)):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise TrustbenchError(f"ks_pvalue: {name} must be an integer >= 0, got {size!r}")
    if math.isnan(d) or n == 0 or m == 0:
        return float("nan")
    if not 0.0 <= d <= 1.0:
        raise TrustbenchError(f"ks_pvalue: statistic must lie in [0, 1], got {statistic!r}")
    en = float(n) * float(m) / (float(n) + float(m))
    return float(np.clip(kstwo.sf(d, max(1, round(en))), 0.0, 1.0))


# --------------------------------------------------------------------------------------------
# Jensen–Shannon and PSI


def _shares(codes: np.ndarray, n_codes: int) -> np.ndarray:
    return np.bincount(codes, minlength=n_codes) / max(codes.size, 1)


def js_divergence(reference: np.ndarray, other: np.ndarray) -> float:
    """Jensen–Shannon divergence (base 2) between the category frequencies of two samples.

    With ``p`` and ``q`` the category shares of ``reference`` and ``other`` over the union of
    their categories, and ``M = (p + q) / 2``:
    ``JS = KL(p || M) / 2 + KL(q || M) / 2``, ``KL(p || M) = sum_k p_k log2(p_k / M_k)``.
    Missing values (``None``, NaN, ``pd.NA``) are one category of their own.

    Parameters
    ----------
    reference, other : array-like of shape (n,) and (m,)
        Category labels (object/string arrays; any hashable values).

    Returns
    -------
    float
        In ``[0, 1]``; 0 for identical frequencies, 1 for disjoint categories. Lower means less
        drift. NaN when either side is empty.

    Notes
    -----
    Equals ``scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2`` on the aligned
    frequency vectors (the scipy function returns the JS *distance*, the square root).
    """
    (ca, cb), n_codes = _category_codes(
        reference, other, where="js_divergence", names=("reference", "other")
    )
    if ca.size == 0 or cb.size == 0:
        return float("nan")
    p, q = _shares(ca, n_codes), _shares(cb, n_codes)
    mid = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / mid), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log2(q / mid), 0.0).sum()
    return float(np.clip(0.5 * (kl_p + kl_q), 0.0, 1.0))


def psi(reference: np.ndarray, other: np.ndarray, n_bins: int = 10, eps: float = 1e-4) -> float:
    """Population stability index of ``other`` against ``reference``.

    ``PSI = sum_i (a_i - e_i) ln(a_i / e_i)``, ``e_i`` the share of ``reference`` (expected)
    and ``a_i`` the share of ``other`` (actual) in bin ``i``: the symmetrised KL divergence
    ``KL(a || e) + KL(e || a)`` of the binned distributions.

    Bins. Numeric arrays: the edges are the reference's quantiles,
    ``np.quantile(ref, linspace(0, 1, n_bins + 1))`` over its non-missing values, unique edges
    kept; the interior edges cut the line into left-closed intervals, and values outside the
    reference's range fall in the end bins. An edge value repeated among the quantiles (a tie
    holding at least about ``1/n_bins`` of the reference, e.g. a level of a binary or the zero
    of a zero-inflated column) is a bin of its own, so such columns are not collapsed into one
    bin. Missing values (NaN) are one extra bin. Object, string, boolean or categorical
    arrays: one bin per category of either side, missing values one more. Bins empty on both
    sides are dropped (they carry no information).

    Floor. Each share is floored at ``eps`` and each side renormalised to sum 1
    (``s_i = max(s_i, eps) / sum_j max(s_j, eps)``), so a bin empty on one side adds a large
    but finite term instead of an infinite one.

    Parameters
    ----------
    reference, other : array-like of shape (n,) and (m,)
        Numeric values (NaN = missing) or categories (object dtype).
    n_bins : int, default 10
        Number of quantile bins of the reference (numeric arrays only; fewer when edges tie).
    eps : float, default 1e-4
        Floor of a bin's share, in ``(0, 1)``.

    Returns
    -------
    float
        In ``[0, inf)``; lower means less drift, 0 for identical binned shares. By convention
        below 0.1 is stable, 0.1–0.25 a moderate shift, above 0.25 a major shift. NaN when
        either side is empty.
    """
    n_bins = _check_n_bins(n_bins, "psi")
    if not 0.0 < float(eps) < 1.0:
        raise TrustbenchError(f"psi: eps must lie in (0, 1), got {eps!r}")
    if _is_categorical(reference) or _is_categorical(other):
        (ca, cb), n_codes = _category_codes(
            reference, other, where="psi", names=("reference", "other")
        )
    else:
        a = _numeric_1d(reference, "reference", "psi", allow_inf=False)
        b = _numeric_1d(other, "other", "psi", allow_inf=False)
        ca, cb, n_codes = _quantile_bin_codes(a[~np.isnan(a)], n_bins, a, b)
    if ca.size == 0 or cb.size == 0:
        return float("nan")
    e, act = _shares(ca, n_codes), _shares(cb, n_codes)
    used = (e > 0) | (act > 0)
    e = np.maximum(e[used], eps)
    act = np.maximum(act[used], eps)
    e /= e.sum()
    act /= act.sum()
    return float(np.sum((act - e) * np.log(act / e)))


# --------------------------------------------------------------------------------------------
# per-feature table


def _missing_share(s: pd.Series) -> float:
    return float(s.isna().mean()) if len(s) else float("nan")


def feature_drift(
    reference: pd.DataFrame,
    other: pd.DataFrame,
    continuous: list[str],
    categorical: list[str],
) -> pd.DataFrame:
    """Drift of every feature between ``reference`` (train) and ``other``.

    Parameters
    ----------
    reference, other : pandas.DataFrame
        The two splits; both must hold every named column.
    continuous : list of str
        Numeric columns: KS statistic and p-value, quantile-bin PSI.
    categorical : list of str
        Categorical columns (any values; integer codes are treated as categories): JS
        divergence and per-category PSI.

    Returns
    -------
    pandas.DataFrame
        One row per feature, the continuous ones then the categorical ones, each in the order
        given, with columns ``feature``, ``kind`` (``"continuous"`` / ``"categorical"``),
        ``ks`` (:func:`ks_statistic`, NaN for categorical), ``ks_pvalue`` (:func:`ks_pvalue`,
        NaN for categorical), ``js`` (:func:`js_divergence`, NaN for continuous), ``psi``
        (:func:`psi`, default bins), ``missing_reference`` and ``missing_other`` (share of
        missing values in each split, in ``[0, 1]``).
    """
    for name, frame in (("reference", reference), ("other", other)):
        if not isinstance(frame, pd.DataFrame):
            raise TrustbenchError(
                f"feature_drift: {name} must be a pandas DataFrame, got {type(frame).__name__}"
            )
    names = [*continuous, *categorical]
    seen: set[str] = set()
    for col in names:
        if col in seen:
            raise TrustbenchError(
                f"feature_drift: column {col!r} is listed more than once in continuous "
                "+ categorical"
            )
        seen.add(col)
        for name, frame in (("reference", reference), ("other", other)):
            if col not in frame.columns:
                raise TrustbenchError(
                    f"feature_drift: column {col!r} is missing from {name}; "
                    f"it has {list(frame.columns)}"
                )
    rows = []
    for col in continuous:
        ref_s, oth_s = reference[col], other[col]
        try:
            a = pd.to_numeric(ref_s).to_numpy(dtype=np.float64, na_value=np.nan)
            b = pd.to_numeric(oth_s).to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise TrustbenchError(
                f"feature_drift: continuous column {col!r} must be numeric, got dtypes "
                f"{ref_s.dtype} (reference) and {oth_s.dtype} (other)"
            ) from exc
        d = ks_statistic(a, b)
        n, m = int((~np.isnan(a)).sum()), int((~np.isnan(b)).sum())
        rows.append(
            {
                "feature": col,
                "kind": "continuous",
                "ks": d,
                "ks_pvalue": ks_pvalue(d, n, m),
                "js": float("nan"),
                "psi": psi(a, b),
                "missing_reference": _missing_share(ref_s),
                "missing_other": _missing_share(oth_s),
            }
        )
    for col in categorical:
        ref_s, oth_s = reference[col], other[col]
        a = ref_s.to_numpy(dtype=object)
        b = oth_s.to_numpy(dtype=object)
        rows.append(
            {
                "feature": col,
                "kind": "categorical",
                "ks": float("nan"),
                "ks_pvalue": float("nan"),
                "js": js_divergence(a, b),
                "psi": psi(a, b),
                "missing_reference": _missing_share(ref_s),
                "missing_other": _missing_share(oth_s),
            }
        )
    columns = ["feature", "kind", "ks", "ks_pvalue", "js", "psi"]
    columns += ["missing_reference", "missing_other"]
    return pd.DataFrame(rows, columns=columns)
