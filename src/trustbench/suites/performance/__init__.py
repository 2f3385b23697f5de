"""Performance suite: discrimination and probabilistic accuracy on the in-distribution test split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustbench import metrics as M
from trustbench.report import SuiteResult
from trustbench.suites.context import ScoringContext

FAMILY = "performance"
#: ``{name: fn}`` of every performance metric, from the metric registry.
PERFORMANCE_METRICS = {spec.name: spec.fn for spec in M.REGISTRY.family(FAMILY)}


def performance_suite(ctx: ScoringContext, cfg: Mapping[str, Any]) -> SuiteResult:
    """``performance/<metric>`` on ``suite.performance.split`` (default ``test``), each with a bootstrap CI."""
    split = str(cfg.get("split", "test"))
    y = ctx.split(split).y
    proba = ctx.proba[split]
    results = []
    for name in cfg.get("metrics", list(PERFORMANCE_METRICS)):
        spec = M.REGISTRY.get(FAMILY, name)
        results.append(ctx.estimate(FAMILY, name, spec.fn, y, proba, split=split))
    return SuiteResult(FAMILY, "ok", metrics=results)
