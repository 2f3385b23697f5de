"""What the MLflow UI shows of a run at a glance: its dataset inputs and summary tags.

- **Inputs** (``mlflow.log_input``'s records, the run table's *Dataset* column): one dataset
  per split, ``<dataset>-<split>`` (``heart-train``, ``heart-test``, ``heart-ood``), with the
  data fingerprint's first 12 hex digits as digest (the one the run's log prints), the split
  as context and its row count as profile. The source is the CSV file
  for ``dataset=csv``, the data's DOI where the loader documents one, else the trustbench
  loader itself.
- **Summary tags** ``summary.<family>``: the first metric the leaderboard ranks in each
  family compared by sweeps (:func:`trustbench.reporting.sweep_table.compared_keys`) with its
  interval, e.g. ``summary.performance = accuracy 0.884 [0.837, 0.922]``; the run table can
  show them as columns. The run's description (``mlflow.note.content``) holds the console's
  headline rows as a Markdown table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trustbench.metrics.spec import FAMILIES, arrow
from trustbench.report import TrustReport
from trustbench.reporting.console import ROWS_PER_FAMILY, summary_rows
from trustbench.reporting.numbers import compact, compact_interval
from trustbench.reporting.sweep_table import compared_keys

CONTEXT_TAG = "mlflow.data.context"
NOTE_TAG = "mlflow.note.content"


def _source(report: TrustReport, config: Mapping[str, Any] | None) -> tuple[str, str]:
    """``(source_type, source JSON)`` of the run's data."""
    dataset = dict((config or {}).get("dataset") or {})
    path = dataset.get("path")
    if path not in (None, "", "???"):
        return "local", json.dumps({"uri": Path(str(path)).expanduser().resolve().as_uri()})
    doi = (report.run.get("data") or {}).get("doi")
    if doi:
        return "http", json.dumps({"url": f"https://doi.org/{doi}"})
    name = report.run.get("dataset", "?")
    return "code", json.dumps({"tags": {"trustbench.dataset": str(name)}})


def dataset_inputs(report: TrustReport, config: Mapping[str, Any] | None = None) -> list[Any]:
    """One ``mlflow.entities.DatasetInput`` per split of the run's data (empty without
    split sizes)."""
    from mlflow.entities import Dataset, DatasetInput, InputTag

    source_type, source = _source(report, config)
    name = str(report.run.get("dataset", "dataset"))
    digest = str(report.run.get("fingerprint", ""))[:12] or "unknown"
    inputs = []
    for split, rows in (report.run.get("n") or {}).items():
        dataset = Dataset(
            name=f"{name}-{split}",
            digest=digest,
            source_type=source_type,
            source=source,
            profile=json.dumps({"num_rows": int(rows), "split": str(split)}),
        )
        inputs.append(DatasetInput(dataset, tags=[InputTag(CONTEXT_TAG, str(split))]))
    return inputs


def summary_tags(report: TrustReport) -> dict[str, str]:
    """``summary.<family>`` tags and the run description (see the module docstring)."""
    tags = {}
    values = report.values()
    for key in compared_keys():
        if values.get(key) is None:
            continue
        metric = report[key]
        interval = compact_interval(metric.ci_low, metric.ci_high)
        text = f"{metric.name} {compact(metric.value)} {interval}".strip()
        tags[f"summary.{metric.family}"] = text
    lines = ["| family | metric | value | 95% CI | |", "|---|---|---|---|---|"]
    for family in FAMILIES:
        suite = report.suites.get(family)
        if suite is None or suite.status != "ok":
            continue
        for metric in summary_rows(family, suite.metrics, ROWS_PER_FAMILY):
            name = metric.name + (f" (worst: {metric.worst_of})" if metric.worst_of else "")
            cells = [family, name, compact(metric.value)]
            cells += [compact_interval(metric.ci_low, metric.ci_high), arrow(metric.direction)]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    tags[NOTE_TAG] = "Headline metrics (all metrics: trust_card.html)\n\n" + "\n".join(lines)
    return tags
