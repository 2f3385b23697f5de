"""What the board knows of each metric column: direction, range and definition.

Order of precedence (documented in ``docs/leaderboard.md``):

1. the metric registry (:data:`trustbench.metrics.REGISTRY`), matching the whole key against
   each metric's key templates, so ``privacy/loss/balanced_accuracy`` is the privacy metric
   (lower is better), not the performance one;
2. for a key the registry does not know (a metric of another version, a custom metric), the
   ``direction`` the run's ``trust_report.json`` gives it (read for one run per distinct
   metric set by :func:`trustbench.leaderboard.fetch.fetch_directions`);
3. otherwise unknown (``None``): the metric is shown but takes no part in any ranking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trustbench.metrics import REGISTRY
from trustbench.metrics.spec import check_direction, oriented

__all__ = ["MetricMeta", "clip_to_range", "oriented", "resolve", "resolve_all"]


@dataclass(frozen=True)
class MetricMeta:
    """What the board knows about one metric column.

    ``direction`` is None when unknown and ``"none"`` for a descriptive value (a group's
    selection rate); neither is ranked. ``lower``/``upper`` bound the intervals shown.
    """

    key: str
    family: str
    direction: str | None
    definition: str
    source: str  # "registry", "report" or "unknown"
    lower: float = -math.inf
    upper: float = math.inf

    @property
    def ranks(self) -> bool:
        """Whether values of this metric can be ordered (a known direction other than none)."""
        return self.direction is not None and self.direction != "none"


def resolve(key: str, from_reports: Mapping[str, tuple[str, str]]) -> MetricMeta:
    """The direction, range and definition of metric ``key`` (see the module docstring)."""
    family = key.split("/", 1)[0]
    found = REGISTRY.resolve(key)
    if found is not None:
        spec = found.spec
        return MetricMeta(
            key, family, spec.direction, spec.definition, "registry", spec.lower, spec.upper
        )
    direction, definition = from_reports.get(key, ("", ""))
    try:
        check_direction(direction)
    except ValueError:
        return MetricMeta(key, family, None, definition, "unknown")
    return MetricMeta(key, family, direction, definition, "report")


def resolve_all(
    keys: Iterable[str], from_reports: Mapping[str, tuple[str, str]]
) -> dict[str, MetricMeta]:
    """:func:`resolve` for every key, in sorted key order."""
    return {key: resolve(key, from_reports) for key in sorted(set(keys))}


def clip_to_range(value: float | None, key: str) -> float | None:
    """``value`` clipped to the registered range of ``key`` (unchanged without one, or None)."""
    bounds = REGISTRY.bounds(key)
    if value is None or bounds is None:
        return value
    return min(max(value, bounds[0]), bounds[1])
