"""Tracking: the only layer that knows MLflow."""

from trustbench.tracking.artifacts import write_report_folder
from trustbench.tracking.identity import flatten, run_identity
from trustbench.tracking.mlflow_logger import log, metric_entries
from trustbench.tracking.store import prepare_experiment, resolve_tracking_uri

__all__ = [
    "flatten",
    "log",
    "metric_entries",
    "prepare_experiment",
    "resolve_tracking_uri",
    "run_identity",
    "write_report_folder",
]
