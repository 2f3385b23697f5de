"""Which way is better for each metric: from the trust reports first, then naming rules.

Order of precedence (documented in ``docs/leaderboard.md``):

1. the ``direction`` the run's ``trust_report.json`` gives the metric (read for one run per
   distinct metric set by :func:`trustbench.leaderboard.fetch.fetch_directions`);
2. :data:`trustbench.metrics.METRICS`, matched on the last component of the key
   (``fairness/sex/equalized_odds_difference`` -> ``equalized_odds_difference``) or on its
   prefix before ``_<number>`` (``tpr_at_fpr_0.01`` -> ``tpr_at_fpr``);
3. :data:`NAME_RULES`, patterns for metric names outside the catalogue;
4. otherwise unknown (``None``): the metric is shown but takes no part in any ranking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

DIRECTIONS = ("max", "min", "target:0")

#: ``(regex on the full key, direction)``, first match wins; for metrics the catalogue lacks.
NAME_RULES: tuple[tuple[str, str], ...] = (
    (r"^privacy/dp/epsilon$", "min"),
    (r"^privacy/.*/epsilon_lower_bound$", "min"),
    (r"^privacy/dp/delta$", "min"),
    (r"^performance/(accuracy|balanced_accuracy|roc_auc|pr_auc|average_precision)$", "max"),
    (r"^performance/(log_loss|brier)$", "min"),
    (r"^generalization/.*(_drop|_gap)$", "target:0"),
    (r"^generalization/.*(accuracy|roc_auc)$", "max"),
    (r"^generalization/.*(ece|calibration_error)$", "min"),
    (r"^explainability/.*/(deletion_auc|infidelity|max_sensitivity|ris|ros)$", "min"),
    (
        r"^explainability/.*/(insertion_auc|feature_agreement|rank_agreement|rank_correlation|"
        r"pointing_game|relevance_mass)$",
        "max",
    ),
    (r"^fairness/.*(_difference|_gap)$", "target:0"),
    (r"^fairness/.*_ratio$", "max"),
    (r"^fairness/.*worst_group.*$", "max"),
    (r"^privacy/.*/(auc|attack_auc|tpr_at_fpr.*|attacker_advantage|advantage)$", "min"),
)


@dataclass(frozen=True)
class MetricMeta:
    """What the board knows about one metric column."""

    key: str
    family: str
    direction: str | None
    definition: str
    source: str  # "report", "catalogue", "rule" or "unknown"


def _catalogue_match(key: str) -> tuple[str, str] | None:
    from trustbench.metrics import METRICS

    last = key.rsplit("/", 1)[-1]
    for name in (last, re.sub(r"_\d+(\.\d+)?$", "", last)):
        info = METRICS.get(name)
        if info is not None:
            return info.direction, info.definition
    return None


#: Ranges of metrics outside the catalogue, by last name component.
NAME_RANGES: dict[str, tuple[float, float]] = {
    "deletion_auc": (0.0, 1.0),
    "insertion_auc": (0.0, 1.0),
    "epsilon": (0.0, float("inf")),
    "epsilon_lower_bound": (0.0, float("inf")),
}


def bounds(key: str) -> tuple[float, float] | None:
    """The range ``(lower, upper)`` of the metric of ``key``: the catalogue's, else
    :data:`NAME_RANGES`, else None."""
    from trustbench.metrics import METRICS

    last = key.rsplit("/", 1)[-1]
    for name in (last, re.sub(r"_\d+(\.\d+)?$", "", last)):
        info = METRICS.get(name)
        if info is not None:
            return info.lower, info.upper
    return NAME_RANGES.get(last)


def clip_to_range(value: float | None, key: str) -> float | None:
    """``value`` clipped to the catalogue range of ``key`` (unchanged without one or for None)."""
    limits = bounds(key)
    if value is None or limits is None:
        return value
    return min(max(value, limits[0]), limits[1])


def resolve(key: str, from_reports: Mapping[str, tuple[str, str]]) -> MetricMeta:
    """The direction and definition of metric ``key`` (see the module docstring)."""
    family = key.split("/", 1)[0]
    direction, definition = from_reports.get(key, ("", ""))
    if direction in DIRECTIONS:
        return MetricMeta(key, family, direction, definition, "report")
    found = _catalogue_match(key)
    if found is not None:
        return MetricMeta(key, family, found[0], definition or found[1], "catalogue")
    for pattern, rule in NAME_RULES:
        if re.search(pattern, key):
            return MetricMeta(key, family, rule, definition, "rule")
    return MetricMeta(key, family, None, definition, "unknown")


def resolve_all(
    keys: Iterable[str], from_reports: Mapping[str, tuple[str, str]]
) -> dict[str, MetricMeta]:
    """:func:`resolve` for every key, in sorted key order."""
    return {key: resolve(key, from_reports) for key in sorted(set(keys))}


def oriented(value, direction: str):
    """A value turned so that higher is better: ``max`` keeps it, ``min`` negates it,
    ``target:0`` gives ``-|value|``."""
    if direction == "max":
        return value
    if direction == "min":
        return -value
    if direction == "target:0":
        return -np.abs(value)
    raise ValueError(f"direction must be one of {DIRECTIONS}; received {direction!r}")
