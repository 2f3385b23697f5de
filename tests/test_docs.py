"""The docs restate no metric fact the registry does not hold."""

from __future__ import annotations

import math
import re
from pathlib import Path

from trustbench.metrics import REGISTRY
from trustbench.metrics.spec import arrow
from trustbench.reporting.metric_tables import metric_catalogue

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_metric_catalogue_page_is_current():
    assert (DOCS / "metrics.md").read_text() == metric_catalogue(), (
        "docs/metrics.md is stale: run python scripts/metric_tables.py"
    )


def _bound(text: str) -> float:
    return math.inf if text == "inf" else -math.inf if text == "-inf" else float(text)


def _tables(text: str):
    """(header cells, row cells) of every Markdown table row in ``text``."""
    header = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if header is None:
            header = cells
        elif not set(line) <= set("|-: "):
            yield header, cells


def test_family_pages_agree_with_the_registry_on_range_and_direction():
    checked = 0
    for page in sorted(DOCS.glob("*.md")):
        if page.name == "metrics.md":
            continue
        for header, cells in _tables(page.read_text()):
            if "range" not in header or "dir" not in header or len(cells) != len(header):
                continue
            name = cells[0].strip("`")
            specs = [s for s in REGISTRY if s.name == name]
            if not specs:
                continue
            try:
                bounds = cells[header.index("range")].strip("[]()").split(",")
                low, high = (_bound(x.strip()) for x in bounds)
            except ValueError:  # a range the page states more finely (e.g. [0, 1 - 1/d])
                continue
            shown = cells[header.index("dir")]
            assert any(
                (s.lower, s.upper) == (low, high) and arrow(s.direction) == shown for s in specs
            ), f"{page.name}: {name} shows {cells[header.index('range')]} {shown}"
            checked += 1
    assert checked >= 15
