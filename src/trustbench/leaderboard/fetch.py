"""Read runs from MLflow with the paged search API; never downloads a model.

Directions of metrics come from each run's ``trust_report.json``, read for one run per
distinct metric set only (see :func:`fetch_directions`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from trustbench.errors import ConfigError
from trustbench.leaderboard.fetch_sql import fetch_runs_sql, is_database_uri
from trustbench.leaderboard.records import RunRecord

log = logging.getLogger(__name__)


def _client(tracking_uri: str) -> Any:
    """A client on the existing store; a missing SQLite database is an error, never created."""
    from trustbench.tracking.store import open_existing_store

    return open_existing_store(tracking_uri)


def experiment_ids(client: Any, experiments: Sequence[str]) -> list[str]:
    """Ids for experiment names or ids; raises ConfigError naming the unknown ones."""
    from mlflow.exceptions import MlflowException

    ids, unknown = [], []
    for name in experiments:
        name = str(name)
        experiment = client.get_experiment_by_name(name)
        if experiment is None and name.isdigit():
            try:
                experiment = client.get_experiment(name)
            except MlflowException:  # no experiment with that id
                experiment = None
        if experiment is None:
            unknown.append(name)
        else:
            ids.append(experiment.experiment_id)
    if unknown:
        known = sorted(e.name for e in client.search_experiments())
        raise ConfigError(
            f"leaderboard.experiments: no experiment named {unknown} in the tracking store; "
            f"it has {known}"
        )
    return ids


def to_record(run: Any) -> RunRecord:
    """An MLflow ``Run`` as a :class:`RunRecord`."""
    return RunRecord(
        run_id=run.info.run_id,
        status=run.info.status,
        params=dict(run.data.params),
        tags={k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.log-model")},
        metrics={k: float(v) for k, v in run.data.metrics.items()},
        experiment_id=run.info.experiment_id,
        end_time=int(run.info.end_time or 0),
        artifact_uri=str(run.info.artifact_uri or ""),
    )


def fetch_runs(
    tracking_uri: str,
    experiments: Sequence[str],
    filter_string: str = "",
    page_size: int = 1000,
    fast: bool = True,
) -> list[RunRecord]:
    """Every run matching ``filter_string`` in ``experiments``, all statuses, page by page.

    Parameters
    ----------
    tracking_uri : str
    experiments : sequence of str
        Experiment names (or numeric ids).
    filter_string : str
        An MLflow search filter (``"params.dataset.name = 'heart'"``, ``"tags.x = 'y'"``).
    page_size : int
        Runs per ``search_runs`` call; pages are followed with their page tokens.
    fast : bool
        For a SQL store and no filter, read MLflow's tables directly
        (:mod:`trustbench.leaderboard.fetch_sql`); same records, much faster.
    """
    client = _client(tracking_uri)
    ids = experiment_ids(client, experiments)
    if fast and not filter_string and is_database_uri(tracking_uri):
        records = fetch_runs_sql(tracking_uri, ids)
        log.info("fetched %d runs from %d experiment(s) (SQL store)", len(records), len(ids))
        return stale_as_killed(records)
    records: list[RunRecord] = []
    token = None
    while True:
        page = client.search_runs(
            ids,
            filter_string=filter_string,
            run_view_type=1,  # ACTIVE_ONLY: deleted runs never count
            max_results=page_size,
            page_token=token,
        )
        records.extend(to_record(run) for run in page)
        token = page.token
        if not token:
            break
    log.info("fetched %d runs from %d experiment(s)", len(records), len(ids))
    return stale_as_killed(records)


def stale_as_killed(records: list[RunRecord]) -> list[RunRecord]:
    """``records`` with every stale run (RUNNING, but its process on this host is gone; see
    :mod:`trustbench.tracking.liveness`) counted as KILLED. The store is not changed:
    ``resume=true`` marks such runs KILLED there."""
    from dataclasses import replace

    from trustbench.tracking.liveness import is_stale

    stale = {r.run_id for r in records if is_stale(r.status, r.tags)}
    if stale:
        log.warning(
            "%d RUNNING run(s) whose process is gone counted as KILLED: %s",
            len(stale),
            ", ".join(sorted(stale)[:5]) + (" ..." if len(stale) > 5 else ""),
        )
    return [replace(r, status="KILLED") if r.run_id in stale else r for r in records]


def report_directions(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """``{key: (direction, definition)}`` from a parsed ``trust_report.json``."""
    found = {}
    for family, suite in report.get("suites", {}).items():
        for metric in suite.get("metrics", []):
            key = f"{metric.get('family', family)}/{metric['name']}"
            found[key] = (str(metric.get("direction", "")), str(metric.get("definition", "")))
    return found


def fetch_directions(tracking_uri: str, records: Iterable[RunRecord]) -> dict[str, tuple[str, str]]:
    """Directions and definitions from ``trust_report.json`` of one run per distinct metric set.

    Runs of one configuration log the same metric names, so 10,000 runs of 30 configurations
    cost about 30 small downloads. A run without the artifact is skipped (naming rules then
    decide, see :mod:`trustbench.leaderboard.directions`).
    """
    import mlflow.artifacts

    from trustbench.tempdirs import temp_dir

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    seen: set[tuple[str, ...]] = set()
    found: dict[str, tuple[str, str]] = {}
    for record in sorted(records, key=lambda r: r.run_id):
        if record.status != "FINISHED":
            continue
        keys = tuple(record.metric_keys())
        if keys in seen or all(k in found for k in keys):
            seen.add(keys)
            continue
        seen.add(keys)
        try:
            with temp_dir("board") as tmp:
                path = mlflow.artifacts.download_artifacts(
                    run_id=record.run_id,
                    artifact_path="trust_report.json",
                    dst_path=str(tmp),
                    tracking_uri=tracking_uri,
                )
                text = Path(path).read_text()
        except Exception as exc:  # a run logged outside trustbench has no report
            log.info("run %s: no trust_report.json (%s)", record.run_id, type(exc).__name__)
            continue
        for key, value in report_directions(json.loads(text)).items():
            found.setdefault(key, value)
    return found


def fetch_artifact(tracking_uri: str, run_id: str, artifact_path: str, destination: Path) -> Path:
    """Copy one artifact of a run to ``destination`` (a file path) and return it."""
    import shutil

    import mlflow.artifacts

    from trustbench.tempdirs import temp_dir

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with temp_dir("board") as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=artifact_path, dst_path=str(tmp), tracking_uri=tracking_uri
        )
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, destination)
    return destination
