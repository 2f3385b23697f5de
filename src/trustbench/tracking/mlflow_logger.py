"""Log a TrustReport to MLflow: params, tags, metrics with CIs, artifacts and the model.

This is the only module (with :mod:`trustbench.tracking.store`) that knows MLflow.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from trustbench.report import TrustReport
from trustbench.reporting.card import headline_metrics, write_card
from trustbench.tempdirs import temp_dir
from trustbench.tracking.artifacts import write_report_folder
from trustbench.tracking.identity import api_run_config, api_run_tags, flatten
from trustbench.tracking.inputs import dataset_inputs, summary_tags
from trustbench.tracking.run_names import run_name as default_run_name
from trustbench.tracking.runs import SUITES_FAILED_TAG, tracked_run
from trustbench.tracking.store import prepare_experiment, resolve_tracking_uri

logger = logging.getLogger(__name__)
MAX_PARAM_LENGTH = 6000


def metric_entries(report: TrustReport) -> dict[str, float]:
    """``{key: value}`` plus ``key/ci_low`` and ``key/ci_high`` where an interval exists."""
    entries: dict[str, float] = {}
    for metric in report.metrics():
        if metric.value is None:
            continue
        entries[metric.key] = metric.value
        if metric.ci_low is not None and metric.ci_high is not None:
            entries[f"{metric.key}/ci_low"] = metric.ci_low
            entries[f"{metric.key}/ci_high"] = metric.ci_high
    return entries


def tag_entries(report: TrustReport, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Provenance and suite status tags (``trustbench.*``)."""
    run = report.run
    tags = {
        "trustbench.version": str(run.get("trustbench_version", "unknown")),
        "trustbench.dataset": str(run.get("dataset", "")),
        "trustbench.dataset_fingerprint": str(run.get("fingerprint", "")),
        "trustbench.run_identity": str(run.get("identity", "")),
    }
    if run.get("git_commit"):
        tags["trustbench.git_commit"] = str(run["git_commit"])
    for family, suite in report.suites.items():
        tags[f"trustbench.suite.{family}.status"] = suite.status
        if suite.reason:
            tags[f"trustbench.suite.{family}.reason"] = suite.reason[:4000]
    failed = [family for family, suite in report.suites.items() if suite.status == "failed"]
    if failed:  # the run is not complete: resume=true runs it again (tracking.runs)
        tags[SUITES_FAILED_TAG] = ",".join(failed)
    tags.update(summary_tags(report))
    tags.update(extra or {})
    return tags


def model_linked_keys(report: TrustReport) -> set[str]:
    """Metric keys (and their ``/ci_low``, ``/ci_high``) linked to the logged model: each
    family's headline metrics, those of the console and the trust card
    (:func:`~trustbench.reporting.card.headline_metrics`). Every metric is logged to the run;
    linking all of them (1,422 in a default run) would cost 0.6 s of database rows for a model
    page no one reads that far."""
    keys = set()
    for family, suite in report.suites.items():
        for metric in headline_metrics(family, suite.metrics):
            keys |= {metric.key, f"{metric.key}/ci_low", f"{metric.key}/ci_high"}
    return keys


@contextmanager
def _requirements_trusted() -> Iterator[None]:
    """Within the block, MLflow does not check that the pip requirements it is given are
    installed: ours are read from the installed versions (``importlib.metadata``), so they
    are by construction, and the check scans every installed distribution (about 1 s)."""
    from mlflow.utils import environment

    check = getattr(environment, "warn_dependency_requirement_mismatches", None)
    if check is None:  # another MLflow layout: let it check
        yield
        return
    environment.warn_dependency_requirement_mismatches = lambda requirements: None
    try:
        yield
    finally:
        environment.warn_dependency_requirement_mismatches = check


def _log_model(model: Any) -> str:
    """Log the facade model to the active run; returns its model id (an MLflow LoggedModel)."""
    import mlflow.sklearn

    from trustbench.models import is_torch_model

    libs = ["scikit-learn", "numpy", "pandas"] + (["torch"] if is_torch_model(model) else [])
    requirements = []
    for lib in libs:
        try:
            requirements.append(f"{lib}=={metadata.version(lib)}")
        except metadata.PackageNotFoundError:
            continue
    sklearn_flavor_logger = logging.getLogger("mlflow.sklearn")
    level = sklearn_flavor_logger.level
    sklearn_flavor_logger.setLevel(logging.ERROR)
    try:
        # The whole facade (preprocessing + estimator or torch module) is one object, so the
        # logged model predicts from raw feature frames. Runs are trusted, so cloudpickle is
        # acceptable here; challenge submissions never take this path (docs/challenge.md).
        with warnings.catch_warnings(), _requirements_trusted():
            warnings.simplefilter("ignore")
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                pip_requirements=requirements,
                serialization_format="cloudpickle",
            )
    finally:
        sklearn_flavor_logger.setLevel(level)
    return info.model_id


def config_params(config: Mapping[str, Any] | None) -> dict[str, str]:
    """The resolved config, flattened to ``{"model.name": "mlp", ...}`` MLflow params."""
    return {k: str(v)[:MAX_PARAM_LENGTH] for k, v in flatten(config or {}).items()}


def log_config(run_id: str, config: Mapping[str, Any], *, tracking_uri: str) -> None:
    """Log the config as params as soon as a run opens, so even a killed run says what it was."""
    import mlflow
    from mlflow.entities import Param

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    client.log_batch(run_id, params=[Param(k, v) for k, v in config_params(config).items()])


def save_report_folder(
    folder: Path, report: TrustReport, config: Mapping[str, Any] | None = None
) -> Path:
    """Write every artifact of a run into ``folder``: ``trust_report.json``, ``config.yaml``,
    the tables, arrays and plots of ``report.artifacts`` and ``trust_card.html``.

    The folder holds what :func:`log_report` uploads, so a run whose logging fails can be
    logged again from it (:func:`trustbench.tracking.relog`). Returns ``folder``.
    """
    write_report_folder(folder, report, config)
    write_card(folder, report, config)
    return folder


def log_report(
    run_id: str,
    report: TrustReport,
    *,
    tracking_uri: str,
    config: Mapping[str, Any] | None = None,
    model: Any = None,
    tags: Mapping[str, str] | None = None,
    config_logged: bool = False,
    local_dir: Path | None = None,
) -> None:
    """Write params, tags, metrics (with CIs), artifacts and the model into the active run ``run_id``.

    The order is params and tags, artifacts, the model, then the metrics. The model (an
    MLflow 3 LoggedModel) records the run's params when it is logged, so they come first. It
    comes before the metrics because MLflow 3's ``log_model`` links every metric already in
    the run to the model with one metric-history query and one re-logged value per metric
    (the logging step of a default run, 1422 values: 4.3 s instead of 2.3 s on 2 cores); the
    headline metrics logged after it carry the model's id instead (:func:`model_linked_keys`),
    which stores every metric once in the run and links the headlines to the model.

    ``config_logged`` says the config params were already logged by :func:`log_config`.
    ``local_dir`` is a folder that already holds the run's artifacts
    (:func:`save_report_folder`): they are uploaded from it, and it stays. Without it they
    are written to a temporary folder, removed afterwards.
    """
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    params = {} if config_logged else config_params(config)
    params.update({f"training.{k}": str(v) for k, v in report.run.get("training", {}).items()})
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in tag_entries(report, tags).items()],
    )
    inputs = dataset_inputs(report, config)
    if inputs:  # the run table's Dataset column
        client.log_inputs(run_id, datasets=inputs)
    if local_dir is not None:
        client.log_artifacts(run_id, str(local_dir))
    else:
        with temp_dir("log") as tmp:
            save_report_folder(tmp, report, config)
            client.log_artifacts(run_id, str(tmp))
    model_id = _log_model(model) if model is not None else None
    linked = model_linked_keys(report) if model_id is not None else set()
    client.log_batch(
        run_id,
        metrics=[
            Metric(k, float(v), now, 0, model_id=model_id if k in linked else None)
            for k, v in metric_entries(report).items()
        ],
    )


def log(
    report: TrustReport,
    *,
    tracking_uri: str = "sqlite:///mlflow.db",
    experiment: str = "trustbench",
    experiment_id: str | None = None,
    config: Mapping[str, Any] | None = None,
    model: Any = None,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Record ``report`` as one new MLflow run and return its run id.

    Parameters
    ----------
    report : TrustReport
    tracking_uri, experiment : where to log; the experiment is created if needed.
    experiment_id : str, optional
        Use this id directly (a sweep prepares the experiment once before fanning out).
    config : mapping, optional
        The resolved config: logged flattened as params and as ``config.yaml``. Without one
        (a report from ``trustbench.score``), the params are the API run's identity
        (:func:`~trustbench.tracking.identity.api_run_config`: ``model.name``,
        ``model.params``, ``dataset.name``, ``seed``), so that the leaderboard tells models
        apart and groups seeds, and the tags add ``trustbench.run_identity``,
        ``trustbench.model_class`` and ``trustbench.model_summary``.
    model : optional
        The fitted facade model, logged with the scikit-learn flavor (explicit requirements).
    run_name, tags : optional
    """
    uri = resolve_tracking_uri(tracking_uri)
    if experiment_id is None:
        experiment_id = prepare_experiment(uri, experiment)
    identity = api_run_config(report.run) if config is None else None
    if identity is not None:  # an API run: its params say what the model is
        tags = {**api_run_tags(report.run, identity), **(tags or {})}
    if run_name is None and identity is not None:
        run_name = default_run_name(identity)
    with tracked_run(uri, experiment_id, run_name=run_name) as run_id:
        if identity is not None:
            log_config(run_id, identity, tracking_uri=uri)
        log_report(
            run_id,
            report,
            tracking_uri=uri,
            config=config,
            model=model,
            tags=tags,
            config_logged=identity is not None,
        )
    logger.info("logged run %s to experiment %s in %s", run_id, experiment_id, uri)
    return run_id
