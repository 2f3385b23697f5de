"""Logistic recalibration: calibration slope and calibration intercept, batched over replicates.

The logistic recalibration model (Cox 1958; the "weak calibration" level of Van Calster et al.
2016, Steyerberg, *Clinical Prediction Models*, 2019) regresses the outcome on the logit of the
predicted probability ``p`` of the positive class, ``o = logit(p)``:

* **calibration slope** ``b``: ``logit P(y = 1) = a + b * o``, both fitted (the slope of the
  logistic regression of ``y`` on ``o``). 1 is ideal; ``b < 1``: predictions too extreme
  (typical of overfitting), ``b > 1``: too moderate.
* **calibration intercept** ``a``, calibration-in-the-large: ``logit P(y = 1) = a + o``, the
  slope fixed at 1 (``o`` an offset). 0 is ideal; ``a < 0``: risks overestimated on average,
  ``a > 0``: underestimated.

Both are weighted maximum-likelihood fits (``weights`` as frequency weights: a bootstrap
replicate's counts), solved by Newton-Raphson (IRLS) for every replicate at once: each step is
a few ``(B, n)`` array operations and a closed-form 2 x 2 solve per row, with step halving
where the log-likelihood would fall, so no Python loop runs over replicates. A replicate whose
fit does not converge (the outcome separated by ``o``: the slope is infinite) or holds a single
class is NaN.
"""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.clinical import _binary_labels
from trustbench.metrics.weights import _finish, _weight_matrix, replicated

__all__ = ["LOGIT_EPS", "calibration_intercept", "calibration_slope", "logit"]

#: Probabilities are clipped to ``[LOGIT_EPS, 1 - LOGIT_EPS]`` before the logit (as log loss
#: clips), so a predicted 0 or 1 has a finite logit (about +-34.5).
LOGIT_EPS = 1e-15
_MAX_ITER = 60  # Newton steps (a converging fit takes about 5 to 10)
_TOL = 1e-10  # parameter change at which a fit has converged
_HALVINGS = 30  # step halvings in a row before a step counts as no ascent


def logit(p) -> np.ndarray:
    """``log(p / (1 - p))`` of ``p`` clipped to ``[LOGIT_EPS, 1 - LOGIT_EPS]``."""
    q = np.clip(np.asarray(p, dtype=np.float64), LOGIT_EPS, 1.0 - LOGIT_EPS)
    return np.log(q) - np.log1p(-q)


def _pick(a: np.ndarray, rows: np.ndarray, every: bool) -> np.ndarray:
    """``a[rows]``, without a copy when ``rows`` is every row."""
    return a if every else a[rows]


def _fit(y: np.ndarray, o: np.ndarray, w: np.ndarray, free_slope: bool) -> np.ndarray:
    """``(B, 2)`` maximum-likelihood ``(a, b)`` of ``logit P(y=1) = a + b * o`` per row of ``w``
    (``b`` fixed at 1 unless ``free_slope``); NaN rows where the fit is undefined.

    Each pass evaluates the rows still active at their current parameters once: a row whose
    log-likelihood fell below its last accepted value goes back half its last step (step
    halving); the others take a Newton step, and have converged when that step is below
    ``_TOL`` (relative). One ``exp`` and one ``log1p`` per entry and pass; every sum is a
    single ``einsum`` pass (``w * o`` and ``w * o**2`` formed once), so a pass makes no copy
    of ``w``.
    """
    n_rows = w.shape[0]
    theta = np.zeros((n_rows, 2))
    theta[:, 1] = 1.0  # start from perfect calibration
    if n_rows > 2:
        # Replicates scatter around the fit to their mean weights: starting there takes about
        # half the Newton passes (each a few passes over the (B, n) weights) to the same optimum.
        start = _fit(y, o, w.mean(axis=0, keepdims=True), free_slope)[0]
        if np.all(np.isfinite(start)):
            theta[:] = start
    w1 = w @ y
    defined = (w1 > 0) & (w1 < w.sum(axis=1))  # both classes present
    wo = w * o[None, :] if free_slope else None
    woo = wo * o[None, :] if free_slope else None
    accepted, best = theta.copy(), np.full(n_rows, -np.inf)
    last = np.zeros((n_rows, 2))
    halvings = np.zeros(n_rows, dtype=int)
    active, converged = defined.copy(), np.zeros(n_rows, dtype=bool)
    for _ in range(_MAX_ITER + _HALVINGS):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        every = rows.size == n_rows
        wr, th = _pick(w, rows, every), theta[rows]
        eta = th[:, 1:] * o[None, :]
        eta += th[:, :1]
        e = np.abs(eta)
        np.negative(e, out=e)
        np.exp(e, out=e)
        # log-likelihood sum_i w_i (y_i eta_i - softplus(eta_i)), from the one exp
        # (summed row by row, never as a difference of two large totals: with separated
        # classes eta grows without bound and the log-likelihood must still read as ascent)
        terms = eta * y[None, :]
        terms -= np.maximum(eta, 0.0)
        terms -= np.log1p(e)
        ll = np.einsum("bi,bi->b", wr, terms)
        worse = ll < best[rows] - 1e-12 * np.abs(best[rows])
        back = rows[worse]
        halvings[back] += 1
        theta[back] = accepted[back] + 0.5 ** halvings[back, None] * last[back]
        stuck = back[halvings[back] > _HALVINGS]  # no ascent left: the optimum, to rounding
        theta[stuck], converged[stuck], active[stuck] = accepted[stuck], True, False
        go = ~worse
        keep = bool(go.all())
        rows, th = rows[go], th[go]
        if not keep:
            eta, e, wr = eta[go], e[go], wr[go]
        accepted[rows], best[rows], halvings[rows] = th, ll[go], 0
        mu = np.where(eta >= 0, 1.0, e)
        e += 1.0
        mu /= e
        var = mu * (1.0 - mu)
        resid = np.subtract(y[None, :], mu, out=mu)  # y - mu, elementwise (no cancellation)
        g_a = np.einsum("bi,bi->b", wr, resid)
        h_aa = np.einsum("bi,bi->b", wr, var)
        step = np.zeros((rows.size, 2))
        if free_slope:
            wo_r = _pick(wo, rows, every and keep)
            g_b = np.einsum("bi,bi->b", wo_r, resid)
            h_ab = np.einsum("bi,bi->b", wo_r, var)
            h_bb = np.einsum("bi,bi->b", _pick(woo, rows, every and keep), var)
            det = h_aa * h_bb - h_ab * h_ab
            ok = det > 1e-300
            safe = np.where(ok, det, 1.0)
            step[:, 0] = np.where(ok, (h_bb * g_a - h_ab * g_b) / safe, np.nan)
            step[:, 1] = np.where(ok, (h_aa * g_b - h_ab * g_a) / safe, np.nan)
        else:
            step[:, 0] = np.where(h_aa > 0, g_a / np.where(h_aa > 0, h_aa, 1.0), np.nan)
        size = np.abs(step).max(axis=1)
        theta[rows], last[rows] = th + np.nan_to_num(step), np.nan_to_num(step)
        small = size < _TOL * (1.0 + np.abs(th).max(axis=1))
        converged[rows[small]] = True
        active[rows[small | ~np.isfinite(size)]] = False
    theta[~(converged & defined)] = np.nan
    return theta


def _recalibration(y_true, proba, weights, name: str, free_slope: bool):
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise TrustbenchError(
            f"{name}: proba must have shape (n, 2) (a binary task), got {p.shape}"
        )
    y = _binary_labels(y_true, name).astype(np.float64)
    if y.shape[0] != p.shape[0]:
        raise TrustbenchError(f"{name}: y_true has {y.shape[0]} rows, proba {p.shape[0]}")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise TrustbenchError(f"{name}: proba must be finite and lie in [0, 1]")
    w, squeeze = _weight_matrix(weights, y.shape[0], name)
    return _fit(y, logit(p[:, 1]), w, free_slope), squeeze


@replicated()
def calibration_slope(y_true, proba, weights=None):
    """Calibration slope: ``b`` of the logistic recalibration ``logit P(y=1) = a + b logit(p_1)``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    proba : array-like of shape (n, 2)
        Class probabilities; ``p_1 = proba[:, 1]``.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts (frequency weights of the fit).

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        Any real; 1 is ideal. NaN where the fit is undefined (one class; separation).

    Notes
    -----
    Tested against statsmodels ``GLM(y, [1, logit(p_1)], family=Binomial(),
    freq_weights=w).fit()`` (the second coefficient) to 1e-6.
    """
    theta, squeeze = _recalibration(y_true, proba, weights, "calibration_slope", True)
    return _finish(theta[:, 1], squeeze)


@replicated()
def calibration_intercept(y_true, proba, weights=None):
    """Calibration intercept (calibration-in-the-large): ``a`` of ``logit P(y=1) = a + logit(p_1)``.

    The slope is fixed at 1 (``logit(p_1)`` an offset), so ``a`` measures only whether the
    predicted risks are too high (``a < 0``) or too low (``a > 0``) on average.

    Parameters
    ----------
    y_true, proba, weights
        As :func:`calibration_slope`.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        Any real; 0 is ideal. NaN where the fit is undefined (one class).

    Notes
    -----
    Tested against statsmodels ``GLM(y, ones, family=Binomial(), offset=logit(p_1),
    freq_weights=w).fit()`` to 1e-6.
    """
    theta, squeeze = _recalibration(y_true, proba, weights, "calibration_intercept", False)
    return _finish(theta[:, 0], squeeze)
