"""Fairness suite: per-group metrics, between-group gaps, and the gaps at a clinical operating point.

On ``suite.fairness.split`` (default ``test``), for every sensitive attribute ``a`` and (by
default) every pairwise intersection such as ``sex_x_age_group``:

- the per-group table (fairlearn ``MetricFrame`` columns): selection rate, accuracy, TPR, FPR,
  FNR, precision, ROC AUC, ECE and group size, each with a bootstrap CI, written in full to
  ``fairness/groups.parquet`` (columns ``attribute, group, metric, value, ci_low, ci_high,
  ci_method, n, denominator, flag, operating_point``: a rate's interval is the Jeffreys
  interval of its events over its denominator, e.g. the group's positives for a TPR); groups
  under ``min_group_size`` are flagged, never dropped;
- MLflow metrics ``fairness/a/<gap>`` for every gap of :data:`GAPS` (fairlearn's names), and
  per group ``fairness/a/<group>/<metric>`` for accuracy, selection rate, TPR and FPR
  (declared attributes only; intersections' groups are in the table);
- the worst attribute (declared ones) as the headline ``fairness/<gap>``: the largest gap or
  the smallest ratio / group minimum, taken inside each bootstrap replicate; a gap's interval
  is the bias-corrected bootstrap one, or, when some group's rate has zero or all events
  (constant replicates), the ``box`` interval over the groups' Jeffreys intervals;
- at the operating point (``target_sensitivity``, e.g. 0.9): the threshold on ``proba_1`` is
  the largest one whose overall sensitivity on the split reaches the target
  (:func:`trustbench.metrics.threshold_at_sensitivity`), re-chosen in every replicate, and the
  threshold gaps are reported as ``fairness/at_sensitivity_0.9/a/<gap>`` (plus overall
  ``.../specificity``);
- a bar plot per attribute with CIs, ``plots/fairness_by_<a>.png``.

Patients are resampled (one set of bootstrap replicates per split, shared by every metric).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from trustbench import metrics as M
from trustbench.metrics.fairness_rates import GAP_TABLE
from trustbench.metrics.group_stats import (
    GROUP_METRICS,
    GroupStats,
    group_stats,
    worst,
    worst_box_interval,
)
from trustbench.metrics.specs.fairness import GROUP_SPECS
from trustbench.plots import group_panels
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import NotApplicable, ScoringContext, stacked
from trustbench.suites.fairness.config import FairnessConfig
from trustbench.suites.fairness.groups import (
    EXPECTED,
    GAPS,
    argmax_note,
    collapsed_flag,
    gap_note,
    group_interval,
)
from trustbench.suites.fairness.sensitive import Attribute, attributes

FAMILY = "fairness"
#: Per-group values logged as MLflow metrics (the others are in fairness/groups.parquet).
LOGGED_GROUP_METRICS = tuple(spec.name for spec in GROUP_SPECS)
#: Gaps reported at the operating point (all of them are in the table's flags and notes).
OPERATING_POINT_GAPS = tuple(gap.name for gap in GAP_TABLE if gap.operating_point)
PLOTTED = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy", "ece")


def check_task(ctx: ScoringContext, split: str) -> None:
    """Raise NotApplicable when group fairness cannot apply to this task or split."""
    task = ctx.task
    if not task.sensitive_names:
        raise NotApplicable(f"dataset '{task.name}' has no sensitive attribute")
    if task.n_classes != 2:
        raise NotApplicable(
            f"group fairness metrics need a binary target; '{task.name}' has {task.n_classes} classes"
        )
    if split not in task.splits or split not in ctx.proba:
        raise NotApplicable(
            f"split '{split}' (suite.fairness.split) is missing or empty; "
            f"non-empty splits: {sorted(ctx.proba)}"
        )


def definition(attribute: Attribute, extra: str = "") -> str:
    """What a gap's value is computed over (appended to the registered definition)."""
    return f"over the groups of {attribute.name}{extra}"


def one_class_note(y: np.ndarray, classes: list[str], split: str) -> str | None:
    present = np.unique(y)
    if present.shape[0] < 2:
        only = classes[int(present[0])] if present.shape[0] else "none"
        return (
            f"split '{split}' holds only class '{only}': every TPR (or FPR) is undefined, so the "
            "equalized-odds and equal-opportunity gaps are undefined"
        )
    return None


def fairness_suite(ctx: ScoringContext, cfg: FairnessConfig) -> SuiteResult:
    split = cfg.split
    check_task(ctx, split)
    task, data = ctx.task, ctx.split(split)
    y, proba = data.y, ctx.proba[split]
    counts = ctx.counts(split)
    n_bins = cfg.n_bins
    min_group = cfg.min_group_size
    attrs = attributes(
        data.sensitive, task.sensitive_names, split, cfg.intersections, ctx.key_names
    )
    notes: list[str] = []
    if note := one_class_note(y, task.classes, split):
        notes.append(note)
    results: list[MetricResult] = []
    headline: list[MetricResult] = []
    rows: list[dict[str, Any]] = []
    per_attribute: dict[str, GroupStats] = {}
    randomized = bool(getattr(ctx.model, "randomized", False))
    soft = np.clip(proba[:, 1], 0.0, 1.0) if randomized else None
    extra = EXPECTED if randomized else ""
    for attribute in attrs:
        stats = group_stats(y, proba, attribute.groups, counts, n_bins, soft, soft=randomized)
        per_attribute[attribute.name] = stats
        results += gap_results(ctx, stats, attribute, split, GAPS, "", extra, min_group)
        flags = group_flags(stats, attribute, split, min_group, notes)
        form = "expected" if randomized else "argmax"
        rows += table_rows(ctx, stats, attribute, split, flags, form, GROUP_METRICS)
        if not attribute.is_intersection:
            results += group_results(ctx, stats, attribute, split, flags)
        if cfg.plots:
            ctx.artifacts[f"plots/fairness_by_{attribute.key}.png"] = group_panels(
                attribute.name, stats.labels, stats.sizes, plot_values(ctx, stats), min_group
            )
    declared = [a for a in attrs if not a.is_intersection]
    headline += worst_results(ctx, declared, per_attribute, split, GAPS, prefix="", extra=extra)
    if randomized and declared:
        notes.append(argmax_note(ctx.model, y, proba, declared, per_attribute, split))
    target = cfg.target_sensitivity
    if target is not None:
        op_results, op_rows, op_notes = operating_point(
            ctx, attrs, y, proba, counts, float(target), split, min_group
        )
        results += op_results
        rows += op_rows
        notes += op_notes
    ctx.artifacts["fairness/groups.parquet"] = pd.DataFrame(rows)
    warnings = [note for note in notes if "small group" in note]
    return SuiteResult(FAMILY, "ok", metrics=headline + results, notes=notes, warnings=warnings)


def gap_results(
    ctx: ScoringContext,
    stats: GroupStats,
    attribute: Attribute,
    split: str,
    names: tuple[str, ...],
    prefix: str,
    extra: str = "",
    min_group: int = 0,
) -> list[MetricResult]:
    out = []
    for name in names:
        row = stats.gaps[name]
        box = stats.box_interval(name, ctx.ci_level)
        out.append(
            ctx.from_row(
                FAMILY,
                f"{prefix}{attribute.key}/{name}",
                row,
                detail=definition(attribute, extra),
                n=int(stats.sizes.sum()),
                split=split,
                note=gap_note(name, stats, attribute.name, split, row[0], min_group),
                interval=None if box is None else (*box, "box"),
            )
        )
    return out


def worst_results(
    ctx: ScoringContext,
    declared: list[Attribute],
    per_attribute: Mapping[str, GroupStats],
    split: str,
    names: tuple[str, ...],
    prefix: str,
    extra: str = "",
) -> list[MetricResult]:
    out = []
    names_list = [a.name for a in declared]
    for name in names:
        direction = M.REGISTRY.get(FAMILY, name).direction
        row = worst([per_attribute[a.name].gaps[name] for a in declared], direction)
        stats = [per_attribute[a.name] for a in declared]
        box = worst_box_interval(stats, name, direction, ctx.ci_level, row)
        which = "smallest" if direction == "max" else "largest"
        points = np.array([per_attribute[a.name].gaps[name][0] for a in declared], dtype=float)
        attained = np.flatnonzero(points == row[0]) if np.isfinite(row[0]) else []
        out.append(
            ctx.from_row(
                FAMILY,
                f"{prefix}{name}",
                row,
                detail=f"worst sensitive attribute of {names_list} ({which} value, taken "
                f"inside each bootstrap replicate){extra}",
                n=int(next(iter(per_attribute.values())).sizes.sum()),
                split=split,
                note=None if np.isfinite(row[0]) else f"undefined for every attribute on '{split}'",
                interval=None if box is None else (*box, "box"),
                worst_of=names_list[attained[0]] if len(attained) else None,
            )
        )
    return out


def group_flags(
    stats: GroupStats, attribute: Attribute, split: str, min_group: int, notes: list[str]
) -> list[str | None]:
    flags = []
    for g, label in enumerate(stats.labels):
        size = int(stats.sizes[g])
        if size < min_group:
            flags.append(f"small group: n={size} < {min_group}")
            notes.append(f"{attribute.name}={label}: small group: n={size} < {min_group}")
        else:
            flags.append(None)
    return flags


def _join(*parts: str | None) -> str | None:
    text = "; ".join(p for p in parts if p)
    return text or None


def table_rows(
    ctx: ScoringContext,
    stats: GroupStats,
    attribute: Attribute,
    split: str,
    flags: list[str | None],
    operating_point: str,
    metrics: tuple[str, ...],
) -> list[dict[str, Any]]:
    rows = []
    for metric in metrics:
        values = stats.values[metric]
        denominators = stats.denominators(metric)
        for g, label in enumerate(stats.labels):
            low, high, method = group_interval(ctx, stats, metric, g)
            rows.append(
                {
                    "attribute": attribute.name,
                    "group": str(label),
                    "metric": metric,
                    "value": float(values[0, g]),
                    "ci_low": low,
                    "ci_high": high,
                    "ci_method": method if np.isfinite(low) else None,
                    "n": int(stats.sizes[g]),
                    "denominator": None if denominators is None else float(denominators[g]),
                    "flag": _join(
                        flags[g], stats.reason(metric, g, split), collapsed_flag(low, high, method)
                    ),
                    "operating_point": operating_point,
                }
            )
    return rows


def group_results(
    ctx: ScoringContext,
    stats: GroupStats,
    attribute: Attribute,
    split: str,
    flags: list[str | None],
) -> list[MetricResult]:
    out = []
    for metric in LOGGED_GROUP_METRICS:
        denominators = stats.denominators(metric)
        for g, label in enumerate(stats.labels):
            column = stats.values[metric][:, g]
            out.append(
                ctx.from_row(
                    FAMILY,
                    f"{attribute.key}/{attribute.group_key(label)}/{metric}",
                    column,
                    detail=f"within the group {attribute.name}={label} "
                    f"(n = {int(stats.sizes[g])} rows)",
                    n=int(stats.sizes[g]),
                    split=split,
                    note=_join(flags[g], stats.reason(metric, g, split)),
                    denominator=None if denominators is None else float(denominators[g]),
                )
            )
    return out


def plot_values(ctx: ScoringContext, stats: GroupStats) -> dict[str, tuple]:
    out = {}
    for metric in PLOTTED:
        values = stats.values[metric]
        bounds = [group_interval(ctx, stats, metric, g) for g in range(values.shape[1])]
        out[metric] = (values[0], [b[0] for b in bounds], [b[1] for b in bounds])
    return out


def operating_point(
    ctx: ScoringContext,
    attrs: list[Attribute],
    y: np.ndarray,
    proba: np.ndarray,
    counts: np.ndarray,
    target: float,
    split: str,
    min_group: int,
) -> tuple[list[MetricResult], list[dict[str, Any]], list[str]]:
    """Gaps at the threshold that fixes overall sensitivity at ``target`` (re-chosen per replicate)."""
    score = proba[:, 1]
    weights = stacked(counts)
    thresholds = M.threshold_at_sensitivity(y, score, target, weights)
    prefix = f"at_sensitivity_{target:g}/"
    if not np.isfinite(thresholds[0]):
        return (
            [],
            [],
            [
                f"operating point at sensitivity {target:g} undefined: split '{split}' has no positives"
            ],
        )
    y_pred = M.predict_at_threshold(score, thresholds)
    undefined = ~np.isfinite(thresholds)
    extra = (
        f", predicting positive when proba_1 >= t, t the largest threshold with overall "
        f"sensitivity >= {target:g} on '{split}' (re-chosen in each bootstrap replicate)"
    )
    results: list[MetricResult] = []
    rows: list[dict[str, Any]] = []
    per_attribute: dict[str, GroupStats] = {}
    for attribute in attrs:
        stats = group_stats(y, proba, attribute.groups, counts, 1, y_pred, calibration=False)
        for array in (*stats.gaps.values(), *stats.values.values()):
            array[undefined] = np.nan  # replicates without positives have no operating point
        per_attribute[attribute.name] = stats
        results += gap_results(
            ctx, stats, attribute, split, OPERATING_POINT_GAPS, prefix, extra, min_group
        )
        flags = [
            f"small group: n={s} < {min_group}" if s < min_group else None for s in stats.sizes
        ]
        rows += table_rows(
            ctx,
            stats,
            attribute,
            split,
            flags,
            f"sensitivity>={target:g}",
            tuple(m for m in GROUP_METRICS if m in stats.values),
        )
    declared = [a for a in attrs if not a.is_intersection]
    headline = worst_results(
        ctx, declared, per_attribute, split, OPERATING_POINT_GAPS, prefix=prefix, extra=extra
    )
    specificity = M.specificity(y, y_pred, weights)
    specificity[undefined] = np.nan
    results.insert(
        0,
        ctx.from_row(
            FAMILY,
            f"{prefix}specificity",
            specificity,
            detail=f"overall{extra}" if extra else None,
            n=len(y),
            split=split,
        ),
    )
    low, high = ctx.interval(thresholds[1:])
    sensitivity = float(np.mean(score[y == 1] >= thresholds[0]))
    notes = [
        f"operating point: threshold {thresholds[0]:.4f} on proba_1 (95% CI [{low:.4f}, "
        f"{high:.4f}] over replicates) gives sensitivity {sensitivity:.4f} >= {target:g} on "
        f"'{split}'"
    ]
    return headline + results, rows, notes


def check_config(cfg: FairnessConfig | Mapping[str, Any]) -> None:
    """Validate ``suite.fairness`` before any training (called by ``validate_config``); a
    partial mapping is completed from the shipped defaults first."""
    from trustbench.errors import ConfigError
    from trustbench.suites.config import section_config

    cfg = section_config("fairness", cfg)
    target = cfg.target_sensitivity
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1
    ):
        raise ConfigError(
            f"suite.fairness.target_sensitivity: expected null or a number in (0, 1], got {target!r}"
        )
    setting = cfg.intersections
    if not (isinstance(setting, bool) or setting is None or isinstance(setting, list | tuple)):
        raise ConfigError(
            f"suite.fairness.intersections: expected true, false or a list of attribute pairs, "
            f"got {setting!r}"
        )
    n_bins = cfg.n_bins
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ConfigError(f"suite.fairness.n_bins: expected a positive integer, got {n_bins!r}")
