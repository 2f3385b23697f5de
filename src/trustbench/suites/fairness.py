"""Fairness suite (first cut): group gaps of the thresholded predictions on the test split.

For each sensitive attribute ``a``: ``fairness/a/demographic_parity_difference``,
``fairness/a/equalized_odds_difference`` and per-group accuracy
``fairness/a/accuracy/<group>``; and the worst attribute's gaps as
``fairness/demographic_parity_difference`` and ``fairness/equalized_odds_difference``.
All follow fairlearn's definitions (tested against it) and carry bootstrap CIs (patients
resampled; the headline maximum is taken inside each replicate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trustbench import metrics as M
from trustbench.plots import group_bars
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import NotApplicable, ScoringContext
from trustbench.suites.naming import safe_name

FAMILY = "fairness"
GAPS = {
    "demographic_parity_difference": M.demographic_parity_difference,
    "equalized_odds_difference": M.equalized_odds_difference,
}


def fairness_suite(ctx: ScoringContext, cfg: Mapping[str, Any]) -> SuiteResult:
    task = ctx.task
    if not task.sensitive_names:
        raise NotApplicable(f"dataset '{task.name}' has no sensitive attribute")
    if task.n_classes != 2:
        raise NotApplicable(
            f"group fairness metrics need a binary target; '{task.name}' has {task.n_classes} classes"
        )
    split = str(cfg.get("split", "test"))
    data = ctx.split(split)
    y, y_pred = data.y, ctx.y_pred(split)
    counts = ctx.counts(split)
    min_group = int(cfg.get("min_group_size", 30))
    results: list[MetricResult] = []
    notes: list[str] = []
    worst: dict[str, list[tuple[float, np.ndarray]]] = {name: [] for name in GAPS}
    for attribute in task.sensitive_names:
        groups = data.sensitive[attribute].astype(str).to_numpy()
        prefix = safe_name(attribute)
        for name, fn in GAPS.items():
            info = M.METRICS[name]
            metric = ctx.estimate(
                FAMILY,
                f"{prefix}/{name}",
                fn,
                y,
                y_pred,
                groups,
                split=split,
                counts=counts,
                direction=info.direction,
                definition=info.definition,
            )
            results.append(metric)
            worst[name].append((metric.value, fn(y, y_pred, groups, weights=counts)))
        labels, values = M.group_accuracy(y, y_pred, groups)
        _, replicates = M.group_accuracy(y, y_pred, groups, weights=counts)
        bars = {"low": [], "high": [], "sizes": []}
        for g, label in enumerate(labels):
            size = int((groups == label).sum())
            note = f"small group: n={size} < {min_group}" if size < min_group else None
            if note:
                notes.append(f"{attribute}={label}: {note}")
            low, high = ctx.interval(replicates[:, g])
            bars["low"].append(low)
            bars["high"].append(high)
            bars["sizes"].append(size)
            results.append(
                MetricResult(
                    FAMILY,
                    f"{prefix}/accuracy/{safe_name(label)}",
                    float(values[g]),
                    low,
                    high,
                    direction="max",
                    n=size,
                    split=split,
                    ci_level=ctx.ci_level,
                    definition=f"accuracy within the group {attribute}={label}",
                    note=note,
                )
            )
        if cfg.get("plots", True):
            ctx.artifacts[f"plots/accuracy_by_{prefix}.png"] = group_bars(
                attribute,
                [str(v) for v in labels],
                values,
                bars["low"],
                bars["high"],
                bars["sizes"],
            )
    for name, entries in worst.items():
        point = (
            max(v for v, _ in entries if v is not None)
            if any(v is not None for v, _ in entries)
            else None
        )
        low, high = ctx.interval(np.nanmax(np.stack([r for _, r in entries]), axis=0))
        results.insert(
            0,
            MetricResult(
                FAMILY,
                name,
                point,
                low,
                high,
                direction=M.METRICS[name].direction,
                n=len(y),
                split=split,
                ci_level=ctx.ci_level,
                definition=f"max over sensitive attributes {task.sensitive_names} of {name}",
            ),
        )
    return SuiteResult(FAMILY, "ok", metrics=results, notes=notes)
