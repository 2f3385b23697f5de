"""Performance suite: discrimination and probabilistic accuracy on the in-distribution test split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustbench import metrics as M
from trustbench.report import SuiteResult
from trustbench.suites.context import ScoringContext

FAMILY = "performance"
PERFORMANCE_METRICS = {
    "accuracy": M.accuracy,
    "balanced_accuracy": M.balanced_accuracy,
    "roc_auc": M.roc_auc,
    "log_loss": M.log_loss,
    "brier": M.brier,
}


def performance_suite(ctx: ScoringContext, cfg: Mapping[str, Any]) -> SuiteResult:
    """``performance/<metric>`` on ``suite.performance.split`` (default ``test``), each with a bootstrap CI."""
    split = str(cfg.get("split", "test"))
    y = ctx.split(split).y
    proba = ctx.proba[split]
    results = []
    for name in cfg.get("metrics", list(PERFORMANCE_METRICS)):
        info = M.METRICS[name]
        results.append(
            ctx.estimate(
                FAMILY,
                name,
                PERFORMANCE_METRICS[name],
                y,
                proba,
                split=split,
                direction=info.direction,
                definition=info.definition,
            )
        )
    return SuiteResult(FAMILY, "ok", metrics=results)
