"""Chunked bootstrap replicates change no reported number (values of commit 2d915d5)."""

from __future__ import annotations

import json
import math

import pytest
from scores_fixture import FIXTURE, score_values

from trustbench.metrics.weights import chunk_memory


def _differences(expected: dict, found: dict) -> list[str]:
    out = [f"missing {k}" for k in sorted(set(expected) - set(found))]
    out += [f"new {k}" for k in sorted(set(found) - set(expected))]
    for key in sorted(set(expected) & set(found)):
        for a, b in zip(expected[key], found[key], strict=True):
            same = (a is None and b is None) or (
                a is not None
                and b is not None
                and (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (a != a and b != b))
            )
            if not same:
                out.append(f"{key}: expected {expected[key]}, got {found[key]}")
                break
    return out


@pytest.mark.parametrize("chunk_mb", [None, 0.25], ids=["default-chunks", "few-replicates-a-chunk"])
def test_every_value_and_interval_is_unchanged(chunk_mb, monkeypatch):
    from trustbench.metrics import weights

    expected = json.loads(FIXTURE.read_text())
    monkeypatch.setattr(weights, "_MIN_CHUNK_ROWS", 1)  # chunks as small as the budget says
    if chunk_mb is None:
        found = score_values()
    else:
        with chunk_memory(chunk_mb):  # 0.25 MiB: 4096 elements, a few replicates a chunk
            found = score_values()
    assert len(expected) > 300
    assert _differences(expected, found) == []
