"""Terminal output: progress lines and the end-of-run summary table (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trustbench.metrics.spec import arrow

if TYPE_CHECKING:
    from trustbench.report import TrustReport


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def print_summary(
    report: TrustReport, console: Console | None = None, max_rows_per_family: int = 12
) -> None:
    """One table: family, metric, value, CI, direction (each family's metrics in suite order,
    which puts its headlines first); then the positive class of a binary task, one line per
    suite status and one per suite warning."""
    from trustbench.report import FAMILIES

    # Logs and CI are not terminals (rich assumes 80 columns there): keep metric names whole.
    console = console or Console(width=max(Console().width, 120))
    run = report.run
    title = (
        f"trustbench · {run.get('dataset', '?')} · {run.get('model', '?')} · "
        f"{run.get('trainer', '?')} · seed {run.get('seed', '?')}"
    )
    table = Table(title=title, show_lines=False)
    table.add_column("family")
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("", justify="center")
    for family in FAMILIES:
        suite = report.suites.get(family)
        if suite is None:
            continue
        if suite.status != "ok":
            table.add_row(family, f"[dim]{suite.status}[/dim]", "", "", "", end_section=True)
            continue
        shown = suite.metrics[:max_rows_per_family]
        for i, metric in enumerate(shown):
            ci = "" if metric.ci_low is None else f"[{_fmt(metric.ci_low)}, {_fmt(metric.ci_high)}]"
            table.add_row(
                family if i == 0 else "",
                metric.name,
                _fmt(metric.value),
                ci,
                arrow(metric.direction),
                end_section=i == len(shown) - 1,
            )
        hidden = len(suite.metrics) - len(shown)
        if hidden > 0:
            table.add_row("", f"[dim]… {hidden} more in trust_report.json[/dim]", "", "", "")
    console.print(table)
    if run.get("positive_class"):
        console.print(escape(str(run["positive_class"])))
    for family in FAMILIES:
        suite = report.suites.get(family)
        if suite is not None and suite.status != "ok":
            console.print(
                f"[yellow]{family}[/yellow]: {suite.status} — {escape(str(suite.reason))}"
            )
        for warning in suite.warnings if suite is not None else ():
            console.print(f"[yellow]{family} warning[/yellow]: {escape(warning)}")
