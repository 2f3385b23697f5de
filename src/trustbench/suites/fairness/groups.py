"""Per-group statistics and between-group gaps with bootstrap replicates, for the suites.

Everything is computed once per attribute on a stacked weight matrix ``[ones; counts]`` of
shape ``(1 + B, n)``: row 0 is the point value, rows 1.. the bootstrap replicates, so a point
value and its interval always come from the same code path. The metric definitions live in
:mod:`trustbench.metrics` (tested against fairlearn / scikit-learn); this module only
arranges them and says why a value is undefined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustbench import metrics as M
from trustbench.metrics.specs.fairness import GAP_SPECS
from trustbench.suites.context import stacked

__all__ = [
    "GAPS",
    "GROUP_METRICS",
    "GroupStats",
    "gap_note",
    "group_stats",
    "worst",
]

#: Between-group scalars (fairlearn's names), in the order of the metric registry.
GAPS = tuple(spec.name for spec in GAP_SPECS)
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
_RATE_FIELD = {
    "selection_rate": "selection_rate",
    "accuracy": "accuracy",
    "true_positive_rate": "tpr",
    "false_positive_rate": "fpr",
    "false_negative_rate": "fnr",
    "precision": "precision",
}
_USES_TPR = ("equalized_odds", "equal_opportunity")
_USES_FPR = ("equalized_odds",)


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
) -> GroupStats:
    """Per-group rates (and AUC, ECE when ``calibration``) and every gap of :data:`GAPS`.

    ``y_pred`` defaults to the argmax prediction; a ``(1 + B, n)`` matrix gives one prediction
    vector per row of the stacked weights (an operating point re-chosen per replicate).
    """
    weights = stacked(counts)
    if y_pred is None:
        y_pred = np.argmax(proba, axis=1)
    rates = M.group_rates(y, y_pred, groups, weights)
    values = {name: getattr(rates, field) for name, field in _RATE_FIELD.items()}
    gaps = M.rate_gaps(rates)
    if calibration:
        _, values["roc_auc"] = M.group_roc_auc(y, proba[:, 1], groups, weights)
        _, values["ece"] = M.group_calibration_error(y, proba, groups, weights, n_bins)
        gaps["ece_difference"] = M.ece_difference(y, proba, groups, weights, n_bins)
    point_pred = y_pred if np.ndim(y_pred) == 1 else y_pred[0]
    return GroupStats(
        labels=rates.labels,
        sizes=np.asarray(rates.size[0], dtype=np.int64),
        positives=np.asarray(rates.positives[0], dtype=np.int64),
        negatives=np.asarray(rates.negatives[0], dtype=np.int64),
        predicted=np.asarray(
            [int(np.sum(point_pred[groups == label])) for label in rates.labels], dtype=np.int64
        ),
        values=values,
        gaps=gaps,
    )


def gap_note(
    name: str, stats: GroupStats, attribute: str, split: str, value, min_group: int = 0
) -> str | None:
    """Why a gap is undefined, which groups its TPR/FPR comparison leaves out, and which of
    its groups are smaller than ``min_group`` (their rates, hence the gap, are unstable)."""
    uses_tpr = name.startswith(_USES_TPR)
    uses_fpr = name.startswith(_USES_FPR)
    left_out = []
    if uses_tpr:
        left_out += [
            f"'{g}' (no positives)"
            for g, p in zip(stats.labels, stats.positives, strict=True)
            if p == 0
        ]
    if uses_fpr:
        left_out += [
            f"'{g}' (no negatives)"
            for g, m in zip(stats.labels, stats.negatives, strict=True)
            if m == 0
        ]
    small = [
        f"'{g}' n={int(n)}" for g, n in zip(stats.labels, stats.sizes, strict=True) if n < min_group
    ]
    small_text = f"small group(s) < {min_group} in split '{split}': {', '.join(small)}"
    parts: list[str] = []
    if value is None or not np.isfinite(value):
        if len(stats.labels) < 2:
            parts.append(f"undefined: '{attribute}' has a single group in split '{split}'")
        elif left_out:
            parts.append(
                f"undefined: fewer than 2 groups of '{attribute}' with the rate defined in split "
                f"'{split}'; left out {', '.join(left_out)}"
            )
        else:
            parts.append(f"undefined on split '{split}' (0/0: no group has the rate above 0)")
    elif left_out:
        parts.append(
            f"left out of the rate comparison: {', '.join(left_out)} in split '{split}' "
            "(fairlearn would count such a group's rate as 0)"
        )
    if small:
        parts.append(small_text)
    return "; ".join(parts) or None


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
