"""The binary-task half of the performance suite: what a clinician reads first.

- sensitivity, specificity, PPV and NPV at the **decision threshold**, the prediction every
  other metric uses (the argmax: positive when ``proba_1 > 0.5``), with Jeffreys intervals of
  their denominators; and at the **clinical operating point** of the fairness suite
  (``suite.fairness.target_sensitivity``): the largest threshold on ``proba_1`` whose
  sensitivity reaches the target, re-chosen in every bootstrap replicate
  (:func:`trustbench.metrics.threshold_at_sensitivity`), logged as
  ``performance/at_sensitivity_<target>/<rate>`` with percentile intervals (the threshold's own
  uncertainty is in them);
- prevalence, calibration slope and intercept (logistic recalibration);
- net benefit at ``net_benefit_threshold`` (null: the decision threshold 0.5, treating the
  predicted positives) beside treating everybody (``net_benefit_treat_all``) and nobody (0),
  with a warning when the model does not beat the better of the two, and the decision curve
  ``plots/decision_curve.png`` over ``decision_curve``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trustbench import metrics as M
from trustbench.metrics import clinical as K
from trustbench.plots import decision_curve as decision_curve_plot
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext
from trustbench.suites.performance.config import PerformanceConfig
from trustbench.suites.performance.results import FAMILY, rate_result, versus_baseline

__all__ = ["DECISION_THRESHOLD", "RATES", "clinical_results", "curve_grid"]

#: The confusion-matrix rates, reported at the decision threshold and at the operating point.
RATES = ("sensitivity", "specificity", "ppv", "npv")
#: The decision threshold of the argmax rule on a binary task.
DECISION_THRESHOLD = 0.5
_AT_DECISION = "at the decision threshold (argmax: positive when proba_1 > 0.5)"


def curve_grid(curve: list[float]) -> np.ndarray:
    """The thresholds ``start, start + step, ..., <= stop`` of ``suite.performance.decision_curve``."""
    start, stop, step = (float(v) for v in curve)
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    return np.round(start + step * np.arange(count), 12)


def clinical_results(
    ctx: ScoringContext,
    cfg: PerformanceConfig,
    y: np.ndarray,
    proba: np.ndarray,
    weights: np.ndarray,
    tally: Mapping[str, int],
) -> tuple[list[MetricResult], list[str], list[str]]:
    """The ``suite.performance.clinical`` metrics of a binary task: results, notes, warnings.

    ``weights`` are the stacked ``[ones; counts]`` of the split, ``tally`` the denominators of
    the rates at the decision threshold (:func:`trustbench.metrics.clinical.denominators`).
    """
    split, n = cfg.split, len(y)
    pred = ctx.y_pred(split)
    results: list[MetricResult] = []
    notes: list[str] = []
    warnings: list[str] = []
    for name in cfg.clinical:
        if name == "net_benefit":
            continue
        fn = M.REGISTRY.get(FAMILY, name).fn
        args = (y, pred) if name in RATES else (y,) if name == "prevalence" else (y, proba)
        row = np.asarray(fn(*args, weights=weights), dtype=float)
        detail = _AT_DECISION if name in RATES else None
        results.append(rate_result(ctx, name, row, tally, split, n, detail=detail))
    rates = [name for name in RATES if name in cfg.clinical]
    target = ctx.config.fairness.target_sensitivity
    if rates and target is not None:
        found, note = operating_point(ctx, y, proba[:, 1], weights, float(target), rates, split)
        results += found
        notes.append(note)
    if "net_benefit" in cfg.clinical:
        found, note, warning = net_benefit(ctx, cfg, y, proba[:, 1], pred, weights)
        results += found
        notes.append(note)
        warnings += [warning] if warning else []
        if cfg.plots:
            ctx.artifacts["plots/decision_curve.png"] = decision_plot(ctx, cfg, y, proba, weights)
    return results, notes, warnings


def operating_point(
    ctx: ScoringContext,
    y: np.ndarray,
    score: np.ndarray,
    weights: np.ndarray,
    target: float,
    rates: list[str],
    split: str,
) -> tuple[list[MetricResult], str]:
    """The rates at the threshold keeping sensitivity >= ``target``, re-chosen per replicate."""
    thresholds = M.threshold_at_sensitivity(y, score, target, weights)
    if not np.isfinite(thresholds[0]):
        return (
            [],
            f"operating point at sensitivity {target:g} undefined: '{split}' has no positives",
        )
    undefined = ~np.isfinite(thresholds)
    pred = M.predict_at_threshold(score, thresholds)  # (1 + B, n): one threshold per row
    detail = (
        f"at the operating point: positive when proba_1 >= t, t the largest threshold with "
        f"sensitivity >= {target:g} on '{split}' (suite.fairness.target_sensitivity), re-chosen "
        "in each bootstrap replicate"
    )
    results = []
    for name in rates:
        row = np.asarray(M.REGISTRY.get(FAMILY, name).fn(y, pred, weights=weights), dtype=float)
        row[undefined] = np.nan  # replicates without positives have no operating point
        key = f"at_sensitivity_{target:g}/{name}"
        results.append(rate_result(ctx, key, row, None, split, len(y), detail=detail))
    low, high = ctx.interval(thresholds[1:])
    return results, (
        f"clinical operating point: threshold {thresholds[0]:.4f} on proba_1 "
        f"({ctx.ci_level:.0%} CI [{low:.4f}, {high:.4f}] over replicates) keeps sensitivity "
        f">= {target:g} on '{split}'; performance/at_sensitivity_{target:g}/<rate>"
    )


def net_benefit(
    ctx: ScoringContext,
    cfg: PerformanceConfig,
    y: np.ndarray,
    score: np.ndarray,
    pred: np.ndarray,
    weights: np.ndarray,
) -> tuple[list[MetricResult], str, str | None]:
    """Net benefit at ``pt`` beside treat-all and treat-none, and the no-skill comparison."""
    split, n = cfg.split, len(y)
    if cfg.net_benefit_threshold is None:
        pt, treated = DECISION_THRESHOLD, pred
        detail = "at pt = 0.5, the decision threshold (the argmax prediction treated)"
    else:
        pt = float(cfg.net_benefit_threshold)
        treated = (score >= pt).astype(np.int64)
        detail = (
            f"at pt = {pt:g} (suite.performance.net_benefit_threshold): proba_1 >= {pt:g} treated"
        )
    model = np.asarray(K.net_benefit(y, treated, pt, weights), dtype=float)
    treat_all = np.asarray(K.treat_all_net_benefit(y, pt, weights), dtype=float)
    results = [
        ctx.from_row(FAMILY, "net_benefit", model, n=n, split=split, detail=detail),
        ctx.from_row(FAMILY, "net_benefit_treat_all", treat_all, n=n, split=split, detail=detail),
    ]
    better = "treating everybody" if treat_all[0] > 0 else "treating nobody"
    note, warning = versus_baseline(
        ctx,
        f"net benefit at pt = {pt:g}",
        model,
        np.maximum(treat_all, 0.0),
        better,
        split,
    )
    return results, note, warning


def decision_plot(
    ctx: ScoringContext,
    cfg: PerformanceConfig,
    y: np.ndarray,
    proba: np.ndarray,
    weights: np.ndarray,
):
    """``plots/decision_curve.png``: the model's net benefit with its bootstrap band."""
    grid = curve_grid(cfg.decision_curve)
    model, treat_all = K.decision_curve(y, proba[:, 1], grid, weights)
    tail = 100.0 * (1.0 - ctx.ci_level) / 2.0
    with np.errstate(invalid="ignore"):
        low, high = np.nanpercentile(model[1:], [tail, 100.0 - tail], axis=0)
    pt = DECISION_THRESHOLD if cfg.net_benefit_threshold is None else cfg.net_benefit_threshold
    label = f"model (treat '{ctx.task.classes[1]}' if proba_1 ≥ pt)"
    return decision_curve_plot(grid, model[0], low, high, treat_all[0], float(pt), label)
