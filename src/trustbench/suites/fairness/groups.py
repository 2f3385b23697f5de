"""Why a fairness gap is undefined or unstable, how a randomized model's gaps are read, and how
a group's value gets its interval: the notes and intervals of the fairness suites' groups.

The per-group statistics themselves are pure math in :mod:`trustbench.metrics.group_stats`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trustbench import metrics as M
from trustbench.metrics.fairness_rates import GAP_TABLE
from trustbench.metrics.group_stats import GROUP_INTERVALS, GroupStats, worst
from trustbench.metrics.specs.fairness import GAP_SPECS
from trustbench.suites.context import ScoringContext
from trustbench.suites.fairness.sensitive import Attribute

__all__ = [
    "ARGMAX_NOTE_GAPS",
    "EXPECTED",
    "GAPS",
    "argmax_note",
    "collapsed_flag",
    "gap_note",
    "group_interval",
]

#: Between-group scalars (fairlearn's names), in the order of the metric registry.
GAPS = tuple(spec.name for spec in GAP_SPECS)
#: The group rates each gap compares (a group without the rate's denominator is left out).
_RATES = {gap.name: gap.rates for gap in GAP_TABLE}


def gap_note(
    name: str, stats: GroupStats, attribute: str, split: str, value, min_group: int = 0
) -> str | None:
    """Why a gap is undefined, which groups its TPR/FPR comparison leaves out, and which of
    its groups are smaller than ``min_group`` (their rates, hence the gap, are unstable)."""
    rates = _RATES.get(name, ())
    uses_tpr, uses_fpr = "tpr" in rates, "fpr" in rates
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


#: Appended to the definitions of a randomized model's gaps (``FairClassifier.randomized``).
EXPECTED = (
    ", expected over the randomized classifier's draws (group rates of q = P(yhat = 1) = "
    "proba_1, not of its argmax)"
)
#: Headline gaps the note on a randomized model compares in both forms.
ARGMAX_NOTE_GAPS = ("equalized_odds_difference", "demographic_parity_difference")


def argmax_note(
    model: Any,
    y: np.ndarray,
    proba: np.ndarray,
    declared: list[Attribute],
    per_attribute: Mapping[str, GroupStats],
    split: str,
) -> str:
    """How far the deterministic argmax form of a randomized model's headline gaps is from the
    expected form the suite reports (point values, worst declared attribute)."""
    hard = np.argmax(proba, axis=1)
    ones = np.ones((1, len(y)))
    parts = []
    for name in ARGMAX_NOTE_GAPS:
        direction = M.REGISTRY.get("fairness", name).direction
        expected = worst([per_attribute[a.name].gaps[name] for a in declared], direction)[0]
        argmax = worst(
            [M.rate_gaps(M.group_rates(y, hard, a.groups, ones))[name] for a in declared],
            direction,
        )[0]
        parts.append(f"{name} {argmax:.4f} (argmax) vs {expected:.4f} (expected)")
    mixed = float(np.mean((proba[:, 1] > 0) & (proba[:, 1] < 1)))
    return (
        f"randomized classifier ({getattr(model, 'method', type(model).__name__)}): the gaps and "
        f"group rates are expected over its draws (rates of P(yhat = 1) = proba_1); the "
        f"deterministic argmax classifier (the report's y_pred, 1 where proba_1 > 1/2) gives on "
        f"'{split}' (worst declared attribute): {'; '.join(parts)}; {mixed:.1%} of rows have 0 < P(yhat = 1) < 1"
    )


def collapsed_flag(low: float, high: float, method: str) -> str | None:
    """A flag for a bootstrap interval of width 0: every resample of a small group gave the
    same value (an AUC of 1 in 13 patients), which is no evidence of certainty."""
    if method in ("jeffreys", "hull", "box") or not np.isfinite(low) or high > low:
        return None
    return (
        "bootstrap interval of width 0: every resample gives this value; not a measure of certainty"
    )


def group_interval(
    ctx: ScoringContext, stats: GroupStats, metric: str, g: int
) -> tuple[float, float, str]:
    """Interval of group ``g``'s ``metric`` by its method (:data:`GROUP_INTERVALS`): a rate's
    Jeffreys interval from its events and denominator (its hull with the bootstrap one at an
    operating point), a bootstrap one otherwise."""
    denominators = stats.denominators(metric)
    method = GROUP_INTERVALS[metric]
    return ctx.interval_by(
        stats.interval_kind if method == "jeffreys" else method,
        stats.values[metric][:, g],
        None if denominators is None else float(denominators[g]),
    )
