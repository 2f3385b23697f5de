"""Why a fairness gap is undefined or unstable: the notes the fairness suites attach to gaps.

The per-group statistics themselves are pure math in :mod:`trustbench.metrics.group_stats`.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics.fairness_rates import GAP_TABLE
from trustbench.metrics.group_stats import GroupStats
from trustbench.metrics.specs.fairness import GAP_SPECS

__all__ = ["GAPS", "gap_note"]

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
