"""Uncertainty suite: how sure is the model, per patient group and hospital, and does it know
when it is out of its depth?

Keys (``uncertainty/...``; docs/uncertainty.md gives every formula):

- conformal prediction sets at ``level`` (:mod:`~trustbench.suites.uncertainty.conformal`):
  ``<method>/<split>/coverage``, ``set_size``, ``coverage_gap`` and
  ``worst_group_coverage_gap``; per attribute (sensitive attributes, intersections, ``site``)
  ``<method>/<split>/<attribute>/worst_group_coverage_gap``; per group of a declared
  attribute or site ``<method>/<split>/<attribute>/<group>/coverage`` and ``set_size``;
  Mondrian sets as ``<method>_mondrian/<split>/<attribute>/{coverage,set_size,
  worst_group_coverage_gap}``;
- selective prediction (:mod:`~trustbench.suites.uncertainty.selective`):
  ``selective/<split>/aurc``, ``excess_aurc``, ``accuracy_at_coverage_<c>``,
  ``sensitivity_at_coverage_<c>``, and per group on test;
- OOD detection (:mod:`~trustbench.suites.uncertainty.ood`):
  ``ood_detection/<score>/auroc`` and ``fpr_at_tpr_<ood_tpr>``.

Artifacts: ``uncertainty/groups.parquet`` (every group cell of the conformal sets, with CI,
size and flag), ``uncertainty/calibration_rows.parquet`` (which test rows calibrated the sets)
and ``plots/risk_coverage.png``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from trustbench.metrics.uncertainty_conformal import METHODS
from trustbench.plots import risk_coverage
from trustbench.report import MetricResult, SuiteResult
from trustbench.suites.context import NotApplicable, ScoringContext
from trustbench.suites.uncertainty.config import UncertaintyConfig
from trustbench.suites.uncertainty.conformal import conformal_results
from trustbench.suites.uncertainty.ood import OOD_SCORES, ood_results
from trustbench.suites.uncertainty.selective import selective_results

__all__ = ["check_config", "uncertainty_suite"]

FAMILY = "uncertainty"


def _order(results: list[MetricResult], first_method: str | None) -> list[MetricResult]:
    """What a reader looks at first (the console shows a family's first rows), then the other
    top-level values, then per attribute, then per group, each in computed order."""
    first = [
        *(f"{first_method}/{split}/{name}" for split in ("test", "ood")
          for name in ("coverage", "set_size", "worst_group_coverage_gap")),
        "selective/test/aurc", "selective/test/excess_aurc", "selective/ood/aurc",
        "ood_detection/msp/auroc", "ood_detection/entropy/auroc", "ood_detection/mahalanobis/auroc",
    ]  # fmt: skip
    rank = {name: i for i, name in enumerate(first)}
    return sorted(
        results,
        key=lambda m: rank.get(m.name, len(first) + len(m.name.split("/"))),
    )


def uncertainty_suite(ctx: ScoringContext, cfg: UncertaintyConfig) -> SuiteResult:
    if "test" not in ctx.proba or not len(ctx.split("test")):
        raise NotApplicable("the uncertainty suite needs a non-empty test split")
    conformal = conformal_results(ctx, cfg)
    selective, selective_notes, panels = selective_results(ctx, cfg)
    detection, ood_notes = ood_results(ctx, cfg)
    if conformal.rows:
        ctx.artifacts["uncertainty/groups.parquet"] = pd.DataFrame(conformal.rows)
    if conformal.calibration is not None:
        ctx.artifacts["uncertainty/calibration_rows.parquet"] = conformal.calibration
    if cfg.plots and panels["by split"]:
        ctx.artifacts["plots/risk_coverage.png"] = risk_coverage(panels, cfg.selective_coverages)
    metrics = _order(
        conformal.results + selective + detection, cfg.methods[0] if cfg.methods else None
    )
    return SuiteResult(
        FAMILY,
        "ok",
        metrics=metrics,
        notes=conformal.notes + selective_notes + ood_notes,
        warnings=conformal.warnings,
    )


def check_config(cfg: UncertaintyConfig | Mapping[str, Any]) -> None:
    """Validate ``suite.uncertainty`` before any training (see experiment.validate_config); a
    partial mapping is completed from the shipped defaults first."""
    from trustbench.errors import ConfigError
    from trustbench.registry import unknown_name_message
    from trustbench.suites.config import section_config

    cfg = section_config("uncertainty", cfg)
    for name in cfg.methods:
        if name not in METHODS:
            raise ConfigError(
                "suite.uncertainty.methods: " + unknown_name_message("method", name, list(METHODS))
            )
    for name in cfg.ood_scores:
        if name not in OOD_SCORES:
            raise ConfigError(
                "suite.uncertainty.ood_scores: "
                + unknown_name_message("score", name, list(OOD_SCORES))
            )
    ranges = {  # key: (value, lowest allowed, highest allowed, interval text)
        "level": (cfg.level, 0.0, 1.0, "(0, 1)"),
        "calibration_fraction": (cfg.calibration_fraction, 0.0, 1.0, "(0, 1)"),
        "coverage_margin": (cfg.coverage_margin, 0.0, 1.0, "[0, 1)"),
        "ood_tpr": (cfg.ood_tpr, 0.0, 1.0, "(0, 1]"),
    }
    for key, (value, low, high, text) in ranges.items():
        inside = (low <= value if text[0] == "[" else low < value) and (
            value <= high if text[-1] == "]" else value < high
        )
        if not inside:
            raise ConfigError(
                f"suite.uncertainty.{key}: expected a number in {text}, got {value!r}"
            )
    for i, value in enumerate(cfg.selective_coverages):
        if not 0.0 < value <= 1.0:
            raise ConfigError(
                f"suite.uncertainty.selective_coverages[{i}]: expected a number in (0, 1], "
                f"got {value!r}"
            )
