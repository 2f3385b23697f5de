"""Small reads and writes of run records that challenge scoring needs (MLflow stays here)."""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"^[A-Za-z0-9_.\-]+$")


def set_tags(run_id: str, tags: Mapping[str, str], *, tracking_uri: str) -> None:
    """Add ``tags`` to a run (values cut to MLflow's 5,000 characters)."""
    import mlflow
    from mlflow.entities import RunTag

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    client.log_batch(run_id, tags=[RunTag(k, str(v)[:5000]) for k, v in tags.items()])


def run_starts(experiment_id: str, tags: Mapping[str, str], *, tracking_uri: str) -> list[int]:
    """Start times (ms since the epoch) of every run of the experiment carrying all ``tags``.

    Tag values must be plain tokens (letters, digits, ``_ - .``): a value from a participant
    is hashed by the caller first, so no submitted string reaches a filter expression.
    """
    for key, value in tags.items():
        if not _TOKEN.match(str(value)) or not _TOKEN.match(key):
            raise ValueError(f"run_starts: tag {key}={value!r} is not a plain token")
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    clauses = " and ".join(f"tags.`{k}` = '{v}'" for k, v in tags.items())
    starts, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id], filter_string=clauses, max_results=1000, page_token=token
        )
        starts += [run.info.start_time for run in page]
        token = page.token
        if not token:
            return starts
