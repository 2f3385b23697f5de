"""One row per configuration: runs grouped, de-duplicated, and averaged over seeds with a CI.

Method (also written into ``leaderboard.json`` and the page, see :data:`METHOD`): for a
configuration with seeds ``i = 1..n`` whose run reports value ``x_i`` and a within-run
bootstrap interval ``[l_i, h_i]`` at level ``1 - a``,

* within-run variance ``w_i = ((h_i - l_i) / (2 z))^2`` with ``z = Phi^-1(1 - a/2)``
  (0 when a run logged no interval);
* mean ``m = (1/n) sum x_i``;
* ``Var(m) = s^2 / n + mean(w_i) / n`` with ``s^2`` the sample variance of the ``x_i``
  (ddof 1; taken as 0 when ``n = 1``, so a single seed carries only the within-run part);
* interval ``m -/+ q sqrt(Var(m))`` with ``q`` the Student-t quantile on ``n - 1`` degrees
  of freedom for ``n >= 2`` and the normal quantile for ``n = 1``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from trustbench.leaderboard.records import CI_SUFFIXES, RunRecord

#: Params that say how or where a run was recorded, or what training measured, not what it is.
IGNORED_PARAMS = ("seed", "run_name", "resume", "threads")
IGNORED_PREFIXES = ("tracking.", "hydra.", "training.")

METHOD = (
    "Per configuration and metric: mean over seeds m = mean(x_i); "
    "Var(m) = s^2/n + mean(w_i)/n, where s^2 is the sample variance of the per-seed values "
    "(ddof=1, 0 for one seed) and w_i = ((ci_high_i - ci_low_i) / (2 z))^2 is the within-run "
    "bootstrap variance recovered from each run's interval (z = normal quantile of the CI "
    "level, 0 without an interval); interval m -/+ q sqrt(Var(m)) with q the Student-t "
    "quantile on n-1 degrees of freedom (normal quantile when n = 1, so a single seed shows the "
    "within-run uncertainty only). Only FINISHED runs count; of several FINISHED runs with the "
    "same configuration and seed the latest is kept."
)


@dataclass(frozen=True)
class Cell:
    """One configuration's aggregate of one metric."""

    mean: float
    ci_low: float | None
    ci_high: float | None
    n: int
    values: tuple[float, ...]
    within_var: tuple[float, ...]


@dataclass
class Row:
    """One configuration."""

    config_id: str
    label: str
    params: dict[str, str]
    seeds: list[str]
    run_ids: list[str]
    cells: dict[str, Cell] = field(default_factory=dict)
    n_failed: int = 0
    n_unfinished: int = 0
    n_duplicates: int = 0


@dataclass
class Aggregation:
    """All rows plus the counts of runs that were left out and why."""

    rows: list[Row]
    excluded: dict[str, int]
    ci_level: float
    method: str = METHOD


def group_params(record: RunRecord, group_by: Sequence[str] | None = None) -> dict[str, str]:
    """The params that define a run's configuration.

    ``group_by`` lists param keys explicitly; ``None`` takes every param except the seed and
    the recording keys (:data:`IGNORED_PARAMS`, :data:`IGNORED_PREFIXES`).
    """
    if group_by is not None:
        return {k: record.params.get(k, "") for k in group_by}
    return {
        k: v
        for k, v in record.params.items()
        if k not in IGNORED_PARAMS and not k.startswith(IGNORED_PREFIXES)
    }


def config_id(params: Mapping[str, str]) -> str:
    """First 10 hex digits of the sha256 of the sorted params."""
    payload = json.dumps(sorted(params.items()), separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:10]


def _short(key: str) -> str:
    return key[: -len(".name")] if key.endswith(".name") else key


def labels(configs: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """A readable label per config id from the params that differ between configurations.

    The ``*.name`` params (``model=mlp trainer=dp``) are used alone when they tell every
    configuration apart; otherwise every differing param is added.
    """
    keys = sorted({k for params in configs.values() for k in params})
    varying = [k for k in keys if len({params.get(k, "") for params in configs.values()}) > 1]
    named = [k for k in varying if k.endswith(".name")]

    def make(chosen: list[str]) -> dict[str, str]:
        out = {}
        for cid, params in configs.items():
            parts = [f"{_short(k)}={params.get(k, '')}" for k in chosen]
            out[cid] = " ".join(parts) if parts else params.get("model.name", cid)
        return out

    out = make(named)
    if named and len(set(out.values())) == len(out):
        return out
    return make(named + [k for k in varying if k not in named])


@functools.lru_cache(maxsize=256)
def _quantile(n: int, ci_level: float) -> float:
    """Student-t quantile on n - 1 degrees of freedom (normal for n = 1) at ``1 - a/2``."""
    alpha = 1.0 - ci_level
    if n > 1:
        return float(stats.t.ppf(1 - alpha / 2, n - 1))
    return float(stats.norm.ppf(1 - alpha / 2))


def combine_columns(V: np.ndarray, W: np.ndarray, ci_level: float = 0.95) -> list[Cell | None]:
    """:func:`combine` for every column of ``V`` at once.

    Parameters
    ----------
    V : ndarray, shape (n_seeds, K)
        Per-seed values, NaN where a seed lacks the metric.
    W : ndarray, shape (n_seeds, K)
        Within-run variances (0 where a run logged no interval).
    ci_level : float

    Returns
    -------
    list of Cell or None
        One per column; None for a column no seed has.
    """
    V = np.asarray(V, dtype=float)
    present = ~np.isnan(V)
    W = np.where(present, np.nan_to_num(np.asarray(W, dtype=float)), 0.0)
    n = present.sum(axis=0)
    safe_n = np.maximum(n, 1)
    X = np.where(present, V, 0.0)
    mean = X.sum(axis=0) / safe_n
    between = np.where(
        n > 1, (np.where(present, V - mean, 0.0) ** 2).sum(axis=0) / np.maximum(n - 1, 1), 0.0
    )
    var = between / safe_n + W.sum(axis=0) / safe_n / safe_n
    q = np.array([_quantile(int(k), ci_level) for k in safe_n])
    half = q * np.sqrt(var)
    no_interval = (n == 1) & (W.sum(axis=0) == 0.0)
    cells: list[Cell | None] = []
    for k in range(V.shape[1]):
        if n[k] == 0:
            cells.append(None)
            continue
        rows = present[:, k]
        low = None if no_interval[k] else float(mean[k] - half[k])
        high = None if no_interval[k] else float(mean[k] + half[k])
        cells.append(
            Cell(
                float(mean[k]),
                low,
                high,
                int(n[k]),
                tuple(V[rows, k].tolist()),
                tuple(W[rows, k].tolist()),
            )
        )
    return cells


def combine(values: Sequence[float], within_var: Sequence[float], ci_level: float = 0.95) -> Cell:
    """Mean over seeds and its interval (module docstring) for one metric.

    Parameters
    ----------
    values : sequence of float
        One value per seed (at least one).
    within_var : sequence of float
        The within-run variance of each value (0 where unknown).
    ci_level : float
    """
    V = np.asarray(values, dtype=float).reshape(-1, 1)
    W = np.asarray(within_var, dtype=float).reshape(-1, 1)
    (cell,) = combine_columns(V, W, ci_level)
    return cell


def latest_finished(records: Iterable[RunRecord]) -> RunRecord:
    """The FINISHED record with the latest end time (ties: the largest run id)."""
    return max(records, key=lambda r: (r.end_time, r.run_id))


def _cells(
    runs: Sequence[RunRecord], wanted: set[str] | None, z: float, ci_level: float
) -> dict[str, Cell]:
    """Every metric of one configuration's runs, combined over its seeds (one seed per run)."""
    frame = pd.DataFrame.from_records([r.metrics for r in runs])
    keys = sorted(k for k in frame.columns if not k.endswith(CI_SUFFIXES))
    if wanted is not None:
        keys = [k for k in keys if k in wanted]
    V = frame[keys].to_numpy(dtype=float)
    L = frame.reindex(columns=[f"{k}/ci_low" for k in keys]).to_numpy(dtype=float)
    H = frame.reindex(columns=[f"{k}/ci_high" for k in keys]).to_numpy(dtype=float)
    W = np.nan_to_num(((H - L) / (2.0 * z)) ** 2)
    cells = combine_columns(V, W, ci_level)
    return {k: c for k, c in zip(keys, cells, strict=True) if c is not None}


def aggregate(
    records: Iterable[RunRecord],
    *,
    group_by: Sequence[str] | None = None,
    ci_level: float = 0.95,
    metric_keys: Iterable[str] | None = None,
) -> Aggregation:
    """Group runs into configurations and aggregate every metric over seeds.

    Parameters
    ----------
    records : iterable of RunRecord
        Any order; the result does not depend on it.
    group_by : sequence of str, optional
        Param keys defining a configuration (default: every param but seed and recording keys).
    ci_level : float
        Level of the runs' intervals and of the aggregate intervals.
    metric_keys : iterable of str, optional
        Restrict to these metric keys (default: every metric any finished run has).
    """
    z = float(stats.norm.ppf(1 - (1 - ci_level) / 2))
    wanted = None if metric_keys is None else set(metric_keys)
    by_config: dict[str, dict[str, list[RunRecord]]] = defaultdict(lambda: defaultdict(list))
    params_of: dict[str, dict[str, str]] = {}
    status_counts: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        params = group_params(record, group_by)
        cid = config_id(params)
        params_of[cid] = params
        if record.status != "FINISHED":
            status_counts[cid][record.status] += 1
            continue
        seed = record.params.get("seed", record.run_id)
        by_config[cid][seed].append(record)
    names = labels(params_of)
    rows = []
    for cid in sorted(params_of, key=lambda c: (names[c], c)):
        seeds = by_config.get(cid, {})
        kept = {seed: latest_finished(runs) for seed, runs in seeds.items()}
        order = sorted(kept, key=lambda s: (len(s), s))  # numeric seeds in numeric order
        row = Row(
            config_id=cid,
            label=names[cid],
            params=dict(sorted(params_of[cid].items())),
            seeds=order,
            run_ids=[kept[s].run_id for s in order],
            n_failed=status_counts[cid]["FAILED"] + status_counts[cid]["KILLED"],
            n_unfinished=sum(
                c for status, c in status_counts[cid].items() if status not in ("FAILED", "KILLED")
            ),
            n_duplicates=sum(len(runs) - 1 for runs in seeds.values()),
        )
        runs = [kept[s] for s in order]
        if runs:
            row.cells = _cells(runs, wanted, z, ci_level)
        rows.append(row)
    excluded = {
        "failed": sum(r.n_failed for r in rows),
        "unfinished": sum(r.n_unfinished for r in rows),
        "duplicates": sum(r.n_duplicates for r in rows),
    }
    return Aggregation(rows=rows, excluded=excluded, ci_level=ci_level)
