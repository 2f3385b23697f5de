"""Tracking: the only layer that knows MLflow."""

from trustbench.tracking.artifacts import write_report_folder
from trustbench.tracking.identity import flatten, run_identity
from trustbench.tracking.mlflow_logger import log, log_config, log_report, metric_entries
from trustbench.tracking.runs import find_finished_run, tracked_run
from trustbench.tracking.store import prepare_experiment, resolve_tracking_uri

__all__ = [
    "find_finished_run",
    "flatten",
    "log",
    "log_config",
    "log_report",
    "metric_entries",
    "prepare_experiment",
    "resolve_tracking_uri",
    "run_identity",
    "tracked_run",
    "write_report_folder",
]
