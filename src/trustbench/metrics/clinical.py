"""Clinical performance of a binary classifier, vectorised over bootstrap replicates.

The confusion-matrix rates a clinician reads first (sensitivity, specificity, PPV, NPV), the
prevalence, the net benefit of acting on the predictions (Vickers & Elkin 2006) with its
decision curve, and the no-skill baselines a model has to beat (always predicting the majority
class; treating everybody or nobody).

The rates take hard predictions ``y_pred`` of shape ``(n,)``, or ``(B, n)`` with one
prediction vector per replicate (an operating point re-chosen in every replicate:
:func:`trustbench.metrics.predict_at_threshold` with ``(B,)`` thresholds), so the same function
serves the decision threshold and the clinical operating point. ``weights`` follows
:mod:`trustbench.metrics.weights`: ``None`` or ``(n,)`` gives a float, ``(B, n)`` an array
``(B,)``; a replicate where a rate is undefined (no positives, no predicted positives, ...) is
NaN. Labels are ``0`` / ``1`` with class 1 the positive class.
"""

from __future__ import annotations

import numpy as np

from trustbench.errors import TrustbenchError
from trustbench.metrics.weights import (
    _finish,
    _group_sums,
    _safe_divide,
    _weight_matrix,
    replicated,
)

__all__ = [
    "DENOMINATORS",
    "decision_curve",
    "denominators",
    "net_benefit",
    "no_skill_accuracy",
    "npv",
    "ppv",
    "prevalence",
    "sensitivity",
    "specificity",
    "treat_all_net_benefit",
]

#: The count each rate ``k / n`` divides by: the ``n`` of its Jeffreys interval (see
#: :func:`denominators`), declared once for every rate a suite reports with one.
DENOMINATORS = {
    "accuracy": "rows",
    "prevalence": "rows",
    "sensitivity": "positives",
    "specificity": "negatives",
    "ppv": "predicted_positives",
    "npv": "predicted_negatives",
}


def _binary_labels(y_true, name: str) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 1 or y.dtype.kind not in "biuf" or not np.all((y == 0) | (y == 1)):
        raise TrustbenchError(f"{name}: y_true must have shape (n,) and hold only 0 and 1")
    return y.astype(np.int64)


def _predictions(y: np.ndarray, y_pred, weights, name: str):
    """``(pred, w, squeeze)``: predictions of shape (n,) or (B, n) and a matching weight matrix."""
    w, squeeze = _weight_matrix(weights, y.shape[0], name)
    pred = np.asarray(y_pred, dtype=np.float64)
    rows = pred.shape[0] if pred.ndim == 2 else w.shape[0]
    if pred.shape[-1:] != y.shape or pred.ndim > 2 or w.shape[0] not in (1, rows):
        raise TrustbenchError(
            f"{name}: y_pred must have shape ({y.shape[0]},) or (B, {y.shape[0]}) with B the "
            f"rows of weights ({w.shape[0]}); got {pred.shape}"
        )
    if not np.all((pred == 0) | (pred == 1)):
        raise TrustbenchError(f"{name}: y_pred must hold only 0 and 1")
    if pred.ndim == 2 and squeeze:
        w, squeeze = np.broadcast_to(w, pred.shape), False  # one value per row of predictions
    return pred, w, squeeze


def _masses(y_true, y_pred, weights, name: str):
    """Weighted ``(tp, fp, tn, fn)``, each of shape ``(B,)``, and ``squeeze``."""
    y = _binary_labels(y_true, name)
    pred, w, squeeze = _predictions(y, y_pred, weights, name)
    pos = (y == 1).astype(np.float64)
    wp = w * pos  # (B, n): weight of each positive
    wn = w - wp
    tp = (wp * pred).sum(axis=1)
    fp = (wn * pred).sum(axis=1)
    return tp, fp, wn.sum(axis=1) - fp, wp.sum(axis=1) - tp, squeeze


@replicated(rows={"y_pred": 2})
def sensitivity(y_true, y_pred, weights=None):
    """Sensitivity (recall, true positive rate): ``TP / (TP + FN) = P(yhat = 1 | y = 1)``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    y_pred : array-like of shape (n,) or (B, n)
        Predictions in ``{0, 1}``.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN without positive weight.

    Notes
    -----
    Tested against ``sklearn.metrics.recall_score(y, yhat, sample_weight=w)``.
    """
    tp, _, _, fn, squeeze = _masses(y_true, y_pred, weights, "sensitivity")
    return _finish(_safe_divide(tp, tp + fn), squeeze)


@replicated(rows={"y_pred": 2})
def specificity(y_true, y_pred, weights=None):
    """Specificity (true negative rate): ``TN / (TN + FP) = P(yhat = 0 | y = 0)``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    y_pred : array-like of shape (n,) or (B, n)
        Predictions in ``{0, 1}``; one row per replicate when each replicate has its own
        threshold (:func:`trustbench.metrics.predict_at_threshold` with ``(B,)`` thresholds).
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN where there is no negative weight.

    Notes
    -----
    Tested against ``sklearn.metrics.recall_score(y, yhat, pos_label=0, sample_weight=w)``.
    """
    _, fp, tn, _, squeeze = _masses(y_true, y_pred, weights, "specificity")
    return _finish(_safe_divide(tn, tn + fp), squeeze)


@replicated(rows={"y_pred": 2})
def ppv(y_true, y_pred, weights=None):
    """Positive predictive value (precision): ``TP / (TP + FP) = P(y = 1 | yhat = 1)``.

    Parameters
    ----------
    y_true, y_pred, weights
        As :func:`sensitivity`.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN without predicted positives (scikit-learn's
        ``zero_division`` case).

    Notes
    -----
    Tested against ``sklearn.metrics.precision_score(y, yhat, sample_weight=w)``.
    """
    tp, fp, _, _, squeeze = _masses(y_true, y_pred, weights, "ppv")
    return _finish(_safe_divide(tp, tp + fp), squeeze)


@replicated(rows={"y_pred": 2})
def npv(y_true, y_pred, weights=None):
    """Negative predictive value: ``TN / (TN + FN) = P(y = 0 | yhat = 0)``.

    Parameters
    ----------
    y_true, y_pred, weights
        As :func:`sensitivity`.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``, higher is better. NaN without predicted negatives.

    Notes
    -----
    Tested against ``sklearn.metrics.precision_score(y, yhat, pos_label=0, sample_weight=w)``.
    """
    _, _, tn, fn, squeeze = _masses(y_true, y_pred, weights, "npv")
    return _finish(_safe_divide(tn, tn + fn), squeeze)


@replicated()
def prevalence(y_true, weights=None):
    """Prevalence of the positive class: ``sum_i w_i y_i / sum_i w_i``.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[0, 1]``; descriptive (no better direction). NaN for zero total weight.
    """
    y = _binary_labels(y_true, "prevalence")
    w, squeeze = _weight_matrix(weights, y.shape[0], "prevalence")
    return _finish(_safe_divide(w @ y.astype(np.float64), w.sum(axis=1)), squeeze)


def denominators(y_true, y_pred) -> dict[str, int]:
    """The counts the rates of :data:`DENOMINATORS` divide by, on unweighted rows.

    Returns
    -------
    dict of str to int
        ``rows``, ``positives``, ``negatives``, ``predicted_positives``,
        ``predicted_negatives``; ``DENOMINATORS[name]`` is the key of metric ``name``'s.
    """
    y = np.asarray(y_true)
    pred = np.asarray(y_pred)
    if pred.shape != y.shape:
        raise TrustbenchError(
            f"denominators: y_pred must have the shape of y_true {y.shape}, got {pred.shape}"
        )
    positives, predicted = int(np.sum(y == 1)), int(np.sum(pred == 1))
    return {
        "rows": int(y.shape[0]),
        "positives": positives,
        "negatives": int(y.shape[0]) - positives,
        "predicted_positives": predicted,
        "predicted_negatives": int(y.shape[0]) - predicted,
    }


def _odds(threshold, name: str) -> np.ndarray:
    pt = np.asarray(threshold, dtype=np.float64)
    if np.any(~np.isfinite(pt)) or np.any(pt <= 0) or np.any(pt >= 1):
        raise TrustbenchError(
            f"{name}: threshold probability must lie in (0, 1), got {np.ravel(pt)[:5].tolist()}"
        )
    return pt / (1.0 - pt)


@replicated(rows={"y_pred": 2})
def net_benefit(y_true, y_pred, threshold: float, weights=None):
    """Net benefit of treating the predicted positives at threshold probability ``pt``.

    ``NB = TP / N - FP / N * pt / (1 - pt)`` with ``N = sum_i w_i`` (Vickers & Elkin 2006):
    true positives found per patient, less the false positives, each weighted by the odds
    ``pt / (1 - pt)`` a clinician accepts by treating at ``pt``. Treating nobody gives 0.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    y_pred : array-like of shape (n,) or (B, n)
        Who is treated (``1``): ``[p >= pt]`` on a decision curve, the decision rule's
        predictions at the decision threshold.
    threshold : float
        The threshold probability ``pt`` in ``(0, 1)``.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[-pt / (1 - pt), prevalence]``, higher is better. NaN for zero total weight.

    Notes
    -----
    Tested against a hand-computed case and ``confusion_matrix(..., sample_weight=w)``.
    """
    odds = _odds(threshold, "net_benefit")
    tp, fp, tn, fn, squeeze = _masses(y_true, y_pred, weights, "net_benefit")
    return _finish(_safe_divide(tp - fp * odds, tp + fp + tn + fn), squeeze)


@replicated()
def treat_all_net_benefit(y_true, threshold: float, weights=None):
    """Net benefit of treating everybody: ``prevalence - (1 - prevalence) * pt / (1 - pt)``.

    The no-skill baseline of a decision curve beside treating nobody (net benefit 0).

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[-pt / (1 - pt), 1]``; descriptive (a property of the cohort, not of the model).
    """
    odds = _odds(threshold, "treat_all_net_benefit")
    prev = np.asarray(prevalence(y_true, weights), dtype=np.float64)
    out = prev - (1.0 - prev) * odds
    return float(out) if out.ndim == 0 else out


@replicated()
def decision_curve(y_true, y_score, thresholds, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Net benefit of the model and of treating everybody over threshold probabilities.

    The model treats ``[y_score >= pt]`` at each ``pt``; treating nobody is 0 everywhere.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels in ``{0, 1}``.
    y_score : array-like of shape (n,)
        Predicted probability of the positive class.
    thresholds : array-like of shape (T,)
        Threshold probabilities in ``(0, 1)``.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    model, treat_all : numpy.ndarray of shape (T,) or (B, T)
        ``(B, T)`` for a ``(B, n)`` weight matrix.

    Notes
    -----
    Each column equals :func:`net_benefit` and :func:`treat_all_net_benefit` at that ``pt``
    (tested); one matrix product gives every threshold.
    """
    y = _binary_labels(y_true, "decision_curve")
    s = np.asarray(y_score, dtype=np.float64)
    if s.shape != y.shape or not np.all(np.isfinite(s)):
        raise TrustbenchError(f"decision_curve: y_score must be finite, of shape {y.shape}")
    pt = np.asarray(thresholds, dtype=np.float64).ravel()
    odds = _odds(pt, "decision_curve")
    w, squeeze = _weight_matrix(weights, y.shape[0], "decision_curve")
    treated = (s[:, None] >= pt[None, :]).astype(np.float64)  # (n, T)
    pos = (y == 1).astype(np.float64)
    total = w.sum(axis=1, keepdims=True)
    tp = (w * pos) @ treated  # (B, T)
    fp = (w * (1.0 - pos)) @ treated
    model = _safe_divide(tp - fp * odds, np.broadcast_to(total, tp.shape))
    prev = _safe_divide(w @ pos, total[:, 0])[:, None]
    treat_all = prev - (1.0 - prev) * odds
    return (model[0], treat_all[0]) if squeeze else (model, treat_all)


@replicated()
def no_skill_accuracy(y_true, n_classes: int, weights=None):
    """Accuracy of always predicting the majority class: ``max_k sum_i w_i [y_i = k] / sum_i w_i``.

    The majority class is taken in each replicate (on the scored rows), so for a binary task
    the value is ``max(prevalence, 1 - prevalence)``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Integer class indices in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes ``K >= 2``.
    weights : None, array-like of shape (n,) or (B, n), optional
        Row weights or bootstrap counts.

    Returns
    -------
    float or numpy.ndarray of shape (B,)
        In ``[1 / K, 1]``; descriptive. NaN for zero total weight.

    Notes
    -----
    Tested against ``sklearn.dummy.DummyClassifier(strategy="most_frequent")`` scored by
    ``accuracy_score``.
    """
    y = np.asarray(y_true)
    k = int(n_classes)
    if y.ndim != 1 or y.dtype.kind not in "biu" or (y.size and (y.min() < 0 or y.max() >= k)):
        raise TrustbenchError(
            f"no_skill_accuracy: y_true must hold class indices in 0..{k - 1}, of shape (n,)"
        )
    w, squeeze = _weight_matrix(weights, y.shape[0], "no_skill_accuracy")
    (per_class,) = _group_sums(w, y.astype(np.int64), k)  # (B, K)
    return _finish(_safe_divide(per_class.max(axis=1), w.sum(axis=1)), squeeze)
