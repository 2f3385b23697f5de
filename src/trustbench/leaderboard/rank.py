"""Rank configurations several ways, with rank intervals from a bootstrap over seeds.

Only rows with every ranking metric (full coverage) are ranked; the others are listed apart.
The primary ranking (``win_rate`` by default) orders the table; its rank interval comes from
``n_bootstrap`` replicates in which each row's seeds are resampled with replacement and each
resampled mean gets Gaussian within-run noise of variance ``mean(w_i) / n`` (the within-run
part of the aggregate CI); the 2.5 and 97.5 percentiles of the replicate ranks form the
interval. Rows whose intervals overlap (chained in rank order) form a tie group, shown as
``"first-last (tie)"``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from trustbench.errors import ConfigError
from trustbench.leaderboard import scores
from trustbench.leaderboard.aggregate import Cell, Row
from trustbench.leaderboard.directions import MetricMeta

PRIMARY = ("win_rate", "normalised_score", "average_rank")


@dataclass
class RankedRow:
    """The rankings of one fully covered row."""

    config_id: str
    position: int
    rank: int
    rank_low: int
    rank_high: int
    rank_label: str
    tied: bool
    win_rate: float | None
    normalised_score: float
    average_rank: float
    family_scores: dict[str, float]
    pareto_optimal: bool
    dominated_by: list[str] = field(default_factory=list)


@dataclass
class Ranking:
    """Ranked rows in order, the ids of partial rows, and what was used."""

    rows: list[RankedRow]
    partial: list[str]
    metrics: list[str]
    primary: str
    n_bootstrap: int
    seed: int


def select_metrics(
    rows: Sequence[Row],
    metas: Mapping[str, MetricMeta],
    patterns: Sequence[str],
    exclude: Sequence[str] = (),
    min_coverage: float = 0.75,
) -> list[str]:
    """The ranking metrics: keys matching ``patterns`` (fnmatch) and no ``exclude`` pattern,
    with a known direction, present in at least ``min_coverage`` of the rows that have runs."""
    with_runs = [r for r in rows if r.seeds]
    keys = []
    for key, meta in sorted(metas.items()):
        if not meta.ranks:
            continue
        if not any(fnmatch.fnmatchcase(key, p) for p in patterns):
            continue
        if any(fnmatch.fnmatchcase(key, p) for p in exclude):
            continue
        covered = sum(key in r.cells for r in with_runs)
        if with_runs and covered / len(with_runs) >= min_coverage:
            keys.append(key)
    return keys


def _primary(X: np.ndarray, directions: Sequence[str], families: Sequence[str], primary: str):
    """The primary score, oriented so that higher is better."""
    if primary == "win_rate":
        return scores.win_rate(X, directions)
    if primary == "normalised_score":
        return scores.normalised_score(X, directions, families)
    return -scores.average_rank(X, directions)


def _replicates(cell: Cell, idx: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Bootstrap means of one cell: seeds resampled by ``idx`` (B, n) plus within-run noise."""
    values = np.asarray(cell.values)
    within = np.asarray(cell.within_var)
    if idx.shape[1] != values.size:  # this metric is missing for some seeds: own draw
        idx = idx[:, : values.size] % values.size
    n = values.size
    return values[idx].mean(axis=1) + noise * np.sqrt(within[idx].mean(axis=1) / n)


def tie_groups(order_low_high: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Positions (0-based, first and last) of the tie group of each row, rows given in rank
    order as ``(rank_low, rank_high)``: a row joins the group before it when its interval
    overlaps the interval of any row in that group."""
    groups: list[tuple[int, int]] = []
    start, reach = 0, None
    bounds = []
    for i, (low, high) in enumerate(order_low_high):
        if reach is not None and low <= reach:
            reach = max(reach, high)
        else:
            if reach is not None:
                bounds.append((start, i - 1))
            start, reach = i, high
    if reach is not None:
        bounds.append((start, len(order_low_high) - 1))
    for first, last in bounds:
        groups.extend([(first, last)] * (last - first + 1))
    return groups


def rank(
    rows: Sequence[Row],
    metas: Mapping[str, MetricMeta],
    metrics: Sequence[str],
    *,
    primary: str = "win_rate",
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Ranking:
    """Rank the rows that have every metric of ``metrics``.

    Parameters
    ----------
    rows : sequence of Row
        In a deterministic order (the aggregation sorts by label); ties keep it.
    metas : mapping of key to MetricMeta
    metrics : sequence of str
        The ranking metrics (all with a known direction).
    primary : {"win_rate", "normalised_score", "average_rank"}
    n_bootstrap, seed, level : the rank-interval bootstrap.
    """
    if primary not in PRIMARY:
        raise ConfigError(f"ranking.primary must be one of {PRIMARY}; received {primary!r}")
    complete = [r for r in rows if r.seeds and metrics and all(k in r.cells for k in metrics)]
    partial = [r.config_id for r in rows if r not in complete]
    if not complete:
        return Ranking([], partial, list(metrics), primary, n_bootstrap, seed)
    directions = [metas[k].direction for k in metrics]
    families = [metas[k].family for k in metrics]
    order = sorted(set(families))
    X = np.array([[r.cells[k].mean for k in metrics] for r in complete])
    point = _primary(X, directions, families, primary)
    point_rank = scores.competition_rank(np.nan_to_num(point, nan=0.0))

    rng = np.random.default_rng(seed)
    boot = np.empty((n_bootstrap, len(complete), len(metrics)))
    for i, row in enumerate(complete):
        n = len(row.seeds)
        idx = rng.integers(0, n, size=(n_bootstrap, n))
        noise = rng.standard_normal((n_bootstrap, len(metrics)))
        for m, key in enumerate(metrics):
            boot[:, i, m] = _replicates(row.cells[key], idx, noise[:, m])
    boot_rank = scores.competition_rank(
        np.nan_to_num(_primary(boot, directions, families, primary), nan=0.0)
    )
    alpha = (1 - level) / 2
    lows = np.floor(np.quantile(boot_rank, alpha, axis=0)).astype(int)
    highs = np.ceil(np.quantile(boot_rank, 1 - alpha, axis=0)).astype(int)
    lows = np.minimum(lows, point_rank)
    highs = np.maximum(highs, point_rank)

    fam = scores.family_scores(X, directions, families, order)
    norm = scores.normalised_score(X, directions, families)
    wins = scores.win_rate(X, directions)
    avg = scores.average_rank(X, directions)
    dominators = scores.dominated_by(fam)

    sequence = sorted(range(len(complete)), key=lambda i: (point_rank[i], i))
    groups = tie_groups([(int(lows[i]), int(highs[i])) for i in sequence])
    ranked = []
    for position, (i, (first, last)) in enumerate(zip(sequence, groups, strict=True)):
        tied = last > first
        ranked.append(
            RankedRow(
                config_id=complete[i].config_id,
                position=position + 1,
                rank=int(point_rank[i]),
                rank_low=int(lows[i]),
                rank_high=int(highs[i]),
                rank_label=f"{first + 1}-{last + 1} (tie)" if tied else str(first + 1),
                tied=tied,
                win_rate=None if np.isnan(wins[i]) else float(wins[i]),
                normalised_score=float(norm[i]),
                average_rank=float(avg[i]),
                family_scores={f: float(fam[i, j]) for j, f in enumerate(order)},
                pareto_optimal=not dominators[i],
                dominated_by=[complete[j].config_id for j in dominators[i]],
            )
        )
    return Ranking(ranked, partial, list(metrics), primary, n_bootstrap, seed)
