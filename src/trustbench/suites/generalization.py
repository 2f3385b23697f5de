"""Generalization suite (first cut): calibration in distribution, and the drop under shift.

``generalization/ece`` (test), and where the task has an ``ood`` split:
``generalization/ood_accuracy``, ``generalization/accuracy_drop`` (test minus ood accuracy),
``generalization/ood_roc_auc`` and ``generalization/ood_ece``. The drop's CI resamples the
two splits independently (they hold different patients).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustbench import metrics as M
from trustbench.plots import reliability_diagram
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import ScoringContext

FAMILY = "generalization"


def generalization_suite(ctx: ScoringContext, cfg: Mapping[str, Any]) -> SuiteResult:
    n_bins = int(cfg.get("n_bins", 15))
    ece_info = M.METRICS["ece"]
    ece_def = f"{ece_info.definition} ({n_bins} bins)"
    test = ctx.split("test")
    results: list[MetricResult] = [
        ctx.estimate(
            FAMILY,
            "ece",
            M.expected_calibration_error,
            test.y,
            ctx.proba["test"],
            split="test",
            direction=ece_info.direction,
            definition=ece_def,
            n_bins=n_bins,
        )
    ]
    notes: list[str] = []
    ood = ctx.task.ood
    curves = {"test": (test.y, ctx.proba["test"])}
    if ood is not None and len(ood):
        curves["ood"] = (ood.y, ctx.proba["ood"])
    if cfg.get("plots", True):
        ctx.artifacts["plots/reliability_diagram.png"] = reliability_diagram(curves, n_bins)
    if ood is None or len(ood) == 0:
        notes.append(f"no ood split for dataset '{ctx.task.name}': shift metrics not computed")
        return SuiteResult(FAMILY, "ok", metrics=results, notes=notes)

    def est(name, fn, definition, direction, **kw):
        return ctx.estimate(
            FAMILY,
            name,
            fn,
            ood.y,
            ctx.proba["ood"],
            split="ood",
            direction=direction,
            definition=definition,
            **kw,
        )

    ood_acc = est("ood_accuracy", M.accuracy, M.METRICS["accuracy"].definition, "max")
    results.append(ood_acc)
    test_acc = M.accuracy(test.y, ctx.proba["test"])
    drop_reps = M.accuracy(test.y, ctx.proba["test"], weights=ctx.counts("test")) - M.accuracy(
        ood.y, ctx.proba["ood"], weights=ctx.counts("ood")
    )
    low, high = ctx.interval(drop_reps)
    results.append(
        MetricResult(
            FAMILY,
            "accuracy_drop",
            test_acc - ood_acc.value,
            low,
            high,
            direction="target:0",
            n=len(ood),
            split="test,ood",
            ci_level=ctx.ci_level,
            definition="accuracy(test) - accuracy(ood); > 0 means the model loses accuracy under shift",
        )
    )
    results.append(est("ood_roc_auc", M.roc_auc, M.METRICS["roc_auc"].definition, "max"))
    results.append(
        est("ood_ece", M.expected_calibration_error, ece_def, ece_info.direction, n_bins=n_bins)
    )
    if "ood" in ctx.task.metadata:
        notes.append(f"ood split: {ctx.task.metadata['ood']}")
    return SuiteResult(FAMILY, "ok", metrics=results, notes=notes)
