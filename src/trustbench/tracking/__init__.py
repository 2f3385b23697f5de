"""Tracking: the only layer that knows MLflow."""

from trustbench.tracking.artifacts import write_report_folder
from trustbench.tracking.identity import flatten, run_identity
from trustbench.tracking.liveness import mark_stale_runs
from trustbench.tracking.local_copy import LoggingFailed, relog
from trustbench.tracking.mlflow_logger import log, log_config, log_report, metric_entries
from trustbench.tracking.runs import find_finished_run, tracked_run
from trustbench.tracking.store import prepare_experiment, resolve_tracking_uri

__all__ = [
    "LoggingFailed",
    "find_finished_run",
    "flatten",
    "log",
    "log_config",
    "log_report",
    "mark_stale_runs",
    "metric_entries",
    "prepare_experiment",
    "relog",
    "resolve_tracking_uri",
    "run_identity",
    "tracked_run",
    "write_report_folder",
]
