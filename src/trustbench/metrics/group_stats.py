"""Per-group rates of one attribute with bootstrap replicates, and the worst over attributes.

Everything is computed once per attribute on a stacked weight matrix ``[ones; counts]`` of
shape ``(1 + B, n)``: row 0 is the point value, rows 1.. the bootstrap replicates, so a point
value and its interval always come from the same code path. The per-group metrics are those of
:mod:`trustbench.metrics.fairness` (tested against fairlearn / scikit-learn), the gaps those of
its gap table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustbench.metrics.calibration import ece_difference, group_calibration_error
from trustbench.metrics.fairness import group_rates, rate_gaps
from trustbench.metrics.fairness_groups import group_roc_auc
from trustbench.metrics.weights import stacked

__all__ = ["GROUP_METRICS", "RATE_FIELDS", "GroupStats", "group_stats", "worst"]

#: Columns of the per-group table (``fairness/groups.parquet``).
GROUP_METRICS = (
    "selection_rate",
    "accuracy",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
    "roc_auc",
    "ece",
)
#: Per-group metric name -> its :class:`~trustbench.metrics.fairness.GroupRates` field.
RATE_FIELDS = {
    "selection_rate": "selection_rate",
    "accuracy": "accuracy",
    "true_positive_rate": "tpr",
    "false_positive_rate": "fpr",
    "false_negative_rate": "fnr",
    "precision": "precision",
}


@dataclass
class GroupStats:
    """Per-group values and gaps of one attribute; arrays have ``1 + B`` rows (point first)."""

    labels: np.ndarray
    sizes: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray
    predicted: np.ndarray
    values: dict[str, np.ndarray]
    gaps: dict[str, np.ndarray]

    def reason(self, metric: str, g: int, split: str) -> str | None:
        """Why group ``g``'s ``metric`` is undefined (None when it is defined)."""
        if metric in ("true_positive_rate", "false_negative_rate") and self.positives[g] == 0:
            return f"undefined: the group has no positive labels in split '{split}'"
        if metric == "false_positive_rate" and self.negatives[g] == 0:
            return f"undefined: the group has no negative labels in split '{split}'"
        if metric == "precision" and self.predicted[g] == 0:
            return f"undefined: the model predicts no positive in this group in split '{split}'"
        if metric == "roc_auc" and min(self.positives[g], self.negatives[g]) == 0:
            return f"undefined: the group holds a single class in split '{split}'"
        return None


def group_stats(
    y: np.ndarray,
    proba: np.ndarray,
    groups: np.ndarray,
    counts: np.ndarray,
    n_bins: int,
    y_pred: np.ndarray | None = None,
    calibration: bool = True,
    soft: bool = False,
) -> GroupStats:
    """Per-group rates (and AUC, ECE when ``calibration``) and every gap of the gap table.

    ``y_pred`` defaults to the argmax prediction; a ``(1 + B, n)`` matrix gives one prediction
    vector per row of the stacked weights (an operating point re-chosen per replicate). With
    ``soft``, ``y_pred`` holds ``P(yhat = 1)`` of a randomized classifier and the rates and
    gaps are its expected ones (:func:`~trustbench.metrics.fairness.group_rates`); a group's
    ``predicted`` is then its expected count of predicted positives.
    """
    weights = stacked(counts)
    if y_pred is None:
        y_pred = np.argmax(proba, axis=1)
    rates = group_rates(y, y_pred, groups, weights, soft=soft)
    values = {name: getattr(rates, field) for name, field in RATE_FIELDS.items()}
    gaps = rate_gaps(rates)
    if calibration:
        _, values["roc_auc"] = group_roc_auc(y, proba[:, 1], groups, weights)
        _, values["ece"] = group_calibration_error(y, proba, groups, weights, n_bins)
        gaps["ece_difference"] = ece_difference(y, proba, groups, weights, n_bins)
    point_pred = y_pred if np.ndim(y_pred) == 1 else y_pred[0]
    return GroupStats(
        labels=rates.labels,
        sizes=np.asarray(rates.size[0], dtype=np.int64),
        positives=np.asarray(rates.positives[0], dtype=np.int64),
        negatives=np.asarray(rates.negatives[0], dtype=np.int64),
        predicted=np.asarray(
            [np.sum(point_pred[groups == label]) for label in rates.labels],
            dtype=np.float64 if soft else np.int64,
        ),
        values=values,
        gaps=gaps,
    )


def worst(rows: list[np.ndarray], direction: str) -> np.ndarray:
    """Worst value per row over attributes (max of a gap, min of a ratio or a group minimum),
    ignoring undefined ones; NaN where every attribute is undefined."""
    stack = np.vstack(rows)
    defined = ~np.isnan(stack)
    if direction == "max":
        picked = np.where(defined, stack, np.inf).min(axis=0)
    else:
        picked = np.where(defined, stack, -np.inf).max(axis=0)
    return np.where(defined.any(axis=0), picked, np.nan)
