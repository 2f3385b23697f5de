"""Records -> the board: a plain, JSON-ready dict every renderer reads.

``build_board`` is deterministic: it sorts everything it iterates, seeds its bootstrap, and
rounds floats to :data:`DIGITS` significant digits, so the same records give the same board
whatever order the tracking store returned them in.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from trustbench.leaderboard import aggregate as agg
from trustbench.leaderboard import rank as rk
from trustbench.leaderboard.directions import MetricMeta, clip_to_range, resolve_all
from trustbench.leaderboard.records import RunRecord, canonical_key, canonical_record
from trustbench.leaderboard.tradeoffs import tradeoff
from trustbench.metrics import REGISTRY
from trustbench.report import FAMILIES

SCHEMA_VERSION = 1
DIGITS = 6

DIRECTIONS_METHOD = (
    "A metric's direction (max, min, target:x) and range are those of its entry in the metric "
    "registry (trustbench.metrics.REGISTRY), matched on the whole key against the registered "
    "key templates; a key the registry lacks takes the direction its runs' trust_report.json "
    "gives (read for one run per distinct metric set); metrics with no known direction, and "
    "descriptive ones (direction none), are shown but not ranked. Intervals are clipped to "
    "the metric's registered range (e.g. accuracy to [0, 1])."
)
RANKING_METHOD = (
    "Only rows with every ranking metric are ranked (others are listed apart). Normalised "
    "score: per metric, min-max over ranked rows after orienting (min negated, target:0 as "
    "-|value|), averaged within each family, then over families. Mean win rate (HELM): per "
    "metric the fraction of other rows beaten (ties count one half), averaged over metrics. "
    "Average rank: mean over metrics of the rank (1 = best, ties averaged). Pareto status: "
    "dominance on the family scores. Rank intervals: {n_bootstrap} bootstrap replicates "
    "(seed {seed}) resampling each row's seeds with replacement plus Gaussian within-run noise, "
    "ranks by the primary ranking ({primary}), {level:.0%} percentile interval; rows whose "
    "intervals overlap, chained in rank order, are shown as one tie group."
)
SEEDS_METHOD = (
    "A configuration with fewer than {min_seeds} finished seeds is flagged (too_few_seeds) "
    "and still ranked: its interval does not estimate the spread over training seeds well "
    "(with one seed not at all: only the within-run bootstrap, normal quantile), and its "
    "bootstrap over seeds resamples too few values for its rank interval to separate it from "
    "the other rows."
)
#: At most this many flagged labels are named in the warning (the rows carry the flag).
NAMED = 10


def seed_command(min_seeds: int) -> str:
    """The sweep override that gives ``min_seeds`` seeds, in the ``trustbench`` CLI's syntax."""
    if min_seeds <= 10:
        return "seed=" + ",".join(str(s) for s in range(min_seeds))
    return f"'seed=range({min_seeds})'"


def seed_warning(rows: Sequence[Mapping[str, Any]], min_seeds: int) -> str | None:
    """The board's warning about rows with fewer than ``min_seeds`` seeds (None when none).

    Parameters
    ----------
    rows : sequence of mapping
        The board rows (``label``, ``n_seeds``, ``too_few_seeds``), in board order.
    min_seeds : int
    """
    few = [r for r in rows if r["too_few_seeds"]]
    if not few:
        return None
    named = ", ".join(
        f"{r['label']} ({r['n_seeds']} seed{'' if r['n_seeds'] == 1 else 's'})" for r in few[:NAMED]
    )
    if len(few) > NAMED:
        named += f" and {len(few) - NAMED} more"
    return (
        f"{len(few)} of {len(rows)} configurations have fewer than {min_seeds} seeds, too few "
        f"to rank on: {named}. With fewer than {min_seeds} seeds the spread over training seeds "
        "is not estimated well: their intervals are too wide to rank on, and with one seed the "
        "spread is not estimated at all (the interval is the run's own bootstrap interval, "
        "normal quantile, which leaves out the randomness of training). Those with every "
        "ranking metric are still ranked, and marked, but their rank intervals cannot "
        "separate them from the other rows. "
        f"Fix: run the sweep with {min_seeds} seeds, `trustbench -m ... {seed_command(min_seeds)} "
        "resume=true` with the configuration's overrides in place of `...` (resume=true runs "
        "only the seeds not yet finished), then `trustbench-leaderboard` again."
    )


@dataclass
class BoardOptions:
    """What ``leaderboard.yaml`` configures for the computation (rendering aside)."""

    group_by: Sequence[str] | None = None
    columns: Sequence[str] = ("*",)
    exclude_columns: Sequence[str] = ()
    ranking_metrics: Sequence[str] | None = None  # None: the registry's ranking defaults
    ranking_exclude: Sequence[str] = ()
    min_coverage: float = 0.75
    min_seeds: int = 5
    primary: str = "win_rate"
    ci_level: float = 0.95
    n_bootstrap: int = 1000
    seed: int = 0
    tradeoffs: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    selection: Mapping[str, Any] = field(default_factory=dict)


def rounded(obj: Any, digits: int = DIGITS) -> Any:
    """Floats rounded to ``digits`` significant digits, recursively (ints and bools kept)."""
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [rounded(v, digits) for v in obj]
    return obj


def software_versions() -> dict[str, str]:
    """trustbench and the libraries the board's numbers depend on."""
    from trustbench.tracking.identity import package_versions, trustbench_version

    versions = {"trustbench": trustbench_version()}
    versions.update(package_versions(("numpy", "scipy", "mlflow")))
    return versions


def _columns(metas: Mapping[str, MetricMeta], options: BoardOptions) -> list[str]:
    keep = [
        k
        for k in metas
        if any(fnmatch.fnmatchcase(k, p) for p in options.columns)
        and not any(fnmatch.fnmatchcase(k, p) for p in options.exclude_columns)
    ]
    family_order = {f: i for i, f in enumerate(FAMILIES)}
    return sorted(keep, key=lambda k: (family_order.get(metas[k].family, len(FAMILIES)), k))


def build_board(
    records: Iterable[RunRecord],
    directions: Mapping[str, tuple[str, str]] | None = None,
    options: BoardOptions | None = None,
) -> dict[str, Any]:
    """Aggregate, rank and describe ``records`` as the board dict (``leaderboard.json``).

    Parameters
    ----------
    records : iterable of RunRecord
    directions : mapping, optional
        ``{key: (direction, definition)}`` read from trust reports.
    options : BoardOptions, optional
    """
    options = options or BoardOptions()
    records = sorted((canonical_record(r) for r in records), key=lambda r: r.run_id)
    directions = {canonical_key(k): v for k, v in (directions or {}).items()}
    aggregation = agg.aggregate(records, group_by=options.group_by, ci_level=options.ci_level)
    all_keys = {k for row in aggregation.rows for k in row.cells}
    metas = resolve_all(all_keys, directions)
    columns = _columns(metas, options)
    ranking_keys = rk.select_metrics(
        aggregation.rows,
        {k: metas[k] for k in columns},
        REGISTRY.ranking_patterns() if options.ranking_metrics is None else options.ranking_metrics,
        options.ranking_exclude,
        options.min_coverage,
    )
    ranking = rk.rank(
        aggregation.rows,
        metas,
        ranking_keys,
        primary=options.primary,
        n_bootstrap=options.n_bootstrap,
        seed=options.seed,
        level=options.ci_level,
    )
    ranked = {r.config_id: r for r in ranking.rows}
    by_id = {row.config_id: row for row in aggregation.rows}
    order = [r.config_id for r in ranking.rows] + sorted(
        ranking.partial, key=lambda c: (by_id[c].label, c)
    )
    rows = []
    for cid in order:
        row = by_id[cid]
        rows.append(
            {
                "config_id": cid,
                "label": row.label,
                "complete": cid in ranked,
                "ranking": asdict(ranked[cid]) if cid in ranked else None,
                "n_seeds": len(row.seeds),
                "too_few_seeds": 0 < len(row.seeds) < options.min_seeds,
                "seeds": row.seeds,
                "run_ids": row.run_ids,
                "failed": row.n_failed,
                "unfinished": row.n_unfinished,
                "duplicates": row.n_duplicates,
                "missing": [k for k in ranking_keys if k not in row.cells],
                "params": row.params,
                "cells": {
                    k: {
                        "mean": row.cells[k].mean,
                        "ci_low": clip_to_range(row.cells[k].ci_low, k),
                        "ci_high": clip_to_range(row.cells[k].ci_high, k),
                        "n": row.cells[k].n,
                    }
                    for k in columns
                    if k in row.cells
                },
            }
        )
    plots = []
    for spec in options.tradeoffs:
        made = tradeoff(
            spec["name"], spec["title"], spec["x"], spec["y"], aggregation.rows, metas, ranking_keys
        )
        if made is not None:
            plots.append(asdict(made))
    warning = seed_warning(rows, options.min_seeds)
    board = {
        "schema_version": SCHEMA_VERSION,
        "software": software_versions(),
        "selection": dict(options.selection),
        "method": {
            "aggregation": agg.METHOD,
            "ranking": RANKING_METHOD.format(
                n_bootstrap=options.n_bootstrap,
                seed=options.seed,
                primary=options.primary,
                level=options.ci_level,
            ),
            "directions": DIRECTIONS_METHOD,
            "seeds": SEEDS_METHOD.format(min_seeds=options.min_seeds),
            "ci_level": options.ci_level,
            "min_seeds": options.min_seeds,
            "primary": options.primary,
            "n_bootstrap": options.n_bootstrap,
            "seed": options.seed,
        },
        "families": [f for f in FAMILIES if any(metas[k].family == f for k in columns)],
        "metrics": {
            k: {
                "family": metas[k].family,
                "direction": metas[k].direction,
                "definition": metas[k].definition,
                "direction_source": metas[k].source,
                "ranking": k in ranking_keys,
            }
            for k in columns
        },
        "ranking_metrics": ranking_keys,
        "counts": {
            "runs": len(records),
            "configurations": len(rows),
            "ranked": len(ranking.rows),
            "partial": len(ranking.partial),
            "too_few_seeds": sum(r["too_few_seeds"] for r in rows),
            **{f"excluded_{k}": v for k, v in aggregation.excluded.items()},
        },
        "warnings": [] if warning is None else [warning],
        "rows": rows,
        "tradeoffs": plots,
    }
    return rounded(board)
