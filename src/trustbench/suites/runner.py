"""Run the configured suites; a suite that fails is recorded as failed and the others still run."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from trustbench.report import FAMILIES, SuiteResult
from trustbench.suites.context import NotApplicable, ScoringContext

log = logging.getLogger(__name__)

SuiteFn = Callable[[ScoringContext, Any], SuiteResult]  # called with the family's typed config


def run_suites(
    ctx: ScoringContext,
    suites: Mapping[str, SuiteFn],
    families: list[str] | tuple[str, ...] = FAMILIES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, SuiteResult]:
    """Run each enabled family's suite in order and collect their results.

    A family whose ``suite.<family>.enabled`` is false is recorded as ``disabled``; one whose
    suite raises :class:`NotApplicable` as ``not_applicable`` with the reason; one that raises
    anything else as ``failed`` with the exception as the reason (and the traceback in the log).
    """
    results: dict[str, SuiteResult] = {}
    for family in families:
        cfg = getattr(ctx.config, family)
        if not cfg.enabled:
            results[family] = SuiteResult(
                family, "disabled", reason=f"suite.{family}.enabled=false"
            )
            continue
        if progress:
            progress(family)
        start = time.perf_counter()
        try:
            result = suites[family](ctx, cfg)
        except NotApplicable as exc:
            result = SuiteResult(family, "not_applicable", reason=str(exc))
        except Exception as exc:  # a failed suite is recorded, never silently missing
            log.error("suite %s failed:\n%s", family, traceback.format_exc())
            result = SuiteResult(family, "failed", reason=f"{type(exc).__name__}: {exc}")
        result.seconds = round(time.perf_counter() - start, 3)
        results[family] = result
    return results
