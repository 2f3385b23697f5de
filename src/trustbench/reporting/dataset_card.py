"""The trust card's "Dataset card" section, from ``data/card.json`` (the data suite's card):
the documented facts, every unknown shown as "not documented", and the datasheet and Croissant
RAI fields folded below them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from trustbench.reporting.html_base import e

__all__ = ["dataset_card_html", "load_dataset_card"]

MISSING = '<span class="small">not documented</span>'


def load_dataset_card(source: Any) -> dict[str, Any] | None:
    """The card as a dict from its JSON text (an artifact) or a dict; None when absent or
    not a card."""
    if source is None:
        return None
    if isinstance(source, str | bytes):
        try:
            source = json.loads(source)
        except ValueError:
            return None
    return dict(source) if isinstance(source, Mapping) and "documented" in source else None


def _value(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, Mapping):
        if not value:
            return "none"
        return "<br>".join(f"{e(k)}: {e(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(e(v) for v in value) if value else "none"
    return e(value)


def _rows(items: Mapping[str, Any]) -> str:
    rows = "".join(
        f'<tr><th class="label">{e(key)}</th><td class="label wrap">{_value(value)}</td></tr>'
        for key, value in items.items()
    )
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def dataset_card_html(card: Mapping[str, Any] | None) -> str:
    """The section's HTML (empty when the run has no dataset card)."""
    if not card:
        return ""
    documented = card.get("documented") or {}
    known = sum(value is not None for value in documented.values())
    out = [
        f'<h2>Dataset card</h2><p class="meta">{known} of {len(documented)} documented facts '
        "are stated by the dataset's source; the data family above holds what was measured "
        "(data/card.json has both).</p>",
        _rows(documented),
    ]
    for section, fields in (card.get("datasheet") or {}).items():
        filled = sum(v is not None for v in fields.values())
        out.append(
            f"<details><summary>Datasheet · {e(section)} ({filled} of {len(fields)})</summary>"
            f"{_rows(fields)}</details>"
        )
    rai = card.get("croissant_rai") or {}
    if rai:
        filled = sum(v is not None for v in rai.values())
        out.append(
            f"<details><summary>Croissant RAI ({filled} of {len(rai)})</summary>{_rows(rai)}"
            "</details>"
        )
    return "".join(out)
