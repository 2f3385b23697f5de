"""Two-metric trade-offs: which rows have both metrics, and the Pareto front among them."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trustbench.leaderboard.aggregate import Row
from trustbench.leaderboard.directions import MetricMeta, clip_to_range, oriented


@dataclass
class TradeoffPoint:
    config_id: str
    label: str
    x: float
    x_low: float | None
    x_high: float | None
    y: float
    y_low: float | None
    y_high: float | None
    on_front: bool


@dataclass
class Tradeoff:
    """One plot: a title, the chosen keys, their directions and the points."""

    name: str
    title: str
    x_key: str
    y_key: str
    x_direction: str
    y_direction: str
    points: list[TradeoffPoint]


def first_present(
    candidates: Sequence[str], metas: Mapping[str, MetricMeta], rows: Sequence[Row]
) -> str | None:
    """The first candidate (fnmatch pattern) that matches a key some row has, else None;
    a pattern matching several keys takes the key most rows have (then the first by name)."""
    for pattern in candidates:
        keys = [k for k in metas if fnmatch.fnmatchcase(k, pattern) and metas[k].ranks]
        if keys:
            return max(sorted(keys), key=lambda k: sum(k in r.cells for r in rows))
    return None


def pareto_front(x: np.ndarray, y: np.ndarray, x_dir: str, y_dir: str) -> np.ndarray:
    """Boolean mask of the points no other point dominates (directions applied)."""
    ox, oy = oriented(np.asarray(x, float), x_dir), oriented(np.asarray(y, float), y_dir)
    ge = (ox[None, :] >= ox[:, None]) & (oy[None, :] >= oy[:, None])
    gt = (ox[None, :] > ox[:, None]) | (oy[None, :] > oy[:, None])
    return ~(ge & gt).any(axis=1)


def tradeoff(
    name: str,
    title: str,
    x_candidates: Sequence[str],
    y_candidates: Sequence[str],
    rows: Sequence[Row],
    metas: Mapping[str, MetricMeta],
) -> Tradeoff | None:
    """Build one trade-off from the first present candidates, or None when either is absent."""
    x_key = first_present(x_candidates, metas, rows)
    y_key = first_present(y_candidates, metas, rows)
    if x_key is None or y_key is None:
        return None
    both = [r for r in rows if x_key in r.cells and y_key in r.cells]
    if not both:
        return None
    xs = np.array([r.cells[x_key].mean for r in both])
    ys = np.array([r.cells[y_key].mean for r in both])
    xd, yd = metas[x_key].direction, metas[y_key].direction
    front = pareto_front(xs, ys, xd, yd)
    points = [
        TradeoffPoint(
            r.config_id,
            r.label,
            r.cells[x_key].mean,
            clip_to_range(r.cells[x_key].ci_low, x_key),
            clip_to_range(r.cells[x_key].ci_high, x_key),
            r.cells[y_key].mean,
            clip_to_range(r.cells[y_key].ci_low, y_key),
            clip_to_range(r.cells[y_key].ci_high, y_key),
            bool(f),
        )
        for r, f in zip(both, front, strict=True)
    ]
    return Tradeoff(name, title, x_key, y_key, xd, yd, points)
