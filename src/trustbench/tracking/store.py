"""The MLflow store and experiment, created once and addressed by id.

MLflow 3 with SQLite has two races under parallel jobs (DESIGN.md section 9): jobs that find
a new store all migrate its schema at once, and jobs that call ``set_experiment`` at the same
moment can log into "Default". So the store and experiment are created before a sweep fans
out (see :mod:`trustbench.tracking.callbacks`) and every run starts with an explicit
experiment id.
"""

from __future__ import annotations

import os
from pathlib import Path

from trustbench.errors import ConfigError

SQLITE_PREFIX = "sqlite:///"


def resolve_tracking_uri(uri: str | None) -> str:
    """Make a relative SQLite or file URI absolute, so every process of a sweep agrees on it.

    ``sqlite:///mlflow.db`` (relative to the working directory) becomes
    ``sqlite:////abs/path/mlflow.db``; server URIs (``http://...``) pass through unchanged.
    """
    if not uri:
        raise ConfigError(
            "tracking.uri is empty; expected e.g. 'sqlite:///mlflow.db' or 'http://host:5000'"
        )
    if uri.startswith(SQLITE_PREFIX):
        path = uri[len(SQLITE_PREFIX) :]
        if path and not path.startswith("/") and path != ":memory:":
            return SQLITE_PREFIX + str(Path(os.getcwd(), path).resolve())
        return uri
    if "://" not in uri:  # a bare path: MLflow's (deprecated) file store
        return str(Path(uri).resolve())
    return uri


def prepare_experiment(uri: str, experiment: str) -> str:
    """Create the store (schema migration happens here, once) and the experiment; return its id.

    Safe to call repeatedly and from several processes once the store exists: an experiment
    created by another process in between is found by name.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    if not experiment:
        raise ConfigError(
            "tracking.experiment is empty; expected an experiment name such as 'trustbench'"
        )
    uri = resolve_tracking_uri(uri)
    if uri.startswith(SQLITE_PREFIX):
        Path(uri[len(SQLITE_PREFIX) :]).parent.mkdir(parents=True, exist_ok=True)
    client = mlflow.MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            raise ConfigError(
                f"tracking.experiment '{experiment}' is deleted in {uri}; restore it "
                f"(mlflow experiments restore) or choose another name"
            )
        return found.experiment_id
    try:
        return client.create_experiment(experiment)
    except MlflowException:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise
        return found.experiment_id
