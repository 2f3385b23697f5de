"""Fast path for database-backed MLflow stores: read the run tables in four queries.

MLflow's ``search_runs`` builds an entity object for every metric of every run; with ~450
metric values per run (150 metrics and their interval bounds) that costs tens of
milliseconds per run, minutes for 10,000 runs. For a SQL store (SQLite, PostgreSQL, MySQL)
and no filter string, the board reads MLflow's ``runs``, ``latest_metrics``, ``params`` and
``tags`` tables directly (read-only, the same values ``search_runs`` returns: the latest value
of each metric, active runs only). With a filter string the paged search API is used.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from trustbench.leaderboard.records import RunRecord

DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")

_RUNS = (
    "SELECT run_uuid, status, end_time, experiment_id FROM runs "
    "WHERE lifecycle_stage = 'active' AND experiment_id IN :ids"
)
_CHILD = (
    "SELECT t.run_uuid, t.key, t.value{extra} FROM {table} t JOIN runs r ON r.run_uuid = t.run_uuid "
    "WHERE r.lifecycle_stage = 'active' AND r.experiment_id IN :ids"
)


def is_database_uri(uri: str) -> bool:
    """True for SQLAlchemy URIs of the databases MLflow's SQL store supports."""
    return uri.split(":", 1)[0].split("+", 1)[0] in DATABASE_SCHEMES


def fetch_runs_sql(uri: str, experiment_ids: Sequence[str]) -> list[RunRecord]:
    """Every active run of ``experiment_ids`` in the SQL store at ``uri``, all statuses."""
    import sqlalchemy as sa

    ids = sa.bindparam("ids", expanding=True)
    values = {"ids": [int(i) for i in experiment_ids]}
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text(_RUNS).bindparams(ids), values).all()
            metrics: dict[str, dict[str, float]] = defaultdict(dict)
            query = _CHILD.format(extra=", t.is_nan", table="latest_metrics")
            for run_id, key, value, is_nan in conn.execute(sa.text(query).bindparams(ids), values):
                metrics[run_id][key] = math.nan if is_nan else float(value)
            params: dict[str, dict[str, str]] = defaultdict(dict)
            query = _CHILD.format(extra="", table="params")
            for run_id, key, value in conn.execute(sa.text(query).bindparams(ids), values):
                params[run_id][key] = value
            tags: dict[str, dict[str, str]] = defaultdict(dict)
            query = _CHILD.format(extra="", table="tags")
            for run_id, key, value in conn.execute(sa.text(query).bindparams(ids), values):
                if not key.startswith("mlflow.log-model"):
                    tags[run_id][key] = value
    finally:
        engine.dispose()
    return [
        RunRecord(
            run_id=run_id,
            status=status,
            params=params.get(run_id, {}),
            tags=tags.get(run_id, {}),
            metrics=metrics.get(run_id, {}),
            experiment_id=str(experiment_id),
            end_time=int(end_time or 0),
        )
        for run_id, status, end_time, experiment_id in runs
    ]
