"""The table a sweep ends with: one row per job, the headline metric of each family that
the leaderboard ranks first, so N jobs are compared in one glance instead of N full tables.

The jobs' reports are read from their output folders (``<sweep dir>/<job>/artifacts/
trust_report.json``) and labelled by their Hydra overrides (``<job>/.hydra/overrides.yaml``).
A job that left no report (it failed, or was skipped by ``resume=true``) has a row saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trustbench.metrics import REGISTRY
from trustbench.metrics.spec import arrow
from trustbench.report import TrustReport
from trustbench.reporting.numbers import compact, compact_interval

#: The families compared (one column each), by the first metric the leaderboard ranks.
COMPARED = ("performance", "fairness", "generalization", "privacy")


def compared_keys() -> list[str]:
    """The first ranking key of each family in :data:`COMPARED` (no wildcard keys)."""
    keys = []
    for family in COMPARED:
        ranked = [p for p in REGISTRY.ranking_patterns() if p.startswith(f"{family}/")]
        plain = [p for p in ranked if "*" not in p]
        if plain:
            keys.append(plain[0])
    return keys


def _header(key: str, width: int = 16) -> str:
    """``family`` over the metric name broken after underscores into lines of ``width``."""
    family, name = key.split("/", 1)
    lines = [""]
    for part in name.replace("_", "_\0").split("\0"):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    direction = arrow(REGISTRY.require(key).spec.direction)
    return "\n".join([family, *lines[:-1], f"{lines[-1]} {direction}"])


def read_jobs(sweep_dir: Path) -> list[tuple[str, list[str], TrustReport | None]]:
    """``(job number, overrides, report)`` of every job folder of a sweep, in job order; the
    report is None where the job left none."""
    jobs = []
    folders = [p for p in Path(sweep_dir).iterdir() if p.is_dir() and p.name.isdigit()]
    for folder in sorted(folders, key=lambda p: int(p.name)):
        overrides_file = folder / ".hydra" / "overrides.yaml"
        overrides = []
        if overrides_file.is_file():
            overrides = yaml.safe_load(overrides_file.read_text(encoding="utf-8")) or []
        report_file = folder / "artifacts" / "trust_report.json"
        report = None
        if report_file.is_file():
            report = TrustReport.from_json(report_file.read_text(encoding="utf-8"))
        jobs.append((folder.name, [str(o) for o in overrides], report))
    return jobs


def comparison_table(jobs: Sequence[tuple[str, list[str], TrustReport | None]]) -> Table:
    """One row per job: the overrides that differ between jobs (those common to all are in
    the title), then value and 95% CI of each :func:`compared_keys` some job computed."""
    reports = [report for _, _, report in jobs if report is not None]
    keys = [k for k in compared_keys() if any(k in r.values() for r in reports)]
    common = set.intersection(*(set(o) for _, o, _ in jobs)) if jobs else set()
    shared = [o for o in (jobs[0][1] if jobs else []) if o in common]
    title = f"sweep of {len(jobs)} jobs" + (f" · {' '.join(shared)}" if shared else "")
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    table.add_column("job", overflow="fold", ratio=1)
    for key in keys:
        table.add_column(_header(key), justify="right", no_wrap=True)
    for number, overrides, report in jobs:
        label = Text(f"#{number} " + (" ".join(o for o in overrides if o not in common) or "-"))
        if report is None:
            table.add_row(label, *(["no result"] + [""] * (len(keys) - 1)), end_section=True)
            continue
        values = report.values()
        cells = []
        for key in keys:
            if values.get(key) is None:
                cells.append("—")
                continue
            metric = report[key]
            interval = compact_interval(metric.ci_low, metric.ci_high)
            cells.append(
                f"{compact(metric.value)}\n{interval}" if interval else compact(metric.value)
            )
        table.add_row(label, *cells, end_section=True)
    return table


def print_comparison(sweep_dir: Path, console: Console | None = None) -> int:
    """Print the comparison table of the sweep in ``sweep_dir``; returns the number of jobs
    (0: nothing printed)."""
    jobs = read_jobs(sweep_dir) if Path(sweep_dir).is_dir() else []
    if jobs:
        console = console or Console()
        console.print(comparison_table(jobs))
        console.print(
            Text(f"each job's headlines: its trust card, {sweep_dir}/<job>/artifacts", style="dim")
        )
    return len(jobs)
