"""Confidence intervals, each method named: what a reported interval is, and why it covers.

Every metric's registry entry names its interval method (:attr:`MetricSpec.interval`), and
every reported interval carries that name (``MetricResult.ci_method`` in
``trust_report.json``). The methods:

``percentile``
    Efron's percentile bootstrap over patients: the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles of the replicates. Right for smooth, nearly unbiased
    statistics (AUC, log loss, Brier score, a paired drop).
``bc``
    Bias-corrected percentile bootstrap (Efron 1981): with
    ``z0 = Phi^-1(P*(theta* < theta_hat) + P*(theta* = theta_hat) / 2)`` the quantiles
    ``Phi(2 z0 +- z_{(1+level)/2})`` of the replicates. For statistics the plug-in estimate
    biases (a max-minus-min gap over groups, a binned calibration error): the replicates sit
    beyond the estimate as far as the estimate sits beyond the truth, and ``z0`` moves the
    interval back.
``recentred``
    The percentile interval of the replicates shifted by their mean bias,
    ``theta* - (mean(theta*) - theta_hat)``: the replicates recentred on the estimate. For the
    binned calibration errors, whose resamples add a bias of their own (each bin's
    ``|acc - conf|`` grows with the resampling noise) that the bias-corrected interval
    over-corrects: in the coverage simulation (``docs/intervals.md``) it covers at the nominal
    level where the percentile and ``bc`` intervals fall short.
``jeffreys``
    The Jeffreys interval of a binomial proportion ``k / n`` (Brown, Cai & DasGupta 2001): the
    ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of ``Beta(k + 1/2, n - k + 1/2)``,
    with the lower end 0 when ``k = 0`` and the upper end 1 when ``k = n``. Used for every
    rate with a known denominator (a group's TPR, sensitivity, PPV): it never collapses to a
    width of 0 with zero or all events, where a bootstrap interval does (0/70 gives
    ``[0, 0.035]``, not ``[0, 0]``), and its coverage stays near the nominal level for small
    ``n``, where Clopper-Pearson's is far above it.
``hull``
    For a rate whose threshold is re-chosen in every bootstrap replicate (the clinical
    operating point, a conformal quantile): the smallest interval holding both the Jeffreys
    interval of the rate's events at the point threshold and the percentile bootstrap interval
    of the replicates. The first carries the binomial noise of few events (a bootstrap of 2 of
    2 positives found is ``[1, 1]``), the second the noise of the threshold.
``box``
    For a gap between groups when some group's rate has zero or all events (its bootstrap
    replicates are then all equal, and so collapse the gap's interval): the range of the gap
    over the box of the groups' Jeffreys intervals, each at level ``1 - (1 - level) / m`` for
    ``m`` rates (Bonferroni), so the interval covers at least ``level``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import beta

from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import percentile_interval

__all__ = [
    "INTERVAL_METHODS",
    "bc_interval",
    "box_gap_interval",
    "interval_of",
    "jeffreys_interval",
    "percentile_interval",
    "recentred_interval",
]

#: Every interval method a metric can name, with the words the docs and reports use.
INTERVAL_METHODS = {
    "percentile": "percentile bootstrap over patients",
    "bc": "bias-corrected percentile bootstrap over patients (Efron 1981)",
    "recentred": "percentile bootstrap over patients, replicates recentred on the estimate",
    "jeffreys": "Jeffreys binomial interval of k events in n (Brown, Cai & DasGupta 2001)",
    "hull": "hull of the Jeffreys interval at the point threshold and the percentile bootstrap "
    "over replicates that re-choose the threshold",
    "box": "range of the gap over the groups' Bonferroni-adjusted Jeffreys intervals",
}


def _check_level(level: float, name: str) -> float:
    if not 0.0 < float(level) < 1.0:
        raise TrustbenchError(f"{name}: level must lie in (0, 1), got {level!r}")
    return float(level)


def jeffreys_interval(k, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys interval of the binomial proportion ``k / n``, elementwise.

    Parameters
    ----------
    k, n : array-like
        Events and trials (``0 <= k <= n``); non-integer values are rounded (weights of the
        point estimate are row counts).
    level : float, default 0.95

    Returns
    -------
    tuple of numpy.ndarray
        ``(low, high)`` with the shape of the broadcast inputs; NaN where ``n == 0``. Equal
        to statsmodels ``proportion_confint(k, n, alpha=1 - level, method="jeffreys")``.
    """
    level = _check_level(level, "jeffreys_interval")
    k = np.rint(np.asarray(k, dtype=np.float64))
    n = np.rint(np.asarray(n, dtype=np.float64))
    k, n = np.broadcast_arrays(k, n)
    if np.any(k < 0) or np.any(k > n):
        raise TrustbenchError("jeffreys_interval: expected 0 <= k <= n for every proportion")
    alpha = 1.0 - level
    ok = n > 0
    a = np.where(ok, k + 0.5, 1.0)
    b = np.where(ok, n - k + 0.5, 1.0)
    low = np.where(k > 0, beta.ppf(alpha / 2.0, a, b), 0.0)
    high = np.where(k < n, beta.ppf(1.0 - alpha / 2.0, a, b), 1.0)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def bc_interval(point: float, replicates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Bias-corrected percentile bootstrap interval.

    ``z0 = Phi^-1(p)``, ``p`` the share of finite replicates below ``point`` plus half the
    share equal to it; the interval is the ``Phi(2 z0 - z)`` and ``Phi(2 z0 + z)`` quantiles
    of the replicates, ``z = Phi^-1((1 + level) / 2)``. With ``z0 = 0`` (the replicates
    centred on the estimate) it is the percentile interval. ``(nan, nan)`` when ``point`` is
    undefined or fewer than half of the replicates are finite (as :func:`percentile_interval`).
    """
    level = _check_level(level, "bc_interval")
    r = np.asarray(replicates, dtype=np.float64).ravel()
    finite = r[np.isfinite(r)]
    if not np.isfinite(point) or r.size == 0 or 2 * finite.size < r.size:
        return (float("nan"), float("nan"))
    share = (np.sum(finite < point) + 0.5 * np.sum(finite == point)) / finite.size
    # A share of 0 or 1 (every replicate on one side) would move the interval to the last
    # replicate; bound it by half a replicate so that z0 stays finite.
    share = min(max(share, 0.5 / finite.size), 1.0 - 0.5 / finite.size)
    z0 = float(ndtri(share))
    z = float(ndtri((1.0 + level) / 2.0))
    quantiles = 100.0 * ndtr(np.array([2.0 * z0 - z, 2.0 * z0 + z]))
    lo, hi = np.percentile(finite, quantiles)
    return (float(lo), float(hi))


def recentred_interval(
    point: float, replicates: np.ndarray, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of the replicates recentred on ``point``: ``theta* - bias`` with
    ``bias = mean(theta*) - point`` over the finite replicates; ``(nan, nan)`` as
    :func:`percentile_interval` (or when ``point`` is undefined)."""
    r = np.asarray(replicates, dtype=np.float64).ravel()
    low, high = percentile_interval(r, level)
    if not np.isfinite(point) or not np.isfinite(low):
        return (float("nan"), float("nan"))
    bias = float(np.nanmean(np.where(np.isfinite(r), r, np.nan))) - float(point)
    return (low - bias, high - bias)


def box_gap_interval(
    reduction: str, lows: list[np.ndarray], highs: list[np.ndarray], agg: str = "worst_case"
) -> tuple[float, float]:
    """Range of a between-group gap over the box of per-group intervals.

    Parameters
    ----------
    reduction : {"difference", "ratio", "group_min"}
        ``max_g - min_g``, ``min_g / max_g`` or ``min_g`` (as the fairness gap table).
    lows, highs : list of numpy.ndarray of shape (G,)
        One pair per rate the gap reduces (one for demographic parity, two for equalized
        odds): the groups' interval ends, NaN for a group whose rate is undefined (left out).
    agg : {"worst_case", "mean"}
        How two rates' gaps combine (the larger difference / smaller ratio, or their mean).

    Returns
    -------
    tuple of float
        The smallest and the largest value the gap takes when every group's rate ranges over
        its interval; ``(nan, nan)`` with fewer than two defined groups.
    """
    parts = []
    for lo, hi in zip(lows, highs, strict=True):
        keep = np.isfinite(lo) & np.isfinite(hi)
        lo, hi = np.asarray(lo)[keep], np.asarray(hi)[keep]
        if lo.size < 2 and reduction != "group_min":
            return (float("nan"), float("nan"))
        if lo.size == 0:
            return (float("nan"), float("nan"))
        if reduction == "difference":
            parts.append((max(0.0, lo.max() - hi.min()), hi.max() - lo.min()))
        elif reduction == "ratio":
            low = lo.min() / hi.max() if hi.max() > 0 else 0.0
            high = min(1.0, hi.min() / lo.max()) if lo.max() > 0 else 1.0
            parts.append((low, high))
        elif reduction == "group_min":
            parts.append((lo.min(), hi.min()))
        else:
            raise TrustbenchError(
                f"box_gap_interval: reduction must be 'difference', 'ratio' or 'group_min', "
                f"got {reduction!r}"
            )
    ends = np.array(parts, dtype=np.float64)
    if len(parts) == 1:
        return (float(ends[0, 0]), float(ends[0, 1]))
    if agg == "mean":
        return (float(ends[:, 0].mean()), float(ends[:, 1].mean()))
    pick = np.max if reduction == "difference" else np.min
    return (float(pick(ends[:, 0])), float(pick(ends[:, 1])))


def interval_of(
    method: str,
    point: float,
    replicates: np.ndarray,
    level: float,
    denominator: float | None = None,
) -> tuple[float, float, str]:
    """The ``level`` interval of one metric by its named ``method`` (:data:`INTERVAL_METHODS`).

    Returns ``(low, high, method used)``. ``jeffreys`` and ``hull`` need ``denominator`` (the
    ``n`` of ``point = k / n``); without one (a weighted or re-thresholded rate, whose point value is no
    count of events) the percentile bootstrap is used, and the returned method says so. The
    bootstrap methods read ``replicates``; ``box`` is computed from per-group intervals by its
    caller (:func:`box_gap_interval`).
    """
    if method in ("jeffreys", "hull") and denominator is None:
        method = "percentile"
    if method == "percentile":
        low, high = percentile_interval(replicates, level)
    elif method == "bc":
        low, high = bc_interval(point, replicates, level)
    elif method == "recentred":
        low, high = recentred_interval(point, replicates, level)
    elif method in ("jeffreys", "hull"):
        if not np.isfinite(point) or denominator <= 0:
            low, high = float("nan"), float("nan")
        else:
            lo, hi = jeffreys_interval(point * denominator, denominator, level)
            low, high = float(lo), float(hi)
        if method == "hull" and np.isfinite(low):
            b_low, b_high = percentile_interval(replicates, level)
            if np.isfinite(b_low):
                low, high = min(low, b_low), max(high, b_high)
    else:
        raise TrustbenchError(
            f"interval_of: method must be one of {sorted(INTERVAL_METHODS)} (but 'box'), "
            f"got {method!r}"
        )
    return low, high, method
