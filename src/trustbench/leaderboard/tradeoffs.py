"""Two-metric trade-offs: which rows have both metrics, and the Pareto front among them.

Each axis is the first candidate key (fnmatch pattern) present in the runs, and a candidate
the ranking uses wins over one it does not (:func:`first_present` with ``preferred``): the
explanation-faithfulness plot then shows the explainer whose deletion AUC the ranking
counts (``explainability/ablation/deletion_auc`` on a board of scikit-learn models, even when
the config lists ``saliency`` first for torch models), not another explainer's, nor the
``random`` control, which the ranking leaves out.
"""

from __future__ import annotations

import fnmatch
import math
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
    x_range: tuple[float | None, float | None] = (None, None)
    y_range: tuple[float | None, float | None] = (None, None)


def _bound(value: float) -> float | None:
    return None if math.isinf(value) else float(value)


def metric_range(meta: MetricMeta) -> tuple[float | None, float | None]:
    """A metric's registered range as ``(low, high)``, None for an unbounded end (JSON has no
    infinity)."""
    return _bound(meta.lower), _bound(meta.upper)


def _widened(pattern: str) -> str | None:
    """``pattern`` with its middle parts (an explainer, an attack) as ``*``:
    ``explainability/saliency/deletion_auc`` -> ``explainability/*/deletion_auc``."""
    parts = pattern.split("/")
    if len(parts) < 3:
        return None
    return "/".join([parts[0], "*", parts[-1]])


def _first(patterns: Sequence[str], keys: Sequence[str], rows: Sequence[Row]) -> str | None:
    for pattern in patterns:
        found = [k for k in keys if fnmatch.fnmatchcase(k, pattern)]
        if found:
            return max(sorted(found), key=lambda k: sum(k in r.cells for r in rows))
    return None


def first_present(
    candidates: Sequence[str],
    metas: Mapping[str, MetricMeta],
    rows: Sequence[Row],
    preferred: Sequence[str] = (),
) -> str | None:
    """The first candidate (fnmatch pattern) that matches a key some row has, else None;
    a pattern matching several keys takes the key most rows have (then the first by name).

    Keys in ``preferred`` (the ranking metrics) come first: the candidates are tried on them,
    then the candidates widened to any middle part (``explainability/*/deletion_auc``: the
    ranked explainer even when the list names another), and only then on every key.
    """
    ranked = [k for k in metas if metas[k].ranks]
    chosen = set(preferred)
    widened = [w for c in candidates if (w := _widened(c)) is not None]
    return _first(list(candidates) + widened, [k for k in ranked if k in chosen], rows) or _first(
        candidates, ranked, rows
    )


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
    ranking_keys: Sequence[str] = (),
) -> Tradeoff | None:
    """Build one trade-off from the first present candidates (the ranking's own metrics
    first, see :func:`first_present`), or None when either is absent."""
    x_key = first_present(x_candidates, metas, rows, ranking_keys)
    y_key = first_present(y_candidates, metas, rows, ranking_keys)
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
    return Tradeoff(
        name,
        title,
        x_key,
        y_key,
        xd,
        yd,
        points,
        metric_range(metas[x_key]),
        metric_range(metas[y_key]),
    )
