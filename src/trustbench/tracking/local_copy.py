"""Nothing lost when logging fails: a run's local copy of its artifacts, and logging it again.

Before a scored run is logged to MLflow, its artifacts (``trust_report.json`` with every
metric, ``config.yaml``, the tables, arrays, plots and the trust card) are written to the
run's own output folder, ``<run dir>/artifacts`` (Hydra's ``outputs/<date>/<time>/`` for one
run, ``multirun/<date>/<time>/<job>/`` for a job of a sweep). If logging then fails (a full
disk, a read-only artifact folder, a store or server that went away), the run ends FAILED
with one line saying where the folder is, and the folder can be logged again, as a new
FINISHED run, once the cause is fixed::

    python -m trustbench.relog outputs/2026-01-31/12-00-00-000000/artifacts

The new run carries every metric, param, tag and artifact of the folder, and the tag
``trustbench.relogged_from`` names the run whose logging failed. The model itself is not kept
in the folder: run the configuration again for a logged model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from trustbench.errors import ConfigError
from trustbench.report import TrustReport
from trustbench.tracking.mlflow_logger import log_report, save_report_folder
from trustbench.tracking.runs import tracked_run
from trustbench.tracking.store import prepare_experiment, resolve_tracking_uri, sqlite_path

log = logging.getLogger("trustbench")

ARTIFACTS_FOLDER = "artifacts"
"""The subfolder of a run's output folder that holds its artifacts."""
RELOGGED_FROM_TAG = "trustbench.relogged_from"
REPORT_FILE = "trust_report.json"
_RUN_ID = re.compile(r"^[0-9a-f]{8,64}$")


class LoggingFailed(RuntimeError):
    """Logging a scored run to MLflow failed; its artifacts are saved in ``folder``."""

    def __init__(self, message: str, folder: Path | None = None) -> None:
        super().__init__(message)
        self.folder = folder


def run_output_dir(explicit: Path | str | None = None, tracking_uri: str | None = None) -> Path:
    """The run's own output folder: ``explicit``, else Hydra's for the current job, else a new
    ``outputs/<date>/<time>`` (Hydra's layout) beside a local SQLite store, or under the
    working directory for any other store."""
    if explicit is not None:
        return Path(explicit).resolve()
    try:
        from hydra.core.hydra_config import HydraConfig

        return Path(HydraConfig.get().runtime.output_dir).resolve()
    except (ImportError, ValueError):  # not inside a Hydra job
        database = sqlite_path(tracking_uri) if tracking_uri else None
        base = database.parent if database is not None else Path.cwd()
        now = datetime.now()
        return (base / "outputs" / now.strftime("%Y-%m-%d") / now.strftime("%H-%M-%S-%f")).resolve()


def save_local_copy(
    output_dir: Path, report: TrustReport, config: Mapping[str, Any] | None
) -> Path | None:
    """Write the run's artifacts to ``output_dir/artifacts`` before anything is logged.

    Returns the folder, or None (with a warning) when it cannot be written: the run is then
    logged from a temporary folder, as without a local copy.
    """
    folder = output_dir / ARTIFACTS_FOLDER
    try:
        save_report_folder(folder, report, config)
    except OSError as exc:
        log.warning(
            "      could not save the run's artifacts in %s (%s: %s); logging to MLflow only",
            folder,
            type(exc).__name__,
            exc,
        )
        return None
    log.info("      report and artifacts saved in %s", folder)
    return folder


def relog_command(folder: Path) -> str:
    """The command that logs ``folder`` again."""
    return f"python -m trustbench.relog {folder}"


def logging_failed(exc: BaseException, folder: Path, run_id: str) -> LoggingFailed:
    """The one-line error of a run whose logging failed after its artifacts were saved."""
    cause = (str(exc).strip().splitlines() or [""])[0][:300]
    return LoggingFailed(
        f"logging run {run_id} to MLflow failed ({type(exc).__name__}: {cause}); nothing is "
        f"lost: its report and artifacts are saved in {folder}; once the cause is fixed, log "
        f"them as a new run with `{relog_command(folder)}` (--tracking-uri URI to log elsewhere)",
        folder,
    )


def log_with_local_copy(
    run_id: str,
    report: TrustReport,
    *,
    tracking_uri: str,
    config: Mapping[str, Any],
    model: Any = None,
    output_dir: Path | None = None,
) -> Path | None:
    """Save the run's artifacts in ``<output_dir>/artifacts``, then log the run (config params
    already logged when the run opened) from that folder; returns the folder.

    Raises
    ------
    LoggingFailed
        When logging fails after the folder was saved: one line naming the error, the folder
        and the command that logs it again. Without a saved folder the error passes unchanged.
    """
    local = save_local_copy(run_output_dir(output_dir, tracking_uri), report, config)
    try:
        log_report(
            run_id,
            report,
            tracking_uri=tracking_uri,
            config=config,
            model=model,
            config_logged=True,
            local_dir=local,
        )
    except Exception as exc:
        if local is None:
            raise
        raise logging_failed(exc, local, run_id) from exc
    return local


def _read_folder(folder: Path) -> tuple[Path, TrustReport, dict[str, Any] | None]:
    """The artifacts folder (``folder`` or its ``artifacts/``), its report and its config."""
    folder = Path(folder).expanduser().resolve()
    if not (folder / REPORT_FILE).is_file() and (folder / ARTIFACTS_FOLDER / REPORT_FILE).is_file():
        folder = folder / ARTIFACTS_FOLDER  # the run's output folder was given
    path = folder / REPORT_FILE
    if not path.is_file():
        raise ConfigError(
            f"no {REPORT_FILE} in {folder}; expected the artifacts folder that a run "
            f"whose logging failed names (<run dir>/{ARTIFACTS_FOLDER})"
        )
    try:
        report = TrustReport.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{path} is not a trust report ({type(exc).__name__}: {exc}); expected the "
            f"{REPORT_FILE} that trustbench wrote"
        ) from None
    config = None
    if (folder / "config.yaml").is_file():
        loaded = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
        config = loaded if isinstance(loaded, dict) else None
    return folder, report, config


def _already_relogged(uri: str, experiment_id: str, original: str) -> str | None:
    """Id of a FINISHED run that already re-logged run ``original``, or None."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri)
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{RELOGGED_FROM_TAG}` = '{original}' and attributes.status = 'FINISHED'",
        max_results=1,
    )
    return runs[0].info.run_id if runs else None


def relog(
    folder: Path | str, *, tracking_uri: str | None = None, experiment: str | None = None
) -> str:
    """Log a saved artifacts folder as a new FINISHED run; returns the new run's id.

    Parameters
    ----------
    folder : path
        ``<run dir>/artifacts`` (or the run dir itself), as named by the failed run.
    tracking_uri : str, optional
        Where to log; by default the store the run was logging to.
    experiment : str, optional
        Experiment name; by default the run's ``tracking.experiment``.

    Raises
    ------
    ConfigError
        When the folder holds no trust report, or the run was already re-logged there.
    """
    folder, report, config = _read_folder(Path(folder))
    tracking = (config or {}).get("tracking") or {}
    uri = resolve_tracking_uri(
        tracking_uri
        or report.run.get("tracking_uri")
        or tracking.get("uri")
        or "sqlite:///mlflow.db"
    )
    experiment = experiment or tracking.get("experiment") or "trustbench"
    experiment_id = prepare_experiment(uri, experiment)
    original = str(report.run.get("mlflow_run_id") or "")
    tags = {}
    if _RUN_ID.match(original):
        tags[RELOGGED_FROM_TAG] = original
        done = _already_relogged(uri, experiment_id, original)
        if done is not None:
            raise ConfigError(
                f"run {original} (from {folder}) was already logged again as run {done} "
                f"in experiment '{experiment}'; expected a folder not yet re-logged"
            )
    run_name = (config or {}).get("run_name")
    with tracked_run(uri, experiment_id, run_name=run_name, tags=tags) as run_id:
        log_report(run_id, report, tracking_uri=uri, config=config, tags=tags, local_dir=folder)
    log.info("relogged %s as run %s in experiment '%s' (%s)", folder, run_id, experiment, uri)
    return run_id
