"""Label quality of a dataset: out-of-fold probabilities and confident-learning label issues.

Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty
in Dataset Labels", JAIR 2021) finds rows whose given label is likely wrong by comparing the
labels with *out-of-sample* predicted probabilities: a model that saw a row would simply have
memorised its (possibly wrong) label. :func:`cross_fitted_proba` produces such probabilities
by K-fold cross-fitting; :func:`label_issue_mask` flags likely label errors with cleanlab's
implementation of confident learning; :func:`self_confidence` is the per-row label quality
score ``proba[i, y_i]``.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import warnings

import numpy as np
from sklearn.model_selection import StratifiedKFold

from trustbench.errors import TrustbenchError
from trustbench.metrics.data_models import boosted_trees

__all__ = ["cross_fitted_proba", "label_issue_mask", "self_confidence"]

#: Tolerance on ``|sum_k proba[i, k] - 1|``.
ROW_SUM_TOL = 1e-6


def _check_int(name: str, value, low: int) -> int:
    """``value`` as an int ``>= low`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise TrustbenchError(f"{name}: expected an integer >= {low}, got {value!r}")
    return int(value)


def _check_labels(y, n: int | None, n_classes: int, name: str) -> np.ndarray:
    """``y`` as int64 class indices in ``0..n_classes-1`` (of length ``n`` when given)."""
    raw = np.asarray(y)
    if raw.ndim != 1 or (n is not None and raw.shape[0] != n):
        want = f"({n},)" if n is not None else "(n,)"
        raise TrustbenchError(f"{name}: y must have shape {want}, got {raw.shape}")
    if raw.dtype.kind not in "biuf":
        raise TrustbenchError(f"{name}: y must hold integer class indices, got dtype {raw.dtype}")
    if raw.dtype.kind == "f" and not np.all(np.isfinite(raw)):
        raise TrustbenchError(f"{name}: y must hold integer class indices, got NaN or inf")
    labels = raw.astype(np.int64)
    if np.any(labels != raw) or np.any(labels < 0) or np.any(labels >= n_classes):
        bad = raw[(labels != raw) | (labels < 0) | (labels >= n_classes)][0]
        raise TrustbenchError(
            f"{name}: y must hold class indices in 0..{n_classes - 1}, got {bad.item()!r}"
        )
    return labels


def _check_proba(y, proba, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(y, proba)``: shapes, probabilities in [0, 1] summing to 1, label range."""
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2 or p.shape[0] < 1:
        raise TrustbenchError(
            f"{name}: proba must have shape (n, K) with n >= 1 and K >= 2, got {p.shape}"
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise TrustbenchError(f"{name}: proba must be finite and lie in [0, 1]")
    err = np.abs(p.sum(axis=1) - 1.0)
    if np.max(err) > ROW_SUM_TOL:
        row = int(np.argmax(err))
        raise TrustbenchError(
            f"{name}: proba rows must sum to 1 (tolerance {ROW_SUM_TOL:g}), "
            f"got row {row} summing to {p[row].sum()!r}"
        )
    return _check_labels(y, p.shape[0], p.shape[1], name), p


def _scatter_proba(model, X: np.ndarray, n_classes: int) -> np.ndarray:
    """``model.predict_proba(X)`` in columns ``0..n_classes-1``; classes it never saw get 0."""
    out = np.zeros((X.shape[0], n_classes))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(X)
    return out


def cross_fitted_proba(
    X: np.ndarray, y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Out-of-fold class probabilities from stratified K-fold cross-fitting.

    The rows are split by ``StratifiedKFold(folds, shuffle=True, random_state=seed)``; for
    each fold gradient-boosted trees (:func:`~trustbench.metrics.data_models.boosted_trees`) are fitted on the other folds and predicts the
    held-out fold, so ``proba[i]`` always comes from a model that never saw row ``i``. NaN in
    ``X`` is handled natively by the gradient boosting (no imputation).

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        Float features; NaN marks a missing value (inf is refused).
    y : numpy.ndarray of shape (n,)
        Integer class indices in ``0..n_classes-1``.
    n_classes : int
        Number of classes ``K >= 2``: the columns of the result, in class order.
    folds : int, default 5
        Number of folds (``>= 2``). When the rarest class has fewer rows than ``folds``,
        ``min(folds, rarest class count)`` folds are used instead (still at least 2), so that
        every class is in every training fold.
    seed : int, default 0
        Seed of the fold assignment and of the models.

    Returns
    -------
    numpy.ndarray of shape (n, n_classes)
        Out-of-fold probabilities in ``[0, 1]``, rows summing to 1; column ``k`` is class
        ``k``. A class missing from a fold's training rows gets probability 0 in that fold's
        predictions (which the fold reduction above prevents for the classes of ``y``).

    Raises
    ------
    TrustbenchError
        (a ``ValueError``) on bad shapes, non-numeric or infinite ``X``, labels outside
        ``0..n_classes-1``, or a class with fewer than 2 rows (naming the class and its
        count): such a class cannot be both trained on and held out.
    """
    name = "cross_fitted_proba"
    n_classes = _check_int(f"{name}: n_classes", n_classes, 2)
    folds = _check_int(f"{name}: folds", folds, 2)
    seed = _check_int(f"{name}: seed", seed, 0)
    try:
        x = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TrustbenchError(f"{name}: X must be a numeric matrix ({exc})") from None
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise TrustbenchError(f"{name}: X must have shape (n, d) with n, d >= 1, got {x.shape}")
    if np.isinf(x).any():
        raise TrustbenchError(f"{name}: X must be finite or NaN, got inf")
    labels = _check_labels(y, x.shape[0], n_classes, name)
    counts = np.bincount(labels, minlength=n_classes)
    rare = np.flatnonzero(counts < 2)
    if rare.size:
        k = int(rare[0])
        raise TrustbenchError(
            f"{name}: class {k} has {int(counts[k])} row(s) in y; cross-fitting needs at least "
            f"2 rows of every class 0..{n_classes - 1}"
        )
    splitter = StratifiedKFold(int(min(folds, counts.min())), shuffle=True, random_state=seed)
    out = np.zeros((x.shape[0], n_classes))
    for train, test in splitter.split(x, labels):
        model = boosted_trees(seed).fit(x[train], labels[train])
        out[test] = _scatter_proba(model, x[test], n_classes)
    return out


def label_issue_mask(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Rows whose given label is likely wrong, by confident learning.

    Confident learning (Northcutt et al. 2021): with per-class thresholds ``t_j`` = the mean
    of ``proba[i, j]`` over the rows labelled ``j``, a row labelled ``i`` is counted in cell
    ``C[i, j]`` of the *confident joint* for the class ``j`` of highest probability among
    those with ``proba[row, j] >= t_j``; ``C`` is then calibrated so that its rows sum to the
    label counts. ``prune_by_noise_rate`` flags, for every off-diagonal cell ``(i, j)``, the
    ``C[i, j]`` rows labelled ``i`` with the largest margin ``proba[row, j] - proba[row, i]``
    (keeping at least one row per class), and finally unflags rows whose prediction agrees
    with the given label. Computed by ``cleanlab.filter.find_label_issues(labels=y,
    pred_probs=proba, filter_by="prune_by_noise_rate", n_jobs=1)``; cleanlab's printing and
    warnings are silenced.

    Parameters
    ----------
    y : numpy.ndarray of shape (n,)
        Given labels, integer class indices in ``0..K-1``; every class must occur.
    proba : numpy.ndarray of shape (n, K)
        Out-of-sample class probabilities (e.g. :func:`cross_fitted_proba`), in ``[0, 1]``,
        rows summing to 1 within ``1e-6``.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        ``True`` for a likely label error. Its mean (the flagged fraction, in ``[0, 1]``) is
        better lower: 0 means no row is suspected.

    Raises
    ------
    TrustbenchError
        (a ``ValueError``) on bad shapes or probabilities, labels outside ``0..K-1``, or a
        class that never occurs in ``y`` (one line naming it).
    """
    labels, p = _check_proba(y, proba, "label_issue_mask")
    counts = np.bincount(labels, minlength=p.shape[1])
    absent = np.flatnonzero(counts == 0)
    if absent.size:
        raise TrustbenchError(
            f"label_issue_mask: class {int(absent[0])} never occurs in y; every class "
            f"0..{p.shape[1] - 1} of proba needs at least one labelled row"
        )
    import cleanlab.filter  # here, not at module level: importing cleanlab is slow

    sink = io.StringIO()
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        warnings.simplefilter("ignore")
        mask = cleanlab.filter.find_label_issues(
            labels=labels, pred_probs=p, filter_by="prune_by_noise_rate", n_jobs=1
        )
    return np.asarray(mask, dtype=bool)


def self_confidence(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per-row label quality: the probability the model gives to the given label.

    ``s_i = proba[i, y_i]``: cleanlab's ``"self_confidence"`` label quality score
    (``cleanlab.rank.get_label_quality_scores(y, proba, method="self_confidence")``, which
    the tests compare against).

    Parameters
    ----------
    y : numpy.ndarray of shape (n,)
        Given labels, integer class indices in ``0..K-1``.
    proba : numpy.ndarray of shape (n, K)
        Out-of-sample class probabilities in ``[0, 1]``, rows summing to 1 within ``1e-6``.

    Returns
    -------
    numpy.ndarray of shape (n,)
        In ``[0, 1]``, higher is better: a low score marks a row whose label the model
        doubts.
    """
    labels, p = _check_proba(y, proba, "self_confidence")
    return p[np.arange(p.shape[0]), labels]
