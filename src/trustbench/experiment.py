"""One experiment from a resolved config: validate -> data -> train -> score -> track.

``run.py`` (the Hydra entry point) only calls :func:`run_experiment`; tests call it with a
composed config too.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from trustbench import data as data_module
from trustbench.api import score
from trustbench.data.target import positive_class_statement
from trustbench.data.task import TaskData
from trustbench.errors import ConfigError
from trustbench.experiment_result import ExperimentResult, SuitesFailed
from trustbench.explain import EXPLAINERS
from trustbench.explain.options import check_explainer_config
from trustbench.options import check_value
from trustbench.registry import unknown_name_message
from trustbench.report import TrustReport
from trustbench.suites import (
    PRIVACY_ATTACKS,
    DataAudit,
    SuiteConfig,
    audit_data,
    load_suite_config,
)
from trustbench.suites.keys import check_key_lengths, key_names
from trustbench.suites.task_checks import check_task_options
from trustbench.threads import limit_threads, resolve_threads
from trustbench.tracking import (
    find_finished_run,
    log_config,
    mark_stale_runs,
    prepare_experiment,
    resolve_tracking_uri,
    tracked_run,
)
from trustbench.tracking.identity import git_commit, run_identity, trustbench_version
from trustbench.tracking.keys import check_param_keys
from trustbench.tracking.local_copy import log_with_local_copy
from trustbench.tracking.run_names import run_name
from trustbench.training import TRAINERS, train, trainer_options
from trustbench.training.options import check_device

log = logging.getLogger("trustbench")


def check_run_options(cfg: Mapping[str, Any]) -> None:
    """Check the top-level run options ``seed``, ``resume`` and ``device`` before any work.

    Raises
    ------
    ConfigError
        For a seed that is not an integer in ``[0, 2**32 - 1]`` (numpy and scikit-learn seeds:
        ``seed=1.5`` is not run as seed 1), a ``resume`` that is not true or false, or a
        device this machine does not have (:func:`~trustbench.training.options.check_device`).
    """
    seed = check_value(cfg.get("seed", 0), int, "seed")
    if not 0 <= seed < 2**32:
        raise ConfigError(
            f"seed: expected an integer in [0, 2**32 - 1] (numpy and scikit-learn seeds), "
            f"got {seed!r}."
        )
    check_value(cfg.get("resume", False), bool, "resume")
    check_device(cfg.get("device", "auto"))


def validate_config(cfg: Mapping[str, Any]) -> SuiteConfig:
    """Check keys, types, names and combinations before any data is loaded or model trained.

    Every key of ``trainer`` (against the trainer's options), ``explainer`` (against the
    explainer's constructor) and ``suite`` (against the typed suite config, nested explainer
    options included) must be known and of the declared type. Returns the typed suite config.

    Raises
    ------
    ConfigError
        Naming the key, the allowed values (with a did-you-mean) and what was received.
    """
    dataset = cfg["dataset"]["name"]
    if dataset not in data_module.DATASETS:
        raise ConfigError(unknown_name_message("dataset", dataset, data_module.DATASETS.names()))
    check_run_options(cfg)
    trainer = cfg["trainer"]["name"]
    TRAINERS.get(trainer)
    trainer_cfg = trainer_options(cfg["trainer"])  # complete and checked
    if cfg.get("explainer") is not None:
        check_explainer_config(cfg["explainer"])
    suite = load_suite_config(cfg["suite"])
    library = cfg["model"].get("library")
    check_image_config(cfg)
    if trainer == "dp" and library != "torch":
        raise ConfigError(
            f"trainer 'dp' (DP-SGD through Opacus) supports torch models only, such as model=mlp; "
            f"received model '{cfg['model']['name']}' ({library})"
        )
    if trainer == "dp":
        from trustbench.training.dp import check_dp_config

        check_dp_config(cfg["model"], trainer_cfg)
    if trainer == "fair":
        from trustbench.training.fair_config import check_fair_config

        check_fair_config(trainer_cfg, cfg["model"])
    from trustbench.suites.fairness.suite import check_config as check_fairness_config
    from trustbench.suites.generalization.suite import check_config as check_generalization_config
    from trustbench.suites.performance import check_config as check_performance_config
    from trustbench.suites.uncertainty.suite import check_config as check_uncertainty_config

    check_fairness_config(suite.fairness)
    check_generalization_config(suite.generalization)
    check_uncertainty_config(suite.uncertainty)
    check_performance_config(suite.performance)
    for name in suite.privacy.attacks:
        if name not in PRIVACY_ATTACKS:
            raise ConfigError(unknown_name_message("attack", name, list(PRIVACY_ATTACKS)))
    from trustbench.suites.privacy.suite import check_config as check_privacy_config

    check_privacy_config(suite.privacy, trainer)
    explainers = suite.explainability
    gradients = explainers.gradient_explainers if library == "torch" else None
    if explainers.enabled and not (explainers.explainers or gradients or explainers.baselines):
        raise ConfigError(
            "suite.explainability: explainers, baselines (and, for torch models, "
            "gradient_explainers) are all empty; name at least one explainer or set "
            "suite.explainability.enabled=false"
        )
    for name in [
        *explainers.explainers,
        *(explainers.gradient_explainers or []),
        *explainers.baselines,
    ]:
        EXPLAINERS.get(name)
    for name in explainers.explainers:
        if EXPLAINERS.get(name).needs_gradients and library != "torch" and explainers.enabled:
            raise ConfigError(
                f"explainer '{name}' needs gradients, which model '{cfg['model']['name']}' ({library}) "
                f"does not have; use a torch model (model=mlp) or a model-agnostic explainer "
                f"(explainer=ablation)"
            )
        if EXPLAINERS.get(name).needs_gradients and trainer == "fair" and explainers.enabled:
            raise ConfigError(
                f"explainer '{name}' needs gradients, which trainer 'fair' does not give: its "
                f"model is a fairlearn-mitigated classifier (thresholds or a mixture of hard "
                f"predictions); use a model-agnostic explainer (explainer=ablation)"
            )
    return suite


def check_image_config(cfg: Mapping[str, Any]) -> None:
    """Refuse model/trainer choices that cannot work with the dataset's input kind.

    Raises
    ------
    ConfigError
        For an image-only model (``model.input: image``, such as ``cnn``) on a tabular
        dataset, or ``trainer=fair`` with a reduction (which needs tabular ``X``) on an
        image dataset; its ``threshold_optimizer`` works with images.
    """
    dataset = cfg["dataset"]["name"]
    is_image = dataset in data_module.IMAGE_DATASETS
    model = cfg["model"]
    if model.get("input") == "image" and not is_image:
        raise ConfigError(
            f"model '{model.get('name')}' needs an image dataset (dataset one of "
            f"{list(data_module.IMAGE_DATASETS)}); received dataset '{dataset}'"
        )
    method = cfg["trainer"].get("method")
    if is_image and cfg["trainer"]["name"] == "fair" and method != "threshold_optimizer":
        raise ConfigError(
            f"trainer.method '{method}' (a fairlearn reduction) needs tabular features; dataset "
            f"'{dataset}' is an image dataset: use trainer.method=threshold_optimizer "
            f"(post-processing, works with any model)"
        )


def dataset_kwargs(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Loader keyword arguments: the dataset config minus its ``name``."""
    return {k: v for k, v in cfg["dataset"].items() if k != "name"}


def run_experiment(
    cfg: DictConfig | Mapping[str, Any], *, track: bool = True, output_dir: Path | None = None
) -> ExperimentResult:
    """Run one experiment and (by default) record it in MLflow.

    The MLflow run is opened after the data are loaded and before training, so a job that
    crashes ends FAILED (with the error as a tag) and one that is killed ends KILLED; only a
    run that completed every step ends FINISHED. A run in which a suite failed is logged in
    full (the other suites' metrics, the report, tags ``trustbench.suite.<family>.status`` and
    ``trustbench.suites_failed``) and then ends FAILED, and the result's
    :attr:`~ExperimentResult.failed_suites` names them. With ``resume=true`` a configuration
    whose run identity already has a FINISHED run without a failed suite is skipped.

    Parameters
    ----------
    cfg : DictConfig or mapping
        The resolved config (``configs/config.yaml`` and its groups).
    track : bool
        Log to ``cfg.tracking`` when true.
    output_dir : path, optional
        The run's own folder (default: Hydra's output folder of the job, else a new
        ``outputs/<date>/<time>`` beside a local SQLite store). A tracked run writes its
        artifacts to ``output_dir/artifacts`` before logging them, so a logging failure loses
        nothing: it raises :class:`~trustbench.tracking.LoggingFailed` naming that folder,
        which ``python -m trustbench.relog`` logs again.
    """
    start = time.perf_counter()
    resolved = (
        OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    )
    suite = validate_config(resolved)
    seed = int(resolved["seed"])
    threads = resolve_threads(resolved.get("threads", "auto"))
    limit_threads(threads)

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    log.info("[1/4] loading dataset '%s' (seed %d)", resolved["dataset"]["name"], seed)
    task = data_module.load(resolved["dataset"]["name"], seed=seed, **dataset_kwargs(resolved))
    sizes = ", ".join(f"{name} {len(split)}" for name, split in task.splits.items())
    log.info(
        "      %s; %d features; fingerprint %s", sizes, len(task.features), task.fingerprint[:12]
    )
    if statement := positive_class_statement(task.classes, task.metadata):
        log.info("      %s", statement)
    check_task_options(suite, task)  # options naming a split, feature or attribute
    check_key_lengths(key_names(task), suite, list(task.splits))  # labels -> MLflow keys
    check_param_keys(resolved)  # the config as MLflow params
    identity = run_identity(resolved, task.fingerprint, trustbench_version())
    timings["data"] = time.perf_counter() - clock

    if not track:
        report, model = _train_and_score(resolved, task, identity, threads, timings)
        return ExperimentResult(
            report, None, time.perf_counter() - start, model=model, timings=timings
        )

    tracking = resolved["tracking"]
    clock = time.perf_counter()
    uri = resolve_tracking_uri(tracking["uri"])
    experiment_id = prepare_experiment(uri, tracking["experiment"])
    timings["store"] = time.perf_counter() - clock
    if resolved.get("resume", False):
        mark_stale_runs(uri, experiment_id)  # RUNNING runs whose process is gone: KILLED
        existing = find_finished_run(uri, experiment_id, identity)
        if existing is not None:
            log.info(
                "resume: run %s already FINISHED with identity %s; skipping", existing, identity
            )
            return ExperimentResult(None, existing, time.perf_counter() - start, skipped=True)
    if suite.privacy.cache_dir is None:
        from trustbench.privacy.cache import default_cache_dir

        cache = default_cache_dir(uri)
        if cache is not None:  # reference-model outputs cached beside a local tracking store
            resolved["suite"]["privacy"]["cache_dir"] = str(cache)
    tags = {"trustbench.run_identity": identity, "trustbench.dataset_fingerprint": task.fingerprint}
    with (
        contextlib.suppress(SuitesFailed),  # raised below: the run ends FAILED, nothing lost
        tracked_run(uri, experiment_id, run_name=run_name(resolved), tags=tags) as run_id,
    ):
        log_config(run_id, resolved, tracking_uri=uri)
        report, model = _train_and_score(resolved, task, identity, threads, timings)
        clock = time.perf_counter()
        log.info(
            "[4/4] logging to MLflow (%s, experiment '%s')", tracking["uri"], tracking["experiment"]
        )
        report.run.update(mlflow_run_id=run_id, tracking_uri=uri)
        local = log_with_local_copy(  # artifacts saved in output_dir/artifacts first
            run_id,
            report,
            tracking_uri=uri,
            config=resolved,
            model=model if tracking.get("log_model", True) else None,
            output_dir=output_dir,
        )
        failure = ExperimentResult(report, run_id, 0.0).failure_line()
        if failure is not None:
            raise SuitesFailed(failure)
    timings["log"] = time.perf_counter() - clock
    seconds = time.perf_counter() - start
    return ExperimentResult(
        report, run_id, seconds, model=model, timings=timings, artifacts_dir=local
    )


def _audit(task: TaskData, suite: SuiteConfig, seed: int) -> DataAudit | None:
    """The data suite's model-free audit, before training; its warnings are logged."""
    if not suite.data.enabled:
        return None
    audit = audit_data(task, suite, seed)
    log.info("      data audit: %d warnings (%.2f s)", len(audit.warnings), audit.seconds)
    for warning in audit.warnings:
        log.warning("      %s", warning)
    return audit


def _train_and_score(
    resolved: Mapping[str, Any],
    task: TaskData,
    identity: str,
    threads: int,
    timings: dict[str, float],
) -> tuple[TrustReport, Any]:
    """Train the configured model on ``task`` and score it; returns the report and the model.

    Adds ``train`` and ``score`` seconds to ``timings``.
    """
    seed = int(resolved["seed"])
    audit = _audit(task, load_suite_config(resolved["suite"]), seed)
    clock = time.perf_counter()
    log.info(
        "[2/4] training model '%s' with trainer '%s' (%d threads)",
        resolved["model"]["name"],
        resolved["trainer"]["name"],
        threads,
    )
    train_task, canaries = task, None
    n_canaries = int(resolved["suite"]["privacy"]["canaries"])  # checked by validate_config
    if n_canaries > 0:  # canary audit: training (only) sees mislabelled duplicates
        from trustbench.privacy.canaries import insert_canaries

        train_task, canaries = insert_canaries(task, n_canaries, seed)
        log.info(
            "      privacy canaries: %d of %d candidates inserted into train",
            int(canaries.included.sum()),
            n_canaries,
        )
    trained = train(
        resolved["model"],
        resolved["trainer"],
        train_task,
        seed=seed,
        device=str(resolved.get("device", "auto")),
    )
    record = trained.record
    if canaries is not None:  # only the privacy suite sees them, through its scoring context
        record = replace(record, canaries_inserted=int(canaries.included.sum()))
    timings["train"] = time.perf_counter() - clock
    record = replace(record, threads=threads)  # logged as training.threads: the resolved budget
    log.info("      trained in %.2f s", record.seconds or 0.0)
    if record.dp is not None:
        log.info(
            "      DP: epsilon %.3f at delta %.2g (%s accountant)",
            record.dp.epsilon,
            record.dp.delta,
            record.dp.accountant,
        )
    log.info("[3/4] scoring suites")
    clock = time.perf_counter()
    report = score(
        trained.model,
        task,
        config=resolved["suite"],
        seed=seed,
        training=record,
        canaries=canaries,
        progress=lambda family: log.info("      %s", family),
        data_audit=audit,
    )
    timings["score"] = time.perf_counter() - clock
    report.run.update(
        model=resolved["model"]["name"],
        trainer=resolved["trainer"]["name"],
        identity=identity,
        git_commit=git_commit(),
        threads=threads,
    )
    for family, suite in report.suites.items():
        if suite.status == "failed":
            log.warning("      suite %s failed: %s", family, suite.reason)
    return report, trained.model
