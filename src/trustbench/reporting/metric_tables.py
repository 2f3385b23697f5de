"""The metric catalogue as Markdown, written from the metric registry (``docs/metrics.md``).

``python scripts/metric_tables.py`` rewrites the file; a test fails when it is stale, so the
docs never restate a direction, range or definition the registry does not hold.
"""

from __future__ import annotations

import math

from trustbench.metrics import REGISTRY
from trustbench.metrics.spec import FAMILIES, NEEDS, MetricSpec, arrow

HEADER = """# Metric catalogue

Generated from the metric registry (`trustbench/metrics/specs/`) by
`python scripts/metric_tables.py`; do not edit by hand. Every logged key reads
`<family>/<scope...>/<metric>`, the metric last; a key template's `{placeholders}` are one path
component each (`{metric}` is the metric's name). Directions: ↑ higher is better, ↓ lower is
better, →x the ideal value is x, · descriptive (no better direction; never ranked). **H** marks
a headline of its family (console, trust card); **R** a metric the leaderboard ranks on by
default. "ci" is the interval method (docs/intervals.md: `jeffreys` for a rate with its
denominator, `bc` bias-corrected bootstrap, `recentred`, `percentile` bootstrap). The family
pages (docs/) give the longer formulas, references and caveats.
"""


def _bound(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(spec: MetricSpec) -> str:
    keys = "<br>".join(f"`{_cell(k)}`" for k in spec.keys)
    flags = " ".join(f for f, on in (("H", spec.headline), ("R", bool(spec.rank))) if on)
    needs = ", ".join(sorted(spec.needs))
    return (
        f"| `{_cell(spec.name)}` | {keys} | {arrow(spec.direction)} | "
        f"[{_bound(spec.lower)}, {_bound(spec.upper)}] | {_cell(spec.definition)} | {needs} | "
        f"{spec.interval} | {flags} |"
    )


def metric_catalogue() -> str:
    """The whole catalogue page, one table per family, in registry order."""
    parts = [HEADER]
    for family in FAMILIES:
        parts.append(f"\n## {family}\n")
        parts.append("| metric | key templates | dir | range | definition | needs | ci | |")
        parts.append("|---|---|---|---|---|---|---|---|")
        parts.extend(_row(spec) for spec in REGISTRY.family(family))
    parts.append("\n## What a metric can need\n")
    parts.append("| need | meaning |")
    parts.append("|---|---|")
    parts.extend(f"| `{name}` | {text} |" for name, text in NEEDS.items())
    return "\n".join(parts) + "\n"
