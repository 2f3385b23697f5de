"""Generalization suite: calibration, ID vs OOD, overfitting, sites, fairness under shift, shifts.

Keys (``generalization/...``), each with a bootstrap CI (patients resampled). A difference of
two splits that hold different patients (test and a held-out site, train and test) resamples
each split on its own; when ``ood`` is a row-aligned copy of ``test`` (the test patients plus
Gaussian noise, ``TaskData.paired_split("ood") == "test"``) both splits use the same
resample counts in every replicate: a paired bootstrap over the same patients. Each
difference's definition says which bootstrap it used.

- calibration on test: ``ece`` (``n_bins`` equal-width bins, top-label) and ``adaptive_ece``
  (equal-mass bins); Brier and NLL on test are ``performance/brier`` and ``performance/log_loss``;
- where the task has an ``ood`` split: ``ood_<m>`` for every metric ``m`` of ``metrics``
  (accuracy, balanced accuracy, ROC AUC, log loss, Brier) and for ``ece`` / ``adaptive_ece``,
  and ``<m>_drop``: how much worse ``m`` is on ``ood`` than on ``test`` (``test - ood`` for a
  higher-is-better metric, ``ood - test`` for a loss; > 0 means the model degrades);
- ``train_test_gap/<m>``: how much better ``m`` is on ``train`` than on ``test`` (overfitting);
- ``site/<site>/<m>`` and ``worst_site_accuracy`` (``per_site``; see
  :mod:`~trustbench.suites.generalization.sites`);
- ``ood_fairness/<a>/<gap>`` and ``ood_fairness/<a>/<gap>_change`` (ood minus test) for the
  gaps in ``ood_fairness``, per sensitive attribute and for the worst attribute;
- ``shift/<kind>/<severity>/<m>`` (``shifts``; see :mod:`~trustbench.suites.generalization.shifts`).

Artifacts: ``plots/reliability_diagram.png`` (test and ood) and ``plots/shift_curves.png``.
An ``ood`` split with fewer than 10 rows of a class is a warning, and its bootstrap intervals
carry a note (:mod:`trustbench.suites.class_counts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trustbench import metrics as M
from trustbench.metrics.group_stats import GroupStats, group_stats, worst, worst_box_interval
from trustbench.metrics.specs.generalization import SPLIT_METRICS, split_metric
from trustbench.metrics.specs.performance import CALIBRATION as CALIBRATION_SPECS
from trustbench.plots import reliability_diagram
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.class_counts import thin_class_warning
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.fairness.groups import GAPS, gap_note
from trustbench.suites.fairness.sensitive import attributes
from trustbench.suites.generalization.config import GeneralizationConfig
from trustbench.suites.generalization.shifts import shift_results
from trustbench.suites.generalization.sites import site_results

FAMILY = "generalization"
CALIBRATION = tuple(CALIBRATION_SPECS)
#: Performance metrics a split can be scored on (``suite.generalization.metrics``).
PERFORMANCE_METRICS = tuple(name for name in SPLIT_METRICS if name not in CALIBRATION)


def bins_detail(name: str, n_bins: int) -> str | None:
    """The bin count of a calibration error (what the definition leaves open), else None."""
    return f"{n_bins} bins" if name in CALIBRATION else None


def split_counts(ctx: ScoringContext, split: str) -> np.ndarray:
    """Bootstrap counts of ``split``: those of the split it is a row-aligned copy of, if any
    (so that a difference of the two is a paired bootstrap), else its own."""
    return ctx.counts(ctx.task.paired_split(split) or split)


def bootstrap_text(ctx: ScoringContext, first: str, second: str) -> str:
    """Which bootstrap a difference of splits ``first`` and ``second`` uses, in words."""
    task = ctx.task
    if task.paired_split(first) == second or task.paired_split(second) == first:
        return "paired bootstrap over the same patients (the same resample in both splits)"
    return f"independent resamples of {first} and {second}"


def noise_copy_note(ctx: ScoringContext) -> str | None:
    """The suite note for an ``ood`` split that is a noisy copy of ``test``, else None."""
    if ctx.task.paired_split("ood") != "test":
        return None
    return (
        "ood split is the test patients again with Gaussian noise on their measurements (a "
        "row-aligned noise copy, not new patients): the ood metrics and drops measure "
        "robustness to measurement noise, not a shift to another population; drops and "
        "ood_fairness changes use a paired bootstrap over the same patients"
    )


def undefined_note(name: str, y: np.ndarray, classes: list[str], split: str) -> str:
    present = np.unique(y)
    if present.shape[0] < len(classes) and name == "roc_auc":
        held = ", ".join(f"'{classes[int(c)]}'" for c in present)
        return f"undefined: split '{split}' holds only class {held} (ROC AUC needs every class)"
    return f"undefined on split '{split}'"


class _Rows:
    """``(1 + B,)`` rows (point, replicates) of each metric on each split, computed once."""

    def __init__(self, ctx: ScoringContext, n_bins: int) -> None:
        self.ctx, self.n_bins, self.cache = ctx, n_bins, {}

    def __call__(self, name: str, split: str) -> np.ndarray:
        if (name, split) not in self.cache:
            data = self.ctx.split(split)
            fn = split_metric(name, self.n_bins)
            weights = stacked(split_counts(self.ctx, split))
            self.cache[(name, split)] = np.asarray(
                fn(data.y, self.ctx.proba[split], weights=weights)
            )
        return self.cache[(name, split)]

    def result(self, key: str, name: str, split: str) -> MetricResult:
        row = self(name, split)
        data = self.ctx.split(split)
        note = (
            None
            if np.isfinite(row[0])
            else undefined_note(name, data.y, self.ctx.task.classes, split)
        )
        return self.ctx.from_row(
            FAMILY,
            key,
            row,
            detail=", ".join(filter(None, (bins_detail(name, self.n_bins), f"on split '{split}'"))),
            n=len(data),
            split=split,
            note=note,
        )

    def difference(self, key: str, name: str, worse: str, better: str, text: str) -> MetricResult:
        """How much worse ``name`` is on ``worse`` than on ``better`` (> 0: worse)."""
        sign = 1.0 if SPLIT_METRICS[name].direction == "max" else -1.0
        row = sign * (self(name, better) - self(name, worse))
        first, second = (better, worse) if sign > 0 else (worse, better)
        return self.ctx.from_row(
            FAMILY,
            key,
            row,
            detail=f"{text}: {name}({first}) - {name}({second}); "
            + bootstrap_text(self.ctx, better, worse),
            n=len(self.ctx.split(worse)),
            split=f"{better},{worse}",
            note=None if np.isfinite(row[0]) else f"undefined: {name} is undefined on a split",
        )


def generalization_suite(ctx: ScoringContext, cfg: GeneralizationConfig) -> SuiteResult:
    n_bins = cfg.n_bins
    names = list(cfg.metrics)
    rows = _Rows(ctx, n_bins)
    results = [rows.result(name, name, "test") for name in CALIBRATION]
    notes: list[str] = []
    train = ctx.task.splits.get("train")
    if train is not None and "train" in ctx.proba:
        for name in cfg.train_test_gap:
            results.append(
                rows.difference(
                    f"train_test_gap/{name}", str(name), "test", "train", "overfitting gap"
                )
            )
    ood = ctx.task.ood
    curves = {"test": (ctx.split("test").y, ctx.proba["test"])}
    if ood is None:
        notes.append(f"no ood split for dataset '{ctx.task.name}': ID-vs-OOD metrics not computed")
    elif len(ood) == 0:
        notes.append(
            f"ood split of dataset '{ctx.task.name}' is empty (0 rows): ID-vs-OOD metrics, "
            "fairness under shift and the ood site are not computed"
        )
    else:
        curves["ood"] = (ood.y, ctx.proba["ood"])
        for name in [*names, *CALIBRATION]:
            results.append(rows.result(f"ood_{name}", name, "ood"))
        for name in [*names, *CALIBRATION]:
            results.append(rows.difference(f"{name}_drop", name, "ood", "test", "drop under shift"))
        if "ood" in ctx.task.metadata:
            notes.append(f"ood split: {ctx.task.metadata['ood']}")
        if (note := noise_copy_note(ctx)) is not None:
            notes.append(note)
        ood_fair, fair_notes = ood_fairness(ctx, cfg, n_bins)
        results += ood_fair
        notes += fair_notes
    site, site_notes = site_results(ctx, cfg, n_bins)
    results += site
    notes += site_notes
    shifted, shift_notes = shift_results(ctx, cfg.shifts, n_bins, cfg.plots)
    results += shifted
    notes += shift_notes
    if cfg.plots:
        ctx.artifacts["plots/reliability_diagram.png"] = reliability_diagram(curves, n_bins)
    warnings = []  # a thin class on ood (on test, the performance suite warns)
    if ood is not None and len(ood):
        if (thin := thin_class_warning(results, ood.y, ctx.task.classes, "ood")) is not None:
            warnings.append(thin)
    return SuiteResult(FAMILY, "ok", metrics=results, notes=notes, warnings=warnings)


def ood_fairness(
    ctx: ScoringContext, cfg: GeneralizationConfig, n_bins: int
) -> tuple[list[MetricResult], list[str]]:
    """The fairness gaps recomputed on ``ood``, and their change from ``test``."""
    task = ctx.task
    names = tuple(cfg.ood_fairness or ())
    if not names:
        return [], []
    if not task.sensitive_names or task.n_classes != 2:
        return [], [
            "fairness under shift not computed: it needs sensitive attributes and a binary target"
        ]
    min_group = ctx.config.fairness.min_group_size
    stats: dict[str, dict[str, GroupStats]] = {"test": {}, "ood": {}}
    shown: dict[str, str] = {}  # key component -> the attribute's own name, for the text
    for split in ("test", "ood"):
        data = ctx.split(split)
        for attribute in attributes(
            data.sensitive, task.sensitive_names, split, False, ctx.key_names
        ):
            shown[attribute.key] = attribute.name
            stats[split][attribute.key] = group_stats(
                data.y, ctx.proba[split], attribute.groups, split_counts(ctx, split), n_bins
            )
    results = []
    keys = list(stats["test"])
    n_ood = len(ctx.split("ood"))
    paired = bootstrap_text(ctx, "test", "ood")
    for name in names:
        direction = M.REGISTRY.get("fairness", name).direction
        entries = [
            (key, stats["test"][key].gaps[name], stats["ood"][key].gaps[name]) for key in keys
        ]
        entries.append(
            (
                None,
                worst([e[1] for e in entries], direction),
                worst([e[2] for e in entries], direction),
            )
        )
        for key, test_row, ood_row in entries:
            label = f"{key}/{name}" if key else name
            names_shown = [shown[k] for k in keys]
            where = f"the groups of {shown[key]}" if key else f"the worst attribute of {names_shown}"
            note = None
            if key is not None:
                note = gap_note(name, stats["ood"][key], shown[key], "ood", ood_row[0], min_group)
            elif not np.isfinite(ood_row[0]):
                note = "undefined for every attribute on split 'ood'"
            # a group with zero or all events on ood: the gap's interval over the groups' boxes
            if key is None:
                box = worst_box_interval(
                    list(stats["ood"].values()), name, direction, ctx.ci_level, ood_row
                )
            else:
                box = stats["ood"][key].box_interval(name, ctx.ci_level)
            for suffix, row, text in (
                ("", ood_row, f"over {where}"),
                ("_change", ood_row - test_row, f"over {where}; {paired}"),
            ):
                if suffix and note is None and not np.isfinite(row[0]):
                    note = f"undefined: {name} is undefined on split 'test' for {where}"
                results.append(
                    ctx.from_row(
                        FAMILY,
                        f"ood_fairness/{label}{suffix}",
                        row,
                        detail=text,
                        n=n_ood,
                        split="ood" if not suffix else "test,ood",
                        note=note,
                        interval=None if suffix or box is None else (*box, "box"),
                    )
                )
    return results, []


def check_config(cfg: GeneralizationConfig | Mapping[str, Any]) -> None:
    """Validate ``suite.generalization`` names before any training (see experiment.validate_config);
    a partial mapping is completed from the shipped defaults first."""
    from trustbench.errors import ConfigError
    from trustbench.registry import unknown_name_message
    from trustbench.suites.config import section_config
    from trustbench.suites.generalization.shifts import check_shift_config

    cfg = section_config("generalization", cfg)
    for key in ("metrics", "train_test_gap"):
        for name in getattr(cfg, key):
            if name not in PERFORMANCE_METRICS:
                raise ConfigError(
                    f"suite.generalization.{key}: "
                    + unknown_name_message("metric", str(name), list(PERFORMANCE_METRICS))
                )
    for name in cfg.ood_fairness or []:
        if name not in GAPS:
            raise ConfigError(
                "suite.generalization.ood_fairness: "
                + unknown_name_message("metric", str(name), list(GAPS))
            )
    check_shift_config(cfg.shifts)
