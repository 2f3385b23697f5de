"""Explainability suite (first cut): faithfulness for every model, ground truth where known.

For each configured explainer ``e`` (the run's ``explainer`` plus the control baselines,
``random`` by default), on ``n_rows`` test rows and the model's predicted class:

- ``explainability/e/deletion_auc`` — deletion AUC, any model (lower is better);
- on datasets with ground-truth importances: ``explainability/e/gt_feature_agreement``
  (top-k overlap, OpenXAI FA) and ``explainability/e/gt_rank_correlation`` (Spearman of
  global importance).

All perturbed inputs of a metric are built at once and predicted in chunks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trustbench.errors import ConfigError
from trustbench.explain import EXPLAINERS, feature_baseline, masked_copies, predict_class_proba
from trustbench.metrics.explainability import (
    deletion_auc,
    deletion_masks,
    feature_agreement,
    rank_correlation,
)
from trustbench.models import is_torch_model
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import NotApplicable, ScoringContext

FAMILY = "explainability"


def agreement_k(top_k: int | None, truth: np.ndarray) -> int:
    """k for ground-truth agreement: ``top_k`` if set, else ``ceil(d / 4)`` capped at the number
    of truly important (non-zero) features, so that chance agreement (``k / d``) stays low."""
    d = len(truth)
    if top_k:
        return min(int(top_k), d)
    return max(1, min(int(np.ceil(d / 4)), int(np.count_nonzero(truth))))


def explainer_names(cfg: Mapping[str, Any]) -> list[str]:
    """The explainers to evaluate: ``suite.explainability.explainers`` then the baselines, deduplicated."""
    names: list[str] = []
    for name in [*cfg.get("explainers", []), *cfg.get("baselines", [])]:
        if name not in names:
            names.append(str(name))
    return names


def explainability_suite(ctx: ScoringContext, cfg: Mapping[str, Any]) -> SuiteResult:
    task = ctx.task
    if any(f.kind == "image" for f in task.features):
        raise NotApplicable("image features are not supported by this suite yet")
    names = explainer_names(cfg)
    if not names:
        raise ConfigError("suite.explainability.explainers is empty; name at least one explainer")
    test = ctx.split("test")
    n_rows = min(int(cfg.get("n_rows", 200)), len(test))
    rng = np.random.default_rng([ctx.seed, 11])
    positions = np.sort(rng.choice(len(test), size=n_rows, replace=False))
    X = test.X.iloc[positions].reset_index(drop=True)
    target = ctx.y_pred("test")[positions]
    baseline = feature_baseline(task.train.X)
    chunk = int(cfg.get("chunk_size", 65536))
    counts = ctx.counts("explained_rows", n_rows)
    truth = task.ground_truth.feature_importance if task.ground_truth is not None else None
    results: list[MetricResult] = []
    notes: list[str] = []
    attributions_out: dict[str, np.ndarray] = {"row_id": test.row_id[positions], "target": target}

    for name in names:
        cls = EXPLAINERS.get(name)
        if cls.needs_gradients and not is_torch_model(ctx.model):
            notes.append(
                f"explainer '{name}' skipped: it needs gradients and the model is not a torch model"
            )
            continue
        explainer = cls(ctx.model, baseline=baseline, n_classes=task.n_classes, seed=ctx.seed)
        attributions = np.asarray(explainer.attribute(X, target), dtype=float)
        attributions_out[name] = attributions
        frame = masked_copies(X, baseline, deletion_masks(attributions))
        curves = predict_class_proba(ctx.model, frame, target, task.n_classes, chunk).T
        results.append(
            ctx.estimate(
                FAMILY,
                f"{name}/deletion_auc",
                deletion_auc,
                curves,
                split="test",
                counts=counts,
                direction="min",
                definition="mean over rows of the area under the predicted-class probability as "
                "features are replaced by train medians/modes, most relevant first (Petsiuk et al. 2018)",
            )
        )
        if truth is not None:
            k = agreement_k(cfg.get("top_k"), truth)
            results.append(
                ctx.estimate(
                    FAMILY,
                    f"{name}/gt_feature_agreement",
                    feature_agreement,
                    attributions,
                    truth,
                    split="test",
                    counts=counts,
                    direction="max",
                    k=k,
                    definition=f"OpenXAI feature agreement: top-{k} overlap of |attribution| with |ground truth|",
                )
            )
            results.append(
                ctx.estimate(
                    FAMILY,
                    f"{name}/gt_rank_correlation",
                    rank_correlation,
                    attributions,
                    truth,
                    split="test",
                    counts=counts,
                    direction="max",
                    definition="Spearman correlation of mean |attribution| with |ground-truth importance|",
                )
            )
    if not results:
        raise NotApplicable(f"none of the explainers {names} applies to this model")
    attributions_out["feature_names"] = np.asarray(task.feature_names)
    ctx.artifacts["explainability/attributions.npz"] = attributions_out
    return SuiteResult(FAMILY, "ok", metrics=results, notes=notes)
