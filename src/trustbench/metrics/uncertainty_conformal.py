"""Split conformal prediction sets (LAC and APS scores), vectorised over bootstrap replicates.

A conformal predictor is calibrated on rows the model never trained on: each calibration row
gets a non-conformity score ``s_i`` (:func:`conformity_scores`), the threshold ``q`` is the
``k``-th smallest score with ``k = ceil((n + 1)(1 - alpha))`` (:func:`conformal_quantile`), and the
prediction set of a new row holds the labels whose score would not exceed ``q``
(:func:`set_membership`). On exchangeable data the set then holds the true label with
probability at least ``1 - alpha`` and, for continuous scores without ties, at most
``1 - alpha + 1 / (n + 1)`` (Vovk et al. 2005; Angelopoulos & Bates 2023, Theorem D.1).

The conventions are MAPIE 1.x's (``mapie.classification.SplitConformalClassifier`` with
``prefit=True``), so that the numbers agree with it to floating-point precision:

* ``alpha = 1 - level`` taken through ``Decimal`` (``0.9`` gives ``alpha = 0.1`` exactly as
  typed), ``k = ceil((n + 1) * (1 - alpha))`` in floating point, ``q`` the ``k``-th smallest
  score (MAPIE: ``np.quantile(s, k / n, method="lower")``);
* LAC (Sadinle et al. 2019): ``s = 1 - p_y``; label ``j`` is in the set when
  ``(1 - p_j) - q <= 1e-8``;
* APS (Romano et al. 2020): labels sorted by decreasing probability
  (``np.flip(np.argsort(p))``, MAPIE's tie order), ``C_j`` the cumulative probability up to and
  including ``j``; the calibration score is ``C_y - u * p_y`` with ``u ~ U(0, 1)`` drawn once per
  calibration row (MAPIE always randomises the calibration score; ``u = 0`` gives the plain,
  deterministic score); the set holds every label up to and including the first whose
  ``C_j >= q - 1e-8`` ("include the last label", MAPIE's default ``include_last_label=True``),
  taken as every label with ``p_j >= p_last - 1e-8``. These sets are deterministic and never
  empty; their coverage is at least ``1 - alpha`` and can exceed it.

Where MAPIE refuses (``k > n``: too few calibration rows for the level), the threshold here is
``+inf`` and every set is the full label set: the only set with the guarantee.

Weights: calibration and evaluation rows each take ``None``, a ``(n,)`` weight vector or a
``(B, n)`` matrix of bootstrap counts (:mod:`trustbench.metrics.weights`). For integer counts
the threshold of a replicate is the ``k``-th smallest score of the resampled multiset with
``k = ceil((W + 1)(1 - alpha))``, ``W`` the replicate's total count, so the bootstrap recomputes
the calibration, not only the evaluation.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import _finish, _safe_divide, _weight_matrix, replicated

__all__ = [
    "EPSILON",
    "METHODS",
    "conformal_quantile",
    "conformity_scores",
    "coverage_and_size",
    "group_means",
    "min_calibration_size",
    "mondrian_thresholds",
    "set_membership",
    "split_conformal",
]

#: Tolerance of MAPIE's set comparisons (``mapie._machine_precision.EPSILON``).
EPSILON = 1e-8
#: Non-conformity scores: ``lac`` (least ambiguous sets) and ``aps`` (adaptive sets).
METHODS = ("lac", "aps")


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise TrustbenchError(f"conformal method must be one of {list(METHODS)}; got {method!r}")
    return method


def _alpha(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise TrustbenchError(f"conformal level must lie in (0, 1), got {level!r}")
    return float(Decimal("1") - Decimal(str(level)))


def _check_proba(proba, name: str) -> np.ndarray:
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise TrustbenchError(f"{name}: proba must have shape (n, n_classes >= 2), got {p.shape}")
    return p


def _sorted_cumsum(p: np.ndarray) -> np.ndarray:
    """``C[i, j]``: cumulative probability of row ``i`` down to and including label ``j``, labels
    sorted by decreasing probability with MAPIE's tie order, returned at the original positions."""
    order = np.flip(np.argsort(p, axis=1), axis=1)
    cumsum = np.cumsum(np.take_along_axis(p, order, axis=1), axis=1)
    return np.take_along_axis(cumsum, np.argsort(order, axis=1), axis=1)


def conformity_scores(proba, y, method: str = "lac", u=None) -> np.ndarray:
    """Non-conformity score of each row's true label (higher = stranger).

    Parameters
    ----------
    proba : array-like of shape (n, K)
        Predicted class probabilities of the calibration rows.
    y : array-like of shape (n,)
        True class indices.
    method : {"lac", "aps"}
        ``lac``: ``1 - p_y``, in ``[0, 1]``. ``aps``: ``C_y - u * p_y`` (see the module
        docstring), in ``[0, 1]``.
    u : array-like of shape (n,), optional
        APS only: the uniform draws of the randomised score; None is ``u = 0`` (deterministic).

    Returns
    -------
    numpy.ndarray of shape (n,)

    Notes
    -----
    Equal to MAPIE 1.x's ``LACConformityScore`` / ``APSConformityScore``
    ``get_conformity_scores`` (for APS with ``u = RandomState(seed).uniform(size=n)`` when MAPIE
    is given ``random_state=seed``).
    """
    p = _check_proba(proba, "conformity_scores")
    y = np.asarray(y, dtype=np.int64)
    if y.shape != (p.shape[0],):
        raise TrustbenchError(
            f"conformity_scores: y must have shape ({p.shape[0]},), got {y.shape}"
        )
    p_true = np.take_along_axis(p, y[:, None], axis=1)[:, 0]
    if _check_method(method) == "lac":
        return 1.0 - p_true
    scores = np.take_along_axis(_sorted_cumsum(p), y[:, None], axis=1)[:, 0]
    if u is not None:
        u = np.asarray(u, dtype=np.float64).reshape(-1)
        if u.shape != p_true.shape:
            raise TrustbenchError(
                f"conformity_scores: u must have shape {p_true.shape}, got {u.shape}"
            )
        scores = scores - u * p_true
    return scores


@replicated()
def conformal_quantile(scores, level: float = 0.9, weights=None):
    """The split-conformal threshold: the ``k``-th smallest score, ``k = ceil((W + 1)(1 - alpha))``.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Calibration scores (:func:`conformity_scores`).
    level : float
        Target coverage ``1 - alpha`` in ``(0, 1)``.
    weights : None, array-like of shape (n,) or (B, n)
        Row weights or bootstrap counts; ``W`` is each replicate's total weight (``n`` for None).

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        The threshold; ``+inf`` where ``k > W`` (too few calibration rows for the level: the
        full label set is the only one with the guarantee) or ``W = 0``.

    Notes
    -----
    Unweighted, equal to MAPIE 1.x's ``_compute_classification_quantile``
    (``np.quantile(s, ceil((n + 1)(1 - alpha)) / n, method="lower")``) wherever that is defined.
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    w, squeeze = _weight_matrix(weights, s.shape[0], "conformal_quantile")
    alpha = _alpha(level)
    total = w.sum(axis=1)
    k = np.ceil((total + 1.0) * (1.0 - alpha))
    if s.shape[0] == 0:
        return _finish(np.full(w.shape[0], np.inf), squeeze)
    order = np.argsort(s, kind="stable")
    cum = np.cumsum(w[:, order], axis=1)
    # The first sorted score whose cumulative weight reaches k (k <= W guarantees one exists).
    index = np.minimum(np.sum(cum < k[:, None] - 1e-9, axis=1), s.shape[0] - 1)
    q = s[order][index]
    return _finish(np.where((k <= total + 1e-9) & (total > 0), q, np.inf), squeeze)


def min_calibration_size(level: float) -> int:
    """The fewest calibration rows whose threshold is finite at ``level``: the smallest ``n``
    with ``ceil((n + 1)(1 - alpha)) <= n`` (9 at 0.9, 19 at 0.95), computed as
    :func:`conformal_quantile` computes ``k``."""
    alpha = _alpha(level)
    n = max(1, int(np.floor((1.0 - alpha) / alpha)) - 1)
    while np.ceil((n + 1.0) * (1.0 - alpha)) > n:
        n += 1
    return n


@replicated()
def mondrian_thresholds(scores, cal_groups, groups, level: float = 0.9, weights=None):
    """Group-conditional (Mondrian) thresholds: each group calibrated on its own rows.

    Parameters
    ----------
    scores : array-like of shape (n_cal,)
        Calibration scores.
    cal_groups : array-like of shape (n_cal,)
        The group of each calibration row.
    groups : array-like of shape (n,)
        The group of each evaluated row.
    level : float
    weights : None, array-like of shape (n_cal,) or (B, n_cal)
        Calibration weights or bootstrap counts.

    Returns
    -------
    numpy.ndarray of shape (n,) or (B, n)
        Row ``i``'s threshold is :func:`conformal_quantile` of its group's calibration rows;
        ``+inf`` (the full set) for a group with too few (or no) calibration rows.

    Notes
    -----
    Per group, equal to a MAPIE ``SplitConformalClassifier`` conformalized on that group's
    calibration rows alone (Vovk et al. 2003's Mondrian conformal predictor; coverage
    ``>= 1 - alpha`` within every group).
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    cal_groups = np.asarray(cal_groups, dtype=object)
    groups = np.asarray(groups, dtype=object)
    w, squeeze = _weight_matrix(weights, s.shape[0], "mondrian_thresholds")
    out = np.full((w.shape[0], groups.shape[0]), np.inf)
    for label in np.unique(groups):
        rows = groups == label
        mine = cal_groups == label
        out[:, rows] = np.asarray(conformal_quantile(s[mine], level, w[:, mine]))[:, None]
    return out[0] if squeeze else out


def _thresholds(p: np.ndarray, threshold) -> tuple[np.ndarray, bool]:
    t = np.asarray(threshold, dtype=np.float64)
    scalar = t.ndim == 0
    if t.ndim <= 1:
        t = t.reshape(-1, 1)
    return np.broadcast_to(t, (t.shape[0], p.shape[0])), scalar


def _aps_last(p: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """APS: the probability of the last label in each set and where no label reaches ``t``.

    The last label is the one with the smallest cumulative probability ``C_j >= t - 1e-8``
    (the first such label in column order among equal ``C_j``, as ``np.argmin`` picks); one
    pass per label over ``(B, n)`` arrays, so a handful of labels costs a handful of passes.
    """
    cumsum = _sorted_cumsum(p)
    best = np.full(t.shape, np.inf)
    p_last = np.broadcast_to(p[:, 0], t.shape).copy()  # np.argmin of all-inf: label 0
    with np.errstate(invalid="ignore"):
        for j in range(p.shape[1]):
            gap = cumsum[:, j] - t
            better = (gap >= -EPSILON) & (gap < best)
            best = np.where(better, gap, best)
            p_last = np.where(better, p[:, j], p_last)
    # A last label with (about) zero probability would pull in every zero-probability label:
    # MAPIE takes the row's smallest probability above the tolerance instead.
    floor = np.min(np.where(p >= EPSILON, p, np.inf), axis=1)
    p_last = np.where(p_last <= EPSILON, floor, p_last)
    return p_last, np.isinf(best)


def _member(p: np.ndarray, j, t: np.ndarray, method: str, last=None) -> np.ndarray:
    """Whether label ``j`` (an index, or one label per row) is in each set, ``(B, n)``."""
    pj = p[:, j] if np.ndim(j) == 0 else np.take_along_axis(p, j[:, None], axis=1)[:, 0]
    if method == "lac":
        return ((1.0 - pj) - t) <= EPSILON
    p_last, none = last
    return ((pj - p_last) >= -EPSILON) | none


def set_membership(proba, threshold, method: str = "lac") -> np.ndarray:
    """Prediction sets as booleans: label ``j`` of row ``i`` is in the set at threshold ``q``.

    Parameters
    ----------
    proba : array-like of shape (n, K)
    threshold : float, array-like of shape (B,) or (B, n)
        One threshold per replicate (and per row, for Mondrian thresholds).
    method : {"lac", "aps"}

    Returns
    -------
    numpy.ndarray of bool, shape (n, K) for a scalar threshold, else (B, n, K)
        Equal to MAPIE 1.x's ``predict_set`` sets (``include_last_label=True`` for APS); a
        threshold of ``+inf`` gives the full label set.
    """
    p = _check_proba(proba, "set_membership")
    t, scalar = _thresholds(p, threshold)
    last = _aps_last(p, t) if _check_method(method) == "aps" else None
    inside = np.stack([_member(p, j, t, method, last) for j in range(p.shape[1])], axis=2)
    return inside[0] if scalar else inside


def coverage_and_size(proba, y, threshold, method: str = "lac") -> tuple[np.ndarray, np.ndarray]:
    """Whether each row's set holds its label, and the set's size, per replicate.

    Parameters
    ----------
    proba : array-like of shape (n, K)
    y : array-like of shape (n,)
    threshold : array-like of shape (B,) or (B, n)
    method : {"lac", "aps"}

    Returns
    -------
    (covered, size) : numpy.ndarray of shape (B, n) each
        ``covered`` in ``{0, 1}``, ``size`` in ``0 .. K`` (LAC sets can be empty): the sets of
        :func:`set_membership`, computed label by label on ``(B, n)`` arrays.
    """
    p = _check_proba(proba, "coverage_and_size")
    y = np.asarray(y, dtype=np.int64)
    t, _ = _thresholds(p, threshold)
    last = _aps_last(p, t) if _check_method(method) == "aps" else None
    size = np.zeros(t.shape)
    for j in range(p.shape[1]):
        size += _member(p, j, t, method, last)
    covered = _member(p, y, t, method, last).astype(np.float64)
    return covered, size


@replicated(rows={"values": 2})
def group_means(values: np.ndarray, weights: np.ndarray, rows: np.ndarray | None = None):
    """Weighted mean of per-replicate row values: ``sum_i w_bi v_bi / sum_i w_bi`` (NaN where a
    replicate gives the rows no weight); ``rows`` (a boolean mask) restricts to a group."""
    if rows is not None:
        values, weights = values[:, rows], weights[:, rows]
    return _safe_divide(np.einsum("bi,bi->b", weights, values), weights.sum(axis=1))


@replicated(rows={"calibration_weights": 2})
def split_conformal(
    cal_proba,
    cal_y,
    proba,
    y,
    level: float = 0.9,
    method: str = "lac",
    *,
    u=None,
    calibration_weights=None,
    weights=None,
) -> dict[str, float | np.ndarray]:
    """Marginal coverage and mean set size of a split-conformal predictor.

    ``coverage = sum_i w_i [y_i in C(x_i)] / sum_i w_i`` and
    ``set_size = sum_i w_i |C(x_i)| / sum_i w_i`` over the evaluated rows, the sets calibrated
    on ``(cal_proba, cal_y)`` (module docstring). Coverage lies in ``[0, 1]`` (target: ``level``);
    set size in ``[0, K]``, lower is better at equal coverage.

    Parameters
    ----------
    cal_proba, cal_y : calibration probabilities ``(n_cal, K)`` and labels
    proba, y : evaluated probabilities ``(n, K)`` and labels
    level : float
    method : {"lac", "aps"}
    u : array-like of shape (n_cal,), optional
        APS calibration draws (None: ``u = 0``).
    calibration_weights, weights : None, (n_cal,) / (n,) or (B, n_cal) / (B, n)
        Weights or bootstrap counts of each part; two matrices must have the same ``B``.

    Returns
    -------
    dict
        ``coverage``, ``set_size`` (floats, or ``(B,)`` arrays) and ``threshold``.

    Notes
    -----
    Tested against MAPIE 1.6's ``SplitConformalClassifier(prefit=True)``
    (``classification_coverage_score``, ``classification_mean_width_score``).
    """
    p = _check_proba(proba, "split_conformal")
    scores = conformity_scores(cal_proba, cal_y, method, u)
    q = conformal_quantile(scores, level, calibration_weights)
    w, squeeze = _weight_matrix(weights, p.shape[0], "split_conformal")
    q_rows = np.atleast_1d(q)
    if q_rows.shape[0] != w.shape[0]:
        if q_rows.shape[0] == 1:
            q_rows = np.repeat(q_rows, w.shape[0])
        elif w.shape[0] == 1:
            w = np.repeat(w, q_rows.shape[0], axis=0)
            squeeze = False
        else:
            raise TrustbenchError(
                f"split_conformal: calibration and evaluation weights must have the same number "
                f"of replicates, got {q_rows.shape[0]} and {w.shape[0]}"
            )
    squeeze = squeeze and np.ndim(q) == 0
    # the means the suites report too (built on this module, hence imported here)
    from trustbench.metrics.uncertainty_set_means import set_means

    means = set_means(p, y, q_rows, method, w)
    return {
        "coverage": _finish(means["coverage"], squeeze),
        "set_size": _finish(means["set_size"], squeeze),
        "threshold": _finish(q_rows, squeeze),
    }
