"""Results of the performance suite: intervals by denominator, no-skill comparisons, order."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trustbench import metrics as M
from trustbench.metrics import clinical as K
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext

__all__ = ["FAMILY", "TIE", "UNDEFINED", "ordered", "rate_result", "versus_baseline"]

FAMILY = "performance"
#: Why a metric without a denominator can be undefined (the note of a missing value).
UNDEFINED = {
    "calibration_slope": "the logistic recalibration has no finite fit (a single class, "
    "constant predictions, or the outcome separated by logit(proba_1))",
    "calibration_intercept": "the logistic recalibration has no finite fit (a single class)",
}
#: Tolerance below which an advantage over a baseline counts as none (floating-point sums).
TIE = 1e-12


def rate_result(
    ctx: ScoringContext,
    key: str,
    row: np.ndarray,
    tally: Mapping[str, int] | None,
    split: str,
    n: int,
    detail: str | None = None,
) -> MetricResult:
    """A result from a ``(1 + B,)`` row; a rate ``k / n`` of :data:`~K.DENOMINATORS` passes its
    denominator from ``tally`` (its Jeffreys interval), unless ``tally`` is None (a rate at a
    threshold re-chosen per replicate: the percentile bootstrap)."""
    name = key.rsplit("/", 1)[-1]
    which = K.DENOMINATORS.get(name)
    denominator = tally[which] if which and tally is not None else None
    note = None
    if not np.isfinite(row[0]):
        why = f"no {which.replace('_', ' ')}" if which else UNDEFINED.get(name)
        note = f"undefined on '{split}'" + (f": {why}" if why else "")
    return ctx.from_row(
        FAMILY, key, row, n=n, split=split, denominator=denominator, detail=detail, note=note
    )


def versus_baseline(
    ctx: ScoringContext,
    what: str,
    model: np.ndarray,
    baseline: np.ndarray,
    baseline_text: str,
    split: str,
) -> tuple[str, str | None]:
    """The note comparing a model's ``(1 + B,)`` row with a no-skill baseline's, and a warning
    when the model does not beat it.

    The rule: the advantage ``model - baseline`` is taken in every bootstrap replicate (paired:
    the same patients); the model does not beat the baseline when the point advantage is at
    most 0, or when it is positive but the lower end of its percentile interval is at most 0
    (an advantage the sampling noise explains). Both count ties within :data:`TIE` as 0.
    """
    advantage = np.asarray(model, dtype=float) - np.asarray(baseline, dtype=float)
    low, high = ctx.interval(advantage[1:])
    level = f"{ctx.ci_level:.0%}"
    value, base, gain = float(model[0]), float(baseline[0]), float(advantage[0])
    note = (
        f"{what} = {value:.4f} vs the no-skill baseline ({baseline_text}) = {base:.4f} on "
        f"'{split}': "
        f"advantage {gain:+.4f} ({level} CI [{low:+.4f}, {high:+.4f}], paired bootstrap)"
    )
    if not np.isfinite(gain):
        return note, None
    if gain <= TIE:
        return note, (
            f"{what} = {value:.4f} does not beat the no-skill baseline ({baseline_text}: "
            f"{base:.4f}) on '{split}'"
        )
    if not low > TIE:
        return note, (
            f"{what} = {value:.4f} beats the no-skill baseline ({baseline_text}: {base:.4f}) on "
            f"'{split}' by only {gain:.4f}: the {level} interval of the advantage, "
            f"[{low:+.4f}, {high:+.4f}], reaches 0"
        )
    return note, None


def ordered(results: list[MetricResult]) -> list[MetricResult]:
    """Results in registry order (what clinicians read first, first), the values at the
    decision threshold before those at the operating point."""
    rank = {spec: i for i, spec in enumerate(M.REGISTRY.family(FAMILY))}

    def key(metric: MetricResult) -> tuple[bool, int]:
        found = M.REGISTRY.require(metric.key)
        return (not found.primary, rank[found.spec])

    return sorted(results, key=key)
