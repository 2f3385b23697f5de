"""Metric-name hygiene: MLflow allows letters, digits, ``_ - . /`` and spaces only."""

from __future__ import annotations

import re

_WORDS = {"<": "lt", ">": "gt", "+": "plus", "=": "eq", "%": "pct", "@": "at"}


def safe_name(text: object) -> str:
    """Make a group or attribute label usable inside an MLflow metric key.

    ``<50`` becomes ``lt50``, ``60+`` becomes ``60plus``; any other disallowed character
    becomes ``_``. Slashes are replaced too, so a label never adds a level to the key.
    """
    text = str(text)
    for char, word in _WORDS.items():
        text = text.replace(char, word)
    return re.sub(r"[^A-Za-z0-9_\-. ]", "_", text).strip() or "_"
