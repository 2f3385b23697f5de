"""Explainability suite: explanation quality for every model the harness trains.

For each configured explainer ``e`` (``suite.explainability.explainers`` plus the control
``baselines``, ``random`` by default), on ``n_rows`` test rows and the model's predicted class:

- faithfulness (any model): ``e/deletion_auc``, ``insertion_auc``, ``pgi``, ``pgu`` (and their
  removal forms ``pgi_removal``, ``pgu_removal``),
  ``faithfulness_correlation``, ``infidelity``;
- ground truth (tabular tasks with importances): ``e/gt_feature_agreement``,
  ``gt_rank_agreement``, ``gt_sign_agreement`` (binary tasks), ``gt_pairwise_rank_agreement``,
  ``gt_pairwise_rank_agreement_untied``, ``gt_rank_correlation``,
  ``gt_global_rank_correlation``;
- localisation (image tasks with masks): ``e/pointing_game``, ``relevance_mass_accuracy``,
  ``relevance_rank_accuracy``;
- robustness: ``e/max_sensitivity``, ``relative_input_stability``,
  ``relative_output_stability``;
- complexity: ``e/sparseness``, ``e/entropy``;
- sanity (torch models): ``e/randomisation_similarity`` (+ a warning above
  ``sanity_threshold``);
- explanation fairness: ``e/<attribute>/deletion_auc_gap`` and ``max_sensitivity_gap``.

All perturbed inputs of a metric go through the batched engine in chunks. Artifacts:
``explainability/attributions.npz`` and, for images, ``plots/attribution_maps.png`` (each image
headed by its true label and the prediction with its probability); for tabular tasks
``plots/feature_importance.png``: mean ``|attribution|`` per feature of the first configured
explainer, beside the first control baseline (``random``), from the attributions computed
here (:func:`explanation_figures`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trustbench.errors import ConfigError
from trustbench.explain import EXPLAINERS, MaskedForward
from trustbench.explain.neighbours import feature_scales
from trustbench.metrics.explain_groundtruth import untied_k
from trustbench.models import is_torch_model
from trustbench.report import SuiteResult
from trustbench.suites.context import NotApplicable, ScoringContext
from trustbench.suites.explainability.config import ExplainabilityConfig
from trustbench.suites.explainability.inputs import chunk_rows, continuous_stds, select_rows
from trustbench.suites.explainability.scores import FAMILY, Scorer


def agreement_k(top_k: int | None, truth: np.ndarray) -> tuple[int, str | None]:
    """k for ground-truth agreement, and a note when it is not the one asked for.

    The requested k is ``top_k`` if set, else ``ceil(d / 4)`` capped at the number of truly
    important (non-zero) features, so that chance agreement (``k / d``) stays low. It is then
    moved to :func:`~trustbench.metrics.explain_groundtruth.untied_k` (down, else up), so
    that no tie of ``|g|`` straddles the top-k boundary and the truth's top-k set does not
    depend on column order.
    """
    d = len(truth)
    if top_k:
        requested = min(int(top_k), d)
    else:
        requested = max(1, min(int(np.ceil(d / 4)), int(np.count_nonzero(truth))))
    k = untied_k(truth, requested)
    if k == requested:
        return k, None
    return k, (
        f"ground-truth agreement uses k={k}, not {requested}: features tie in |g| across "
        f"position {requested}, so the truth's top-{requested} set would depend on column order"
    )


def explainer_names(cfg: ExplainabilityConfig, torch_model: bool = False) -> list[str]:
    """The explainers to evaluate, deduplicated: ``suite.explainability.explainers``, then
    ``gradient_explainers`` when the model is a torch model, then the ``baselines``."""
    names: list[str] = []
    extra = list(cfg.gradient_explainers or []) if torch_model else []
    for name in [*cfg.explainers, *extra, *cfg.baselines]:
        if name not in names:
            names.append(str(name))
    return names


def explainer_options(cfg: ExplainabilityConfig, name: str) -> dict[str, Any]:
    """Options of one explainer (e.g. ``n_samples``): those of the run's ``explainer`` group
    (``suite.explainability.explainer_options``) when it names this explainer, updated by
    ``suite.explainability.options.<name>``."""
    options: dict[str, Any] = {}
    run_explainer = cfg.explainer_options or {}
    if run_explainer.get("name") == name:
        options.update(run_explainer)
    options.update((cfg.options or {}).get(name) or {})
    options.pop("name", None)
    return options


def explainability_suite(ctx: ScoringContext, cfg: ExplainabilityConfig) -> SuiteResult:
    task = ctx.task
    torch_model = is_torch_model(ctx.model)
    names = explainer_names(cfg, torch_model)
    if not names:
        raise ConfigError("suite.explainability.explainers is empty; name at least one explainer")
    n_rows = cfg.image_rows if task.is_image else cfg.n_rows
    rows = select_rows(task, ctx.y_pred("test"), n_rows, ctx.seed)
    chunk = chunk_rows(cfg, rows)
    engine = MaskedForward(ctx.model, rows.X, rows.baseline, rows.target, task.n_classes, chunk)
    scorer = Scorer(
        ctx,
        cfg,
        rows,
        engine,
        ctx.counts("explained_rows", len(rows)),
        continuous_stds(task),
        feature_scales(task),
    )
    truth = None
    notes: list[str] = []
    if task.ground_truth is not None and not rows.image:
        truth = task.ground_truth.feature_importance
    if truth is not None:
        k, k_note = agreement_k(cfg.top_k, truth)
        notes += [k_note] if k_note else []
    attributions_out: dict[str, np.ndarray] = {"row_id": rows.row_id, "target": rows.target}
    maps: dict[str, np.ndarray] = {}

    for name in names:
        cls = EXPLAINERS.get(name)
        if cls.needs_gradients and not torch_model:
            notes.append(
                f"explainer '{name}' skipped: it needs gradients and the model is not a torch model"
            )
            continue
        options = explainer_options(cfg, name)

        def make(model: Any, cls: type = cls, options: dict = options) -> Any:
            return cls(
                model,
                baseline=rows.baseline,
                n_classes=task.n_classes,
                seed=ctx.seed,
                chunk_size=chunk,
                **options,
            )

        explainer = make(ctx.model)
        a = np.asarray(explainer.attribute(rows.X, rows.target), dtype=float)
        attributions_out[name] = a
        maps[name] = a
        deletion_rows = scorer.faithfulness(name, a)
        if truth is not None:
            scorer.ground_truth(name, a, truth, k)
        if rows.image:
            scorer.localisation(name, a)
        sensitivity_rows = None
        if cfg.robustness:
            sensitivity_rows = scorer.robustness(name, explainer, a)
        scorer.complexity(name, a)
        if cfg.sanity:
            if torch_model:
                scorer.sanity(name, make, a)
            elif name == names[0]:
                notes.append(
                    "randomisation sanity check not applicable: the model has no "
                    "parameters to randomise through the facade (not a torch model)"
                )
        per_row = {"deletion_auc": deletion_rows}
        if sensitivity_rows is not None:
            per_row["max_sensitivity"] = sensitivity_rows
        scorer.fairness(name, per_row)
    if not scorer.results:
        raise NotApplicable(f"none of the explainers {names} applies to this model")
    attributions_out.update(scorer.extra)
    if not rows.image:
        attributions_out["feature_names"] = np.asarray(task.feature_names)
    elif rows.masks is not None:
        attributions_out["masks"] = rows.masks
    ctx.artifacts["explainability/attributions.npz"] = attributions_out
    if cfg.plots and maps:
        ctx.artifacts.update(explanation_figures(ctx, cfg, rows, maps))
    notes += scorer.notes
    return SuiteResult(FAMILY, "ok", metrics=scorer.results, notes=notes, warnings=scorer.warnings)


def explanation_figures(
    ctx: ScoringContext, cfg: ExplainabilityConfig, rows: Any, maps: dict[str, np.ndarray]
) -> dict[str, Any]:
    """The suite's figures from the attributions already computed (``{explainer: (n, ...)}``).

    Images: ``plots/attribution_maps.png``. Tabular tasks: ``plots/feature_importance.png`` of
    the first explainer that ran and is not a control baseline (else the first that ran),
    beside the first control baseline that ran.
    """
    from trustbench.explain.figures import attribution_maps, feature_importance

    task = ctx.task
    if rows.image:
        test = ctx.split("test")
        positions = np.flatnonzero(np.isin(test.row_id, rows.row_id))  # rows are in test order
        known = len(positions) == len(rows)  # row ids unique in the split
        proba = ctx.proba["test"][positions] if known else None
        figure = attribution_maps(
            rows.X,
            maps,
            rows.masks,
            n_examples=cfg.n_maps,
            y_true=test.y[positions] if known else None,
            y_pred=rows.target,
            proba=None if proba is None else proba[np.arange(len(rows)), rows.target],
            class_names=task.classes,
        )
        return {"plots/attribution_maps.png": figure}
    explained = [name for name in maps if name not in cfg.baselines] or list(maps)
    controls = [name for name in cfg.baselines if name in maps and name != explained[0]]
    figure = feature_importance(
        maps[explained[0]],
        task.feature_names,
        explained[0],
        control=maps[controls[0]] if controls else None,
        control_name=controls[0] if controls else "random",
    )
    return {"plots/feature_importance.png": figure}
