"""Data suite: audit the dataset before a model trained on it is trusted (docs/data.md).

Two parts. :func:`audit_data` needs no model: it runs before training (the ``trustbench``
command prints its warnings before the model is fit) and measures

- duplicates within each split, exact and near twins of test/ood rows in train, conflicting
  labels (:mod:`~trustbench.suites.data.leakage`);
- representation, prevalence and missingness per sensitive group and per site, on train
  (:mod:`~trustbench.suites.data.groups`);
- single-column and site shortcuts, a domain classifier per split, and label issues by
  confident learning, each cross-fitted on train only (:mod:`~trustbench.suites.data.models`);
- per-feature drift from train to test and ood (:mod:`~trustbench.suites.data.drift`);
- the dataset card: documented facts and these measured ones (``data/card.json``).

:func:`data_suite` then adds what needs the model: its AUC on the test/ood rows without a
twin in train, and how much the twins inflate the full split's AUC.

Artifacts: ``data/card.json``, ``data/drift.parquet``, ``data/representation.parquet``,
``data/shortcuts.parquet``, ``data/label_issues.parquet``, ``data/twins.parquet`` (the
test/ood rows with a twin), ``data/sites.parquet`` (image tasks: intensity statistics per
scanner), ``plots/data_drift.png``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from threadpoolctl import threadpool_limits

from trustbench.data.card import documented_card
from trustbench.data.task import TaskData
from trustbench.metrics import REGISTRY
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import ScoringContext
from trustbench.suites.data.config import DataConfig
from trustbench.suites.data.drift import drift_results, site_statistics
from trustbench.suites.data.groups import group_results
from trustbench.suites.data.inputs import data_inputs
from trustbench.suites.data.leakage import leakage_results, twin_inflation
from trustbench.suites.data.models import domain_results, label_results, shortcut_results

__all__ = ["DataAudit", "audit_data", "data_suite"]

FAMILY = "data"
#: Below this many rows (every split together) the audit's model fits use one thread.
SINGLE_THREAD_ROWS = 20_000


@dataclass
class DataAudit:
    """What :func:`audit_data` found: the model-free part of the data suite's result."""

    metrics: list[MetricResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)
    twins: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def audit_data(task: TaskData, config: Any, seed: int = 0) -> DataAudit:
    """Audit ``task`` with the data suite's model-free checks.

    Parameters
    ----------
    task : TaskData
    config : SuiteConfig
        The whole typed suite config (the data section, and the bootstrap behind intervals).
    seed : int
        Seeds the bootstrap, the cross-fitting folds and any row subsets.

    Returns
    -------
    DataAudit
    """
    rows = sum(len(split) for split in task.splits.values())
    # Small models on small data: threads only add overhead (10x on a busy 2-core machine).
    limit = 1 if rows < SINGLE_THREAD_ROWS else None
    with threadpool_limits(limits=limit):
        return _audit(task, config, seed)


def _audit(task: TaskData, config: Any, seed: int) -> DataAudit:
    start = time.perf_counter()
    cfg: DataConfig = config.data
    ctx = ScoringContext(model=None, task=task, proba={}, config=config, seed=seed)
    inputs = data_inputs(task)
    audit = DataAudit()
    leakage = leakage_results(task, inputs, cfg, seed)
    audit.metrics += leakage.metrics
    audit.warnings += leakage.warnings
    audit.notes += leakage.notes
    audit.twins = leakage.twins
    if leakage.table is not None:
        audit.artifacts["data/twins.parquet"] = leakage.table
    metrics, warnings, table = group_results(ctx, cfg)
    audit.metrics += metrics
    audit.warnings += warnings
    if len(table):
        audit.artifacts["data/representation.parquet"] = table
    metrics, warnings, table = shortcut_results(ctx, inputs, cfg)
    audit.metrics += metrics
    audit.warnings += warnings
    audit.artifacts["data/shortcuts.parquet"] = table
    metrics, notes, table = drift_results(inputs)
    audit.metrics += metrics
    audit.notes += notes
    if len(table):
        audit.artifacts["data/drift.parquet"] = table
    table, notes = site_statistics(task, inputs)
    audit.notes += notes
    if table is not None:
        audit.artifacts["data/sites.parquet"] = table
    metrics, warnings = domain_results(ctx, inputs, cfg)
    audit.metrics += metrics
    audit.warnings += warnings
    if cfg.label_issues and not inputs.image:
        metrics, warnings, table = label_results(ctx, inputs, cfg)
        audit.metrics += metrics
        audit.warnings += warnings
        audit.artifacts["data/label_issues.parquet"] = table
    elif cfg.label_issues:
        audit.notes.append(
            "data: label issues not searched: confident learning needs a model of the pixels, "
            "which the data suite does not train (image task)"
        )
    if cfg.plots:
        from trustbench.suites.data.plots import drift_plot

        figure = drift_plot(audit.artifacts.get("data/drift.parquet"))
        if figure is not None:
            audit.artifacts["plots/data_drift.png"] = figure
    audit.seconds = time.perf_counter() - start
    return audit


def data_card(task: TaskData, audit: DataAudit) -> dict[str, Any]:
    """``data/card.json``: the documented facts (:func:`~trustbench.data.card.documented_card`)
    and the measured ones (every data metric, the warnings)."""
    card = documented_card(task.name, task.metadata)
    card["measured"] = {
        "splits": {name: len(split) for name, split in task.splits.items()},
        "classes": list(task.classes),
        "target": task.target,
        "features": {f.name: f.kind for f in task.features},
        "sensitive_attributes": list(task.sensitive_names),
        "metrics": {
            m.key: {"value": m.value, "ci": [m.ci_low, m.ci_high], "n": m.n, "what": m.definition}
            for m in audit.metrics
        },
        "warnings": list(audit.warnings),
    }
    return card


def headlines_first(metrics: list[MetricResult]) -> list[MetricResult]:
    """``metrics`` with the registry's headline metrics first (in registry order), then the
    rest in the order the checks produced them: the console shows a family's first rows."""
    order = {spec: i for i, spec in enumerate(REGISTRY.headlines(FAMILY))}

    def rank(item: tuple[int, MetricResult]) -> tuple[int, int]:
        found = REGISTRY.resolve(item[1].key)
        spec = None if found is None or not found.primary else found.spec
        return (order.get(spec, len(order)), item[0])

    return [metric for _, metric in sorted(enumerate(metrics), key=rank)]


def data_suite(ctx: ScoringContext, cfg: DataConfig) -> SuiteResult:
    """The data suite: the audit (``ctx.data_audit`` when it ran before training, else now)
    plus the model's AUC without the test/ood rows that have a twin in train."""
    audit = ctx.data_audit
    if audit is None:
        audit = audit_data(ctx.task, ctx.config, ctx.seed)
    inflation, notes = twin_inflation(ctx, audit.twins)
    ctx.artifacts.update(audit.artifacts)
    ctx.artifacts["data/card.json"] = json.dumps(data_card(ctx.task, audit), indent=2, default=str)
    return SuiteResult(
        FAMILY,
        "ok",
        metrics=headlines_first([*audit.metrics, *inflation]),
        notes=[*audit.notes, *notes],
        warnings=list(audit.warnings),
    )
