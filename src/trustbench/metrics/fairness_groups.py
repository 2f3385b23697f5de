"""Per-group discrimination and the clinical operating point, vectorised over replicates.

:func:`group_roc_auc` is the ROC AUC within each group (a column of the fairness suite's
per-group table). :func:`threshold_at_sensitivity` picks the decision threshold a clinician
would: the one that keeps overall sensitivity at a target, re-chosen in every bootstrap
replicate; :func:`predict_at_threshold` turns scores into the predictions at that threshold,
which the group-fairness metrics of :mod:`trustbench.metrics.fairness` accept directly (a
``(B, n)`` prediction matrix for ``B`` replicate thresholds), and so do the clinical rates of
:mod:`trustbench.metrics.clinical` (its :func:`specificity`, re-exported here, is the overall
specificity reported beside the gaps at that operating point).
"""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics._ranking import _binary_auc
from trustbench.metrics.clinical import _binary_labels, specificity
from trustbench.metrics.weights import _finish, _weight_matrix, replicated

__all__ = [
    "SENSITIVITY_TOL",
    "group_roc_auc",
    "predict_at_threshold",
    "specificity",
    "threshold_at_sensitivity",
]

#: Sensitivity counts as reaching the target when it is at least ``target - SENSITIVITY_TOL``
#: (so that e.g. 9 of 10 positives reach 0.9 despite floating-point rounding of 0.9 * 10).
SENSITIVITY_TOL = 1e-12


def _scores(y_score, n: int, name: str) -> np.ndarray:
    s = np.asarray(y_score, dtype=np.float64)
    if s.shape != (n,):
        raise TrustbenchError(f"{name}: y_score must have shape ({n},), got {s.shape}")
    if not np.all(np.isfinite(s)):
        raise TrustbenchError(f"{name}: y_score must be finite")
    return s


@replicated(fixed=(0,))
def group_roc_auc(y_true, y_score, groups, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC of the positive-class score within each group.

    ``AUC_g = sum_{i in g, y_i=1} sum_{j in g, y_j=0} w_i w_j ([s_i > s_j] + [s_i = s_j]/2)
    / (W_{g,1} W_{g,0})``, the weighted Mann–Whitney statistic on the group's rows.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    y_score : array-like of shape (n,)
        Score of the positive class (``proba[:, 1]``).
    groups : array-like of shape (n,)
        Group label of each row.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    labels : numpy.ndarray of shape (G,)
        Sorted distinct group labels.
    values : numpy.ndarray of shape (G,) or (B, G)
        In ``[0, 1]``, higher is better. NaN for a group without both classes (scikit-learn
        raises ``ValueError`` there).

    Notes
    -----
    Tested against ``sklearn.metrics.roc_auc_score(y[g], score[g], sample_weight=w[g])`` per
    group (fairlearn ``MetricFrame(metrics=roc_auc_score)``).
    """
    y = _binary_labels(y_true, "group_roc_auc")
    s = _scores(y_score, y.shape[0], "group_roc_auc")
    g = np.asarray(groups)
    if g.shape != y.shape:
        raise TrustbenchError(f"group_roc_auc: groups must have shape {y.shape}, got {g.shape}")
    labels, codes = np.unique(g, return_inverse=True)
    codes = codes.ravel()
    w, squeeze = _weight_matrix(weights, y.shape[0], "group_roc_auc")
    values = np.empty((w.shape[0], labels.shape[0]))
    for k in range(labels.shape[0]):  # one sort per group: O(n log n) in total
        rows = np.flatnonzero(codes == k)
        values[:, k] = _binary_auc(y[rows] == 1, s[rows], w[:, rows])
    return labels, (values[0] if squeeze else values)


@replicated()
def threshold_at_sensitivity(y_true, y_score, target: float, weights=None):
    """The largest threshold whose overall sensitivity reaches ``target``.

    With the rule "predict positive when ``score >= t``", sensitivity
    ``TPR(t) = sum_{i: y_i=1, s_i >= t} w_i / sum_{i: y_i=1} w_i`` falls as ``t`` grows. The
    operating point is ``t* = max {t in scores of positive rows : TPR(t) >= target}`` (up to
    :data:`SENSITIVITY_TOL`): the ``ceil(target * P)``-th largest positive score when
    unweighted (``P`` positives), so ties at ``t*`` are all predicted positive and the
    sensitivity achieved may exceed the target. Among the thresholds reaching the target it has
    the highest specificity. A bootstrap replicate re-chooses ``t*`` on its own rows, so
    intervals of metrics at ``t*`` include the uncertainty of the threshold.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    y_score : array-like of shape (n,)
        Score of the positive class (``proba[:, 1]``).
    target : float
        Target sensitivity in ``(0, 1]``.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        The threshold, in the range of the scores. NaN where there is no positive weight
        (sensitivity undefined).

    Notes
    -----
    Tested against a direct search over the distinct positive scores with
    ``numpy.mean(score[y == 1] >= t)``, and on bootstrap replicates against that search on
    the resampled rows.
    """
    name = "threshold_at_sensitivity"
    y = _binary_labels(y_true, name)
    s = _scores(y_score, y.shape[0], name)
    if isinstance(target, bool) or not 0.0 < float(target) <= 1.0:
        raise TrustbenchError(f"{name}: target sensitivity must lie in (0, 1], got {target!r}")
    w, squeeze = _weight_matrix(weights, y.shape[0], name)
    pos = np.flatnonzero(y == 1)
    if pos.shape[0] == 0:
        return _finish(np.full(w.shape[0], np.nan), squeeze)
    order = pos[np.argsort(-s[pos], kind="stable")]  # positives, highest score first
    cum = np.cumsum(w[:, order], axis=1)
    total = cum[:, -1:]
    reached = cum >= (float(target) - SENSITIVITY_TOL) * total
    first = np.argmax(reached, axis=1)
    out = np.where(total[:, 0] > 0, s[order][first], np.nan)
    return _finish(out, squeeze)


def predict_at_threshold(y_score, threshold) -> np.ndarray:
    """Predictions ``[score >= t]``: shape ``(n,)`` for a scalar ``t``, ``(B, n)`` for ``(B,)``
    (as uint8, one byte a prediction: the matrix of 1,000 replicates of 300k rows is 300 MB).

    A NaN threshold (undefined operating point) predicts no positive; callers mark those
    replicates undefined.
    """
    s = np.asarray(y_score, dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if t.ndim == 0:
            return (s >= t).astype(np.int64)
        return (s[None, :] >= t[:, None]).astype(np.uint8)
