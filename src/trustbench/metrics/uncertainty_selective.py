"""Selective prediction: answer only when confident enough, vectorised over bootstrap replicates.

A selective classifier answers the rows whose confidence ``kappa`` (here the top-label
probability) is at least a threshold ``tau`` and defers the others (to a clinician). Sweeping
``tau`` traces the risk–coverage curve (El-Yaniv & Wiener 2010): coverage ``phi(tau)`` is the
answered fraction, risk ``r(tau)`` the error rate among the answered rows.

Ties: rows of equal confidence are answered or deferred together (a threshold cannot separate
them), so the curve has one point per distinct confidence, as a ROC curve has one point per
distinct score. This also makes every metric on bootstrap counts equal to the metric on the
resampled rows (copies of a row are ties).

Inputs: ``confidence`` and ``error`` (1 where the prediction is wrong) of shape ``(n,)``;
``weights`` ``None``, ``(n,)`` or ``(B, n)`` (:mod:`trustbench.metrics.weights`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import (
    _finish,
    _group_sums,
    _safe_divide,
    _weight_matrix,
    replicated,
)

__all__ = [
    "aurc",
    "excess_aurc",
    "oracle_aurc",
    "risk_coverage_curve",
    "selected_fraction",
    "selective_group_rates",
    "selective_rates",
]


def _check(confidence, error, name: str) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(confidence, dtype=np.float64).reshape(-1)
    e = np.asarray(error, dtype=np.float64).reshape(-1)
    if c.shape != e.shape:
        raise TrustbenchError(
            f"{name}: confidence and error must have the same shape (n,), got {c.shape} and {e.shape}"
        )
    if not np.all(np.isfinite(c)):
        raise TrustbenchError(f"{name}: confidence must be finite")
    if not np.all((e == 0) | (e == 1)):
        raise TrustbenchError(f"{name}: error must hold only 0 and 1")
    return c, e


def _blocks(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows in decreasing confidence and the index of the last row of each tie block."""
    order = np.argsort(-c, kind="stable")
    s = c[order]
    ends = np.flatnonzero(np.concatenate([s[1:] != s[:-1], [True]])) if len(s) else np.zeros(0, int)
    return order, ends


def _block_sums(order, ends, w, values=None) -> np.ndarray:
    """Cumulative weight (times ``values``) at the end of each tie block, ``(B, U)``."""
    x = w[:, order] if values is None else w[:, order] * values[order]
    return np.cumsum(x, axis=1)[:, ends]


def risk_coverage_curve(confidence, error, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(coverage, risk)`` of the risk–coverage curve, one per distinct confidence.

    ``coverage_u = P(kappa >= kappa_u)`` and ``risk_u = P(error | kappa >= kappa_u)`` for the
    distinct confidences in decreasing order; the last point is (1, overall error rate).
    Unweighted or with a weight vector only (for plots).
    """
    c, e = _check(confidence, error, "risk_coverage_curve")
    w, _ = _weight_matrix(weights, c.shape[0], "risk_coverage_curve")
    if w.shape[0] != 1:
        raise TrustbenchError("risk_coverage_curve: weights must have shape (n,)")
    order, ends = _blocks(c)
    mass = _block_sums(order, ends, w)[0]
    errors = _block_sums(order, ends, w, e)[0]
    return mass / mass[-1], _safe_divide(errors, mass)


@replicated()
def aurc(confidence, error, weights=None):
    """Area under the risk–coverage curve (AURC; Geifman et al. 2019).

    ``AURC = sum_i (w_i / W) r(kappa_i)``: each row's weight times the selective risk at the
    threshold that first answers it (its own confidence, ties answered together). Without ties
    and with unit weights this is Geifman et al.'s ``(1/n) sum_{k=1..n} (errors among the k
    most confident) / k``.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, lower is better; NaN for zero total weight. A confidence that carries no
        information (all rows tied) gives the error rate.
    """
    c, e = _check(confidence, error, "aurc")
    w, squeeze = _weight_matrix(weights, c.shape[0], "aurc")
    if c.shape[0] == 0:
        return _finish(np.full(w.shape[0], np.nan), squeeze)
    order, ends = _blocks(c)
    mass = _block_sums(order, ends, w)
    risk = _safe_divide(_block_sums(order, ends, w, e), mass)
    block_mass = np.diff(mass, axis=1, prepend=0.0)
    total = mass[:, -1]
    value = _safe_divide(np.nansum(block_mass * np.nan_to_num(risk), axis=1), total)
    return _finish(value, squeeze)


@replicated()
def oracle_aurc(error, weights=None):
    """AURC of the oracle that answers every correct row before any error, one row at a time.

    With correct mass ``C`` and error mass ``M`` (``W = C + M``), the oracle's risk after its
    ``j``-th error is ``j / (C + j)``, so ``AURC* = (1 / W) sum_{j=1..M} j / (C + j)
    = (M - C (psi(C + M + 1) - psi(C + 1))) / W`` (``psi`` the digamma function, which extends
    the sum to real weights). It is the smallest AURC any ordering of these rows attains;
    Geifman et al.'s ``r + (1 - r) log(1 - r)`` is its limit for large ``n``.
    """
    e = np.asarray(error, dtype=np.float64).reshape(-1)
    _check(np.zeros_like(e), e, "oracle_aurc")
    w, squeeze = _weight_matrix(weights, e.shape[0], "oracle_aurc")
    wrong = w @ e
    right = w.sum(axis=1) - wrong
    with np.errstate(invalid="ignore"):
        area = wrong - right * (digamma(right + wrong + 1.0) - digamma(right + 1.0))
    return _finish(_safe_divide(area, right + wrong), squeeze)


@replicated()
def excess_aurc(confidence, error, weights=None):
    """Excess AURC (E-AURC; Geifman et al. 2019): ``AURC - AURC*``, :func:`aurc` minus
    :func:`oracle_aurc` on the same rows and weights.

    In ``[0, 1]``, lower is better; 0 for a confidence that ranks every correct row above every
    error without ties among them. It removes the part of AURC that the error rate alone
    explains, so models of different accuracy compare on their ranking.
    """
    c, e = _check(confidence, error, "excess_aurc")
    value = np.asarray(aurc(c, e, weights)) - np.asarray(oracle_aurc(e, weights))
    return float(value) if np.ndim(value) == 0 else value


@replicated()
def selected_fraction(confidence, coverage: float, weights=None) -> np.ndarray:
    """How much of each row a selective classifier at ``coverage`` answers, per replicate.

    The threshold is the highest confidence whose answered weight reaches ``coverage * W``; rows
    above it are answered (1), rows below deferred (0), and the tie block at the threshold is
    answered in the proportion that makes the coverage exact (the expected outcome of breaking
    the tie at random). Returns ``(B, n)`` (``(n,)`` for ``weights`` None or a vector).
    """
    c = np.asarray(confidence, dtype=np.float64).reshape(-1)
    if not 0.0 < float(coverage) <= 1.0:
        raise TrustbenchError(f"selected_fraction: coverage must lie in (0, 1], got {coverage!r}")
    w, squeeze = _weight_matrix(weights, c.shape[0], "selected_fraction")
    order, ends = _blocks(c)
    mass = _block_sums(order, ends, w)
    target = float(coverage) * mass[:, -1:]
    boundary = np.minimum(np.sum(mass < target - 1e-12, axis=1), len(ends) - 1)
    before = np.where(
        boundary > 0, np.take_along_axis(mass, np.maximum(boundary - 1, 0)[:, None], 1)[:, 0], 0.0
    )
    inside = np.take_along_axis(mass, boundary[:, None], axis=1)[:, 0] - before
    share = _safe_divide(target[:, 0] - before, inside)
    # block index of every row, in the original row order
    block = np.empty(c.shape[0], dtype=np.int64)
    block[order] = np.searchsorted(ends, np.arange(c.shape[0]))
    out = np.where(
        block[None] < boundary[:, None],
        1.0,
        np.where(block[None] == boundary[:, None], np.nan_to_num(share)[:, None], 0.0),
    )
    return out[0] if squeeze else out


@replicated()
def selective_rates(y_true, y_pred, confidence, coverage: float, weights=None, rows=None):
    """Accuracy, sensitivity and answered share of a selective classifier at ``coverage``.

    The threshold is chosen on all rows (:func:`selected_fraction`); ``rows`` (a boolean mask)
    then restricts the rates to a group, so a group's values are those it gets from the one
    threshold every patient gets (every group at once: :func:`selective_group_rates`).

    Returns
    -------
    dict
        ``accuracy``: correct answered weight / answered weight; ``sensitivity`` (binary
        targets, class 1 positive): answered positives predicted positive / answered positives;
        ``retained``: answered weight / weight (the group's own coverage). Each in ``[0, 1]``,
        NaN where undefined; floats or ``(B,)`` arrays.
    """
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    w, squeeze = _weight_matrix(weights, y_true.shape[0], "selective_rates")
    answered = w * np.atleast_2d(selected_fraction(confidence, coverage, w))
    keep = np.ones(y_true.shape[0], bool) if rows is None else np.asarray(rows, bool)
    a, w = answered[:, keep], w[:, keep]
    t, p = y_true[keep], y_pred[keep]
    positive = (t == 1).astype(float)
    return {
        "accuracy": _finish(_safe_divide(a @ (t == p).astype(float), a.sum(axis=1)), squeeze),
        "sensitivity": _finish(_safe_divide(a @ (positive * (p == 1)), a @ positive), squeeze),
        "retained": _finish(_safe_divide(a.sum(axis=1), w.sum(axis=1)), squeeze),
    }


@replicated(fixed=("groups",))
def selective_group_rates(y_true, y_pred, confidence, coverage: float, groups, weights=None):
    """:func:`selective_rates` within each group, from the one threshold chosen on all rows.

    Returns
    -------
    dict
        ``groups``: the distinct labels (``numpy.unique`` order); ``accuracy``,
        ``sensitivity`` and ``retained``: ``(B, G)`` arrays (``(G,)`` for ``weights`` None or
        a vector), each group's values as :func:`selective_rates` with ``rows`` that group.
    """
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    labels, codes = np.unique(np.asarray(groups), return_inverse=True)
    codes = codes.ravel()
    w, squeeze = _weight_matrix(weights, y_true.shape[0], "selective_group_rates")
    answered = w * np.atleast_2d(selected_fraction(confidence, coverage, w))
    positive = (y_true == 1).astype(float)
    correct, found = (y_true == y_pred).astype(float), positive * (y_pred == 1)
    g = len(labels)
    a_mass, a_correct, a_positive, a_found = _group_sums(
        answered, codes, g, np.ones_like(positive), correct, positive, found
    )
    mass = _group_sums(w, codes, g)[0]
    out = {
        "groups": labels,
        "accuracy": _safe_divide(a_correct, a_mass),
        "sensitivity": _safe_divide(a_found, a_positive),
        "retained": _safe_divide(a_mass, mass),
    }
    if squeeze:
        out.update({k: v[0] for k, v in out.items() if k != "groups"})
    return out
