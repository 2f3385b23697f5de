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
from trustbench.metrics.fairness_rates import GAP_TABLE
from trustbench.metrics.intervals import bc_interval, box_gap_interval, jeffreys_interval
from trustbench.metrics.weights import stacked

__all__ = [
    "GROUP_INTERVALS",
    "GROUP_METRICS",
    "RATE_FIELDS",
    "GroupStats",
    "group_stats",
    "worst",
    "worst_box_interval",
]

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

#: Interval method of each column of the per-group table (:mod:`trustbench.metrics.intervals`):
#: a rate's Jeffreys interval from its events and denominator, a bootstrap one otherwise.
GROUP_INTERVALS = {
    **{metric: "jeffreys" for metric in RATE_FIELDS},
    "roc_auc": "percentile",
    "ece": "recentred",
}
_GAPS = {gap.name: gap for gap in GAP_TABLE}
_METRIC_OF_FIELD = {field: metric for metric, field in RATE_FIELDS.items()}
#: The GroupStats count each rate divides by.
_DENOMINATORS = {
    "selection_rate": "sizes",
    "accuracy": "sizes",
    "true_positive_rate": "positives",
    "false_negative_rate": "positives",
    "false_positive_rate": "negatives",
    "precision": "predicted",
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
    #: Whether the point values are counts of events over row counts (hard predictions at a
    #: fixed threshold, unit weights): only then has a rate a binomial (Jeffreys) interval.
    exact: bool = True

    #: Whether every replicate re-chose the threshold (an operating point): the point values
    #: are still counts, but a rate's interval must also carry the threshold's noise.
    rethresholded: bool = False

    @property
    def interval_kind(self) -> str:
        """How a rate's interval is computed (:mod:`trustbench.metrics.intervals`): ``jeffreys``
        for exact counts, ``hull`` at an operating point, ``percentile`` for expected rates."""
        return "jeffreys" if self.exact else "hull" if self.rethresholded else "percentile"

    def denominators(self, metric: str) -> np.ndarray | None:
        """Per-group denominators of ``metric`` when it is a rate ``k / n`` with a count of
        events at the point (see :attr:`exact`, :attr:`rethresholded`); None otherwise (and
        for precision at an operating point, whose denominator moves with the threshold)."""
        if metric not in _DENOMINATORS or not (self.exact or self.rethresholded):
            return None
        if self.rethresholded and metric == "precision":
            return None
        return getattr(self, _DENOMINATORS[metric])

    def box_interval(self, gap_name: str, level: float) -> tuple[float, float] | None:
        """The ``box`` interval of a gap of the gap table when its bootstrap cannot be trusted:
        some group's rate has zero or all events (its replicates are then constant and collapse
        the gap's interval), or the estimate lies outside the central ``level`` share of the
        gap's own replicates (a tiny group whose resamples drop or swing its rates; the
        bias-corrected interval then excludes the estimate). None otherwise, or when the rates
        are not exact counts.

        Each defined group rate the gap reduces gets a Jeffreys interval at level
        ``1 - (1 - level) / m`` (``m`` such rates, Bonferroni), and the interval is the range
        of the gap over that box (:func:`~trustbench.metrics.intervals.box_gap_interval`),
        so that it covers at least ``level``.
        """
        gap = _GAPS.get(gap_name)
        if gap is None or not self.exact:
            return None
        events, trials = [], []
        for field in gap.rates:
            metric = _METRIC_OF_FIELD[field]
            n = np.asarray(self.denominators(metric), dtype=np.float64)
            events.append(np.where(n > 0, np.rint(self.values[metric][0] * n), np.nan))
            trials.append(n)
        defined = [np.isfinite(k) & (n > 0) for k, n in zip(events, trials, strict=True)]
        degenerate = any(
            np.any(d & ((k == 0) | (k == n)))
            for d, k, n in zip(defined, events, trials, strict=True)
        )
        if not degenerate and not _off_centre(self.gaps[gap_name], level):
            return None
        m = int(sum(d.sum() for d in defined))
        lows, highs = [], []
        for d, k, n in zip(defined, events, trials, strict=True):
            lo, hi = jeffreys_interval(np.where(d, k, 0), np.where(d, n, 1), 1 - (1 - level) / m)
            lows.append(np.where(d, lo, np.nan))
            highs.append(np.where(d, hi, np.nan))
        return box_gap_interval(gap.reduction, lows, highs, gap.agg)

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


def _off_centre(row: np.ndarray, level: float) -> bool:
    """Whether the point ``row[0]`` lies outside the central ``level`` share of the finite
    replicates ``row[1:]`` (ties counted half)."""
    reps = row[1:][np.isfinite(row[1:])]
    if not np.isfinite(row[0]) or reps.size == 0:
        return False
    share = (np.sum(reps < row[0]) + 0.5 * np.sum(reps == row[0])) / reps.size
    return bool(share < (1 - level) / 2 or share > (1 + level) / 2)


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
    hard = bool(np.all((point_pred == 0) | (point_pred == 1)))
    exact = np.ndim(y_pred) == 1 and hard
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
        exact=exact,
        rethresholded=np.ndim(y_pred) == 2 and hard,
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


def worst_box_interval(
    stats: list[GroupStats], name: str, direction: str, level: float, row: np.ndarray
) -> tuple[float, float] | None:
    """The ``box`` interval of the worst attribute's gap ``row`` (:func:`worst` over ``stats``)
    when its bootstrap cannot be trusted: some attribute's gap needs its own box
    (:meth:`GroupStats.box_interval`) or ``row[0]`` lies outside the central ``level`` share of
    ``row[1:]``; None otherwise.

    Each of the ``A`` attributes' gaps gets its interval at level ``1 - (1 - level) / A``
    (its box, else its bias-corrected bootstrap interval), and the worst of them lies between
    the worst lower and the worst upper end (the largest for a gap, the smallest for a ratio
    or a group minimum), so the interval covers at least ``level``.
    """
    if not stats or name not in stats[0].gaps:
        return None
    boxes = [s.box_interval(name, level) for s in stats]
    if all(b is None for b in boxes) and not _off_centre(row, level):
        return None
    adjusted = 1 - (1 - level) / len(stats)
    ends = []
    for s in stats:
        box = s.box_interval(name, adjusted)
        low, high = (
            box if box is not None else bc_interval(s.gaps[name][0], s.gaps[name][1:], adjusted)
        )
        if np.isfinite(low) and np.isfinite(high):
            ends.append((low, high))
    if not ends:
        return None
    pick = min if direction == "max" else max
    return (pick(e[0] for e in ends), pick(e[1] for e in ends))
