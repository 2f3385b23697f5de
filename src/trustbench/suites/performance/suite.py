"""Performance suite: discrimination, probabilistic accuracy and clinical performance.

On ``suite.performance.split`` (default ``test``):

- ``performance/<metric>`` for every metric of ``metrics`` (of the probabilities, any task),
  and beside accuracy the no-skill baseline ``no_skill_accuracy`` (always predicting the
  majority class);
- for a binary task, every metric of ``clinical`` (:mod:`trustbench.suites.performance.clinical`):
  sensitivity, specificity, PPV and NPV at the decision threshold and at the clinical operating
  point ``suite.fairness.target_sensitivity``, prevalence, calibration slope and intercept, net
  benefit beside treating everybody and nobody, and ``plots/decision_curve.png``; on a
  multiclass task they are skipped with a note;
- with ``plots``, ``plots/roc_pr.png`` (binary tasks: ROC and PR curves, the operating point
  at the decision threshold marked) and ``plots/confusion_matrix.png`` (every task)
  (:mod:`trustbench.suites.performance.figures`).

A rate ``k / n`` at the decision threshold gets the Jeffreys interval of its denominator
(:data:`trustbench.metrics.clinical.DENOMINATORS`), every other value the percentile bootstrap
over patients (one set of replicates shared by every metric). **A model that does not beat a
no-skill baseline is a warning**
(:func:`~trustbench.suites.performance.results.versus_baseline`): its point value is no better, or
the paired bootstrap interval of its advantage reaches 0. **A split with fewer than 10 rows of
a class is a warning** too (:mod:`trustbench.suites.class_counts`), and each of its bootstrap
intervals carries a note: they rest on those few patients. The notes name the positive class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trustbench.data.target import positive_class_statement
from trustbench.metrics import clinical as K
from trustbench.metrics.specs.performance import CLINICAL_SPECS, SPECS
from trustbench.report import SuiteResult
from trustbench.suites.class_counts import thin_class_warning
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.performance.clinical import clinical_results
from trustbench.suites.performance.config import PerformanceConfig
from trustbench.suites.performance.figures import performance_figures
from trustbench.suites.performance.results import FAMILY, ordered, rate_result, versus_baseline

__all__ = [
    "BASELINES",
    "CLINICAL_METRICS",
    "PERFORMANCE_METRICS",
    "check_config",
    "performance_suite",
]

#: ``{name: fn}`` of the metrics of the probabilities (``suite.performance.metrics``).
PERFORMANCE_METRICS = {spec.name: spec.fn for spec in SPECS}
#: The no-skill baselines, reported beside the metric they are a baseline of (never listed).
BASELINES = {"no_skill_accuracy": "accuracy", "net_benefit_treat_all": "net_benefit"}
#: Binary-task metrics (``suite.performance.clinical``).
CLINICAL_METRICS = tuple(spec.name for spec in CLINICAL_SPECS if spec.name not in BASELINES)


def performance_suite(ctx: ScoringContext, cfg: PerformanceConfig) -> SuiteResult:
    """``performance/<metric>`` on ``suite.performance.split``, each with its interval."""
    check_config(cfg)
    split, task = cfg.split, ctx.task
    y, proba = ctx.split(split).y, ctx.proba[split]
    weights = stacked(ctx.counts(split))
    tally = K.denominators(y, ctx.y_pred(split))
    results, notes, warnings = [], [], []
    if statement := positive_class_statement(task.classes, task.metadata):
        notes.append(f"{statement}: the binary metrics treat it as positive")
    rows = {
        name: np.asarray(PERFORMANCE_METRICS[name](y, proba, weights=weights))
        for name in cfg.metrics
    }
    results += [rate_result(ctx, name, row, tally, split, len(y)) for name, row in rows.items()]
    if "accuracy" in rows:
        baseline = np.asarray(K.no_skill_accuracy(y, task.n_classes, weights))
        results.append(rate_result(ctx, "no_skill_accuracy", baseline, tally, split, len(y)))
        majority = task.classes[int(np.argmax(np.bincount(y, minlength=task.n_classes)))]
        note, warning = versus_baseline(
            ctx, "accuracy", rows["accuracy"], baseline, f"always predicting '{majority}'", split
        )
        notes.append(note)
        warnings += [warning] if warning else []
    if cfg.clinical and task.n_classes == 2:
        found, found_notes, found_warnings = clinical_results(ctx, cfg, y, proba, weights, tally)
        results += found
        notes += found_notes
        warnings += found_warnings
    elif cfg.clinical:
        notes.append(
            f"binary-task metrics {list(cfg.clinical)} (suite.performance.clinical) skipped: "
            f"dataset '{task.name}' has {task.n_classes} classes"
        )
    if (thin := thin_class_warning(results, y, task.classes, split)) is not None:
        warnings.append(thin)
    if cfg.plots:
        ctx.artifacts.update(performance_figures(ctx, split))
    return SuiteResult(FAMILY, "ok", metrics=ordered(results), notes=notes, warnings=warnings)


def _names(cfg: PerformanceConfig, key: str, allowed: tuple[str, ...], other: str) -> None:
    from trustbench.errors import ConfigError
    from trustbench.registry import unknown_name_message

    elsewhere = {"metrics": CLINICAL_METRICS, "clinical": tuple(PERFORMANCE_METRICS)}[key]
    for name in getattr(cfg, key):
        if name in allowed:
            continue
        hint = ""
        if name in elsewhere:
            hint = f" '{name}' belongs in suite.performance.{other}."
        elif name in BASELINES:
            hint = f" '{name}' is reported with '{BASELINES[name]}'; list that instead."
        raise ConfigError(
            f"suite.performance.{key}: "
            + unknown_name_message("metric", str(name), list(allowed))
            + hint
        )


def check_config(cfg: PerformanceConfig | Mapping[str, Any]) -> None:
    """Validate ``suite.performance`` before any training (called by ``validate_config``); a
    partial mapping is completed from the shipped defaults first.

    Raises
    ------
    ConfigError
        For an unknown metric name (naming the list it belongs in), a ``net_benefit_threshold``
        outside ``(0, 1)`` or a ``decision_curve`` that is not ``[start, stop, step]`` with
        ``0 < start <= stop < 1`` and ``step > 0``.
    """
    from trustbench.errors import ConfigError
    from trustbench.suites.config import section_config

    cfg = section_config("performance", cfg)
    _names(cfg, "metrics", tuple(PERFORMANCE_METRICS), "clinical")
    _names(cfg, "clinical", CLINICAL_METRICS, "metrics")
    pt = cfg.net_benefit_threshold
    if pt is not None and (
        isinstance(pt, bool) or not isinstance(pt, int | float) or not 0 < pt < 1
    ):
        raise ConfigError(
            f"suite.performance.net_benefit_threshold: expected null or a number in (0, 1), "
            f"got {pt!r}"
        )
    curve = cfg.decision_curve
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in curve)
    if len(curve) != 3 or not numbers or not 0 < curve[0] <= curve[1] < 1 or not curve[2] > 0:
        raise ConfigError(
            f"suite.performance.decision_curve: expected [start, stop, step] with "
            f"0 < start <= stop < 1 and step > 0, got {list(curve)!r}"
        )
    if (curve[1] - curve[0]) / curve[2] > 10_000:
        raise ConfigError(
            f"suite.performance.decision_curve: expected at most 10000 thresholds, got "
            f"{list(curve)!r} ({int((curve[1] - curve[0]) / curve[2]) + 1} thresholds)"
        )
