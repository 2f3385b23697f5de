"""Performance suite: discrimination and probabilistic accuracy on the in-distribution test split."""

from __future__ import annotations

from trustbench import metrics as M
from trustbench.report import SuiteResult
from trustbench.suites.context import ScoringContext
from trustbench.suites.performance.config import PerformanceConfig

FAMILY = "performance"
#: ``{name: fn}`` of every performance metric, from the metric registry.
PERFORMANCE_METRICS = {spec.name: spec.fn for spec in M.REGISTRY.family(FAMILY)}


def performance_suite(ctx: ScoringContext, cfg: PerformanceConfig) -> SuiteResult:
    """``performance/<metric>`` on ``suite.performance.split``, each with a bootstrap CI."""
    split = cfg.split
    y = ctx.split(split).y
    proba = ctx.proba[split]
    results = []
    for name in cfg.metrics:
        spec = M.REGISTRY.get(FAMILY, name)
        results.append(ctx.estimate(FAMILY, name, spec.fn, y, proba, split=split))
    return SuiteResult(FAMILY, "ok", metrics=results)
