"""Selective prediction (``uncertainty/selective/...``): answer the confident, defer the rest.

On ``test`` and ``ood``, with the top-label probability as the confidence: ``aurc``,
``excess_aurc``, and at each of ``selective_coverages`` the accuracy and (binary targets)
sensitivity of the answered rows. On ``test``, per group of each declared sensitive attribute:
the group's own AURC and, at the one threshold every patient gets, its accuracy, sensitivity
and the share of its rows answered (``retained``). Each split is resampled on its own with the
replicates every other metric of that split uses.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics import uncertainty_selective as S
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.fairness.sensitive import attributes
from trustbench.suites.uncertainty.config import UncertaintyConfig

__all__ = ["selective_results"]

FAMILY = "uncertainty"


def _level(coverage: float) -> str:
    return f"{coverage:g}"


def selective_results(
    ctx: ScoringContext, cfg: UncertaintyConfig
) -> tuple[list[MetricResult], list[str], dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]]:
    """Results, notes and the curves of ``plots/risk_coverage.png``."""
    results: list[MetricResult] = []
    notes: list[str] = []
    panels: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {"by split": {}}
    binary = ctx.task.n_classes == 2
    if not binary:
        notes.append("selective sensitivity not computed: it needs a binary target")
    for split in ("test", "ood"):
        if split not in ctx.proba or not len(ctx.split(split)):
            continue
        data = ctx.split(split)
        proba = ctx.proba[split]
        confidence = proba.max(axis=1)
        y_pred = proba.argmax(axis=1)
        error = (y_pred != data.y).astype(float)
        weights = stacked(ctx.counts(split))
        n = len(data)
        detail = f"on split '{split}', confidence = top-label probability"
        for name, fn in (("aurc", S.aurc), ("excess_aurc", S.excess_aurc)):
            row = np.asarray(fn(confidence, error, weights))
            results.append(
                ctx.from_row(
                    FAMILY, f"selective/{split}/{name}", row, n=n, split=split, detail=detail
                )
            )
        for coverage in cfg.selective_coverages:
            rates = S.selective_rates(data.y, y_pred, confidence, coverage, weights)
            for name in ("accuracy", "sensitivity")[: 2 if binary else 1]:
                results.append(
                    ctx.from_row(
                        FAMILY, f"selective/{split}/{name}_at_coverage_{_level(coverage)}",
                        np.asarray(rates[name]), n=n, split=split, detail=detail,
                    )
                )  # fmt: skip
        panels["by split"][f"{split} (n={n})"] = S.risk_coverage_curve(confidence, error)
        if split != "test" or not ctx.task.sensitive_names:
            continue
        declared = attributes(data.sensitive, ctx.task.sensitive_names, split, False, ctx.key_names)
        for attribute in declared:
            panel = panels.setdefault(f"{split} by {attribute.name}", {})
            by_coverage = {
                c: S.selective_group_rates(data.y, y_pred, confidence, c, attribute.groups, weights)
                for c in cfg.selective_coverages
            }
            for g, label in enumerate(np.unique(attribute.groups)):
                rows = attribute.groups == label
                size = int(rows.sum())
                key = f"selective/{split}/{attribute.key}/{attribute.group_key(label)}"
                where = f"within the group {attribute.name}={label}; {detail}"
                flag = (
                    f"small group: n={size} < {cfg.min_group_size}"
                    if size < cfg.min_group_size
                    else None
                )
                row = np.asarray(S.aurc(confidence[rows], error[rows], weights[:, rows]))
                results.append(
                    ctx.from_row(
                        FAMILY, f"{key}/aurc", row, n=size, split=split, detail=where, note=flag
                    )
                )
                for coverage in cfg.selective_coverages:
                    rates = by_coverage[coverage]
                    names = (
                        ("accuracy", "sensitivity", "retained")
                        if binary
                        else ("accuracy", "retained")
                    )
                    for name in names:
                        results.append(
                            ctx.from_row(
                                FAMILY, f"{key}/{name}_at_coverage_{_level(coverage)}",
                                np.asarray(rates[name][:, g]), n=size, split=split,
                                detail=f"{where}; threshold chosen on all rows of '{split}'",
                                note=flag,
                            )
                        )  # fmt: skip
                panel[f"{label} (n={size})"] = S.risk_coverage_curve(confidence[rows], error[rows])
    return results, notes, panels
