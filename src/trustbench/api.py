"""The Python API: score any fitted model on a TaskData and get a TrustReport.

>>> import trustbench
>>> data = trustbench.data.load("heart", seed=0)
>>> from sklearn.ensemble import HistGradientBoostingClassifier   # any fitted model with predict_proba
>>> report = trustbench.score(model, data)                      # doctest: +SKIP
>>> report.summary()                                           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from trustbench.data.target import positive_class_statement
from trustbench.data.task import TaskData
from trustbench.errors import ConfigError
from trustbench.metrics.weights import chunk_memory
from trustbench.models import check_proba, wrap
from trustbench.models.describe import describe_model
from trustbench.models.facade import predict_proba
from trustbench.options import merge
from trustbench.privacy.canaries import CanarySet
from trustbench.registry import unknown_name_message
from trustbench.report import FAMILIES, TrustReport
from trustbench.suites import (
    SUITES,
    DataAudit,
    ScoringContext,
    default_config,
    load_suite_config,
    run_suites,
)
from trustbench.tracking.identity import package_versions, trustbench_version
from trustbench.training.record import TrainingRecord


def merged_suite_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The shipped suite defaults (``configs/suite/<section>/default.yaml``) with ``overrides``
    merged in. Keys are checked when the result is loaded (:func:`load_suite_config`)."""
    if isinstance(overrides, DictConfig):
        overrides = OmegaConf.to_container(overrides, resolve=True)
    return merge(default_config(), overrides or {})


def predict_splits(model: Any, data: TaskData) -> dict[str, np.ndarray]:
    """Validated class probabilities for every non-empty split.

    A model that sets ``requires_sensitive = True`` (fairlearn's ThresholdOptimizer behind
    ``trainer=fair``) is called as ``predict_proba(X, sensitive=split.sensitive)``.
    """
    return {
        name: check_proba(
            predict_proba(model, split.X, split.sensitive),
            len(split),
            data.n_classes,
            where=f"predict_proba on '{name}'",
        )
        for name, split in data.splits.items()
        if len(split)
    }


def predictions_frame(data: TaskData, proba: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One row per scored example (``predictions.parquet``): row_id, split, y_true, y_pred,
    ``proba_<k>`` per class, ``sensitive_<name>`` per attribute, and ``site`` where present."""
    frames = []
    for name, p in proba.items():
        split = data.splits[name]
        frame = pd.DataFrame(
            {"row_id": split.row_id, "split": name, "y_true": split.y, "y_pred": p.argmax(axis=1)}
        )
        for k in range(p.shape[1]):
            frame[f"proba_{k}"] = p[:, k]
        for attribute in data.sensitive_names:
            frame[f"sensitive_{attribute}"] = split.sensitive[attribute].astype(str).to_numpy()
        if split.site is not None:
            frame["site"] = np.asarray(split.site).astype(str)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def score(
    model: Any,
    data: TaskData,
    suites: Sequence[str] | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    seed: int = 0,
    training: TrainingRecord | Mapping[str, Any] | None = None,
    canaries: CanarySet | None = None,
    reference_recipe: Any = None,
    progress: Callable[[str], None] | None = None,
    data_audit: DataAudit | None = None,
    model_name: str | None = None,
) -> TrustReport:
    """Score a fitted model on every configured suite.

    Parameters
    ----------
    model : object
        Any fitted classifier with ``predict_proba`` (a scikit-learn estimator or pipeline,
        or a :class:`trustbench.models.TorchClassifier`). It is never refitted.
    data : TaskData
        From :func:`trustbench.data.load`; the model must accept ``data.train.X``.
    suites : sequence of str, optional
        Families to run (default: all of them); the others are recorded as disabled.
    config : mapping, optional
        Overrides of the suite config (``configs/suite/<section>/default.yaml``), e.g.
        ``{"bootstrap": {"n_resamples": 200}}``. An unknown key or a wrong type is a
        :class:`~trustbench.errors.ConfigError` naming the full key.
    seed : int
        Seeds bootstrap resampling, the privacy audit sample and the explained rows.
    training : TrainingRecord or its flat form (a mapping), optional
        The trainer's record; DP runs pass their epsilon/delta here. It is kept in
        ``report.run["training"]`` (flat) and logged as ``training.*`` params.
    canaries : CanarySet, optional
        The candidate canaries of a canary audit (:func:`trustbench.privacy.canaries.
        insert_canaries`; the model was trained on ``data`` plus the included ones); the
        privacy suite scores them, and they are never attached to the model.
    reference_recipe : unfitted model, optional
        The recipe the privacy audit's reference models follow (LiRA, RMIA); default the
        target's own. Give one for a model trained outside the harness.
    progress : callable, optional
        Called with each family's name before its suite runs.
    data_audit : DataAudit, optional
        The data suite's model-free audit of ``data`` when it already ran
        (:func:`trustbench.suites.audit_data`, before training); otherwise the data suite
        runs it.
    model_name : str, optional
        What the model is called on the leaderboard, and alone its identity there: runs
        logged with one name are seeds of one configuration. Default: the estimator's class
        (a pipeline's final step, a torch module's class) plus a hash of its recipe
        (``get_params`` without seeds; a wrapped module's architecture), so that different
        models are different configurations (:mod:`trustbench.models.describe`). Kept in
        ``report.run["model"]`` and ``report.run["model_identity"]``.

    Returns
    -------
    TrustReport
    """
    model = wrap(model)
    identity = describe_model(model, model_name)
    cfg = load_suite_config(merged_suite_config(config))
    if suites is not None:
        for name in suites:
            if name not in FAMILIES:
                raise ConfigError(unknown_name_message("suite", name, FAMILIES))
        cfg = replace(
            cfg,
            **{
                family: replace(getattr(cfg, family), enabled=False)
                for family in FAMILIES
                if family not in suites
            },
        )
    record = TrainingRecord.coerce(training)
    proba = predict_splits(model, data)
    ctx = ScoringContext(
        model=model,
        task=data,
        proba=proba,
        config=cfg,
        seed=seed,
        training=record,
        canaries=canaries,
        reference_recipe=reference_recipe,
        data_audit=data_audit,
    )
    with chunk_memory(cfg.bootstrap.chunk_memory_mb):  # replicates in bounded chunks
        results = run_suites(ctx, SUITES, progress=progress)
    report = TrustReport(
        run={
            "dataset": data.name,
            "fingerprint": data.fingerprint,
            "n": {name: len(split) for name, split in data.splits.items()},
            "target": data.target,
            "classes": list(data.classes),
            "positive_class": positive_class_statement(data.classes, data.metadata),
            "sensitive": list(data.sensitive_names),
            "model": identity.name,
            "model_class": type(model).__name__,
            "model_identity": identity.to_dict(),
            "seed": seed,
            "training": record.to_dict(),
            "trustbench_version": trustbench_version(),
            "versions": package_versions(),
            "data": {k: v for k, v in data.metadata.items() if isinstance(v, str | int | float)},
            # key component -> original label, wherever a metric key does not spell the label
            "key_labels": ctx.key_names.renamed(),
        },
        suites=results,
    )
    report.artifacts["predictions.parquet"] = predictions_frame(data, proba)
    report.artifacts.update(ctx.artifacts)
    return report
