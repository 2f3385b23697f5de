"""Terminal output: the end-of-run summary table (rich).

The table holds each family's headline metrics (their registry entries say which, and in
what order), so it stays short and reads at 80 columns: one section per family, the metric
names fold if they must, values and intervals never wrap (:mod:`trustbench.reporting.numbers`
writes them in at most 8 characters). A worst case over attributes, groups or sites names the
one behind it; every explainer stands beside the ``random`` control; a DP run's epsilon and
delta lead the privacy rows. Every other metric is on the trust card and in
``trust_report.json``, whose path closes the output with the MLflow run id.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trustbench.metrics import REGISTRY
from trustbench.metrics.spec import FAMILIES, arrow
from trustbench.reporting.numbers import compact, compact_interval

if TYPE_CHECKING:
    from trustbench.report import MetricResult, TrustReport

#: Headline rows per family (explainability: every explainer of its first two headlines).
ROWS_PER_FAMILY = 8
CONTROL = "random"
LEGEND = "↑ higher is better · ↓ lower is better · →x x is ideal · · descriptive"


def _headline_groups(family: str, metrics: list[MetricResult]) -> list[list[MetricResult]]:
    """The family's computed headline metrics (logged under their spec's primary key),
    grouped by spec in registry order, each group in run order."""
    order = {spec: i for i, spec in enumerate(REGISTRY.headlines(family))}
    by_spec: dict[int, list[MetricResult]] = {}
    for metric in metrics:
        found = REGISTRY.resolve(metric.key)
        if found is not None and found.primary and found.spec in order:
            by_spec.setdefault(order[found.spec], []).append(metric)
    return [by_spec[rank] for rank in sorted(by_spec)]


def summary_rows(family: str, metrics: list[MetricResult], limit: int) -> list[MetricResult]:
    """The rows the console shows for one family, at most ``limit``: the first value of each
    headline metric in registry order, then the second of each, and so on (one row per
    headline before any repeats it for another split or attack). Explainability instead shows
    its first two headline metrics for every explainer, the ``random`` control last. An
    undefined value (its note says why) is left to the trust card; a family without headline
    values shows its first metrics."""
    groups = [[m for m in g if m.value is not None] for g in _headline_groups(family, metrics)]
    groups = [g for g in groups if g]
    if family == "explainability":
        rows = []
        for group in groups[:2]:
            rows += [m for m in group if not m.name.startswith(f"{CONTROL}/")]
            rows += [m for m in group if m.name.startswith(f"{CONTROL}/")]
        return rows or metrics[:limit]
    rows = [g[i] for i in range(max(map(len, groups), default=0)) for g in groups if i < len(g)]
    return (rows or metrics)[:limit]


def _label(metric: MetricResult) -> Text:
    text = Text(metric.name)
    if metric.worst_of:
        text.append(f" worst: {metric.worst_of}", style="dim")
    elif metric.name.startswith(f"{CONTROL}/"):
        text.append(" (control)", style="dim")
    return text


def summary_table(report: TrustReport, rows_per_family: int = ROWS_PER_FAMILY) -> Table:
    """The headline table of ``report``: a section per family, a row per headline metric."""
    run = report.run
    title = (
        f"trustbench · {run.get('dataset', '?')} · {run.get('model', '?')} · "
        f"{run.get('trainer', '?')} · seed {run.get('seed', '?')}"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    table.add_column("metric", overflow="fold", ratio=1)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    table.add_column("", justify="left", no_wrap=True)
    for family in FAMILIES:
        suite = report.suites.get(family)
        if suite is None:
            continue
        status = "" if suite.status == "ok" else f" ({suite.status})"
        table.add_row(Text(family + status, style="bold"), "", "", "")
        shown = summary_rows(family, suite.metrics, rows_per_family) if suite.status == "ok" else []
        for i, metric in enumerate(shown):
            table.add_row(
                _label(metric),
                compact(metric.value),
                compact_interval(metric.ci_low, metric.ci_high),
                arrow(metric.direction),
                end_section=i == len(shown) - 1,
            )
    return table


def print_summary(
    report: TrustReport,
    console: Console | None = None,
    max_rows_per_family: int = ROWS_PER_FAMILY,
    *,
    run_id: str | None = None,
    trust_card: str | Path | None = None,
) -> None:
    """Print the headline table, the direction legend, the positive class of a binary task,
    one line per suite status and per warning, then where everything else is: the trust card
    (``trust_card``, a path or URI) and the MLflow run (``run_id``)."""
    console = console or Console()
    console.print(summary_table(report, max_rows_per_family))
    console.print(Text(LEGEND, style="dim"))
    run = report.run
    if run.get("positive_class"):
        console.print(Text(str(run["positive_class"])))
    for family in FAMILIES:
        suite = report.suites.get(family)
        if suite is None:
            continue
        if suite.status != "ok":
            console.print(Text.assemble((family, "yellow"), f": {suite.status} — {suite.reason}"))
        for warning in suite.warnings:
            console.print(Text.assemble((f"{family} warning", "yellow"), f": {warning}"))
    total = len(report.metrics())
    # paths and ids are never broken across lines: they are copied and pasted
    if trust_card is not None:
        console.print(f"all {total} metrics, plots and warnings:")
        console.print(Text(f"trust card {trust_card}"), soft_wrap=True)
    run_id = run_id or run.get("mlflow_run_id")
    if run_id:
        where = f" in {run['tracking_uri']}" if run.get("tracking_uri") else ""
        console.print(Text(f"MLflow run {run_id}{where}"), soft_wrap=True)
