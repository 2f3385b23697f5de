"""Rewrite docs/metrics.md from the metric registry: ``python scripts/metric_tables.py``."""

from __future__ import annotations

from pathlib import Path

from trustbench.reporting.metric_tables import metric_catalogue

if __name__ == "__main__":
    path = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"
    path.write_text(metric_catalogue())
    print(f"wrote {path}")
