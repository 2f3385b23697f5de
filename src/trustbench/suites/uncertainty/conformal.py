"""Conformal prediction sets per split, group and site (``uncertainty/<method>/...``).

The sets are calibrated on a seeded random share of ``test`` (``calibration_fraction``) and
scored on the rest of ``test`` and on all of ``ood``; training rows are never used. Every
interval resamples the calibration rows and the scored rows together and recomputes the
threshold in each replicate, so it covers the randomness of the calibration draw too.

Groups: each declared sensitive attribute, the configured intersections and, with
``per_site``, the site. Marginal calibration (``lac``, ``aps``) is scored in every group;
with ``mondrian``, sets calibrated within the groups of each sensitive attribute or
intersection (``lac_mondrian``, ``aps_mondrian``) are scored beside it. The marginal sets log
per-group metrics for declared attributes and sites; every group cell (intersections and
Mondrian sets included) is in ``uncertainty/groups.parquet``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trustbench.metrics import REGISTRY
from trustbench.metrics import uncertainty_conformal as C
from trustbench.metrics.uncertainty_set_means import set_means
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.fairness.sensitive import attributes
from trustbench.suites.naming import component_of
from trustbench.suites.uncertainty.config import UncertaintyConfig

__all__ = ["ConformalOutput", "aps_uniforms", "calibration_split", "conformal_results"]

FAMILY = "uncertainty"
#: Seed component of the calibration draw and of the APS uniforms ("unc" in ASCII).
_STREAM = 0x756E63


@dataclass
class Grouping:
    """One way of splitting rows into groups: labels for the calibration and each scored part."""

    name: str
    key: str
    declared: bool  # a declared sensitive attribute or the site: per-group metrics are logged
    sensitive: bool  # a sensitive attribute or intersection: Mondrian calibration applies
    labels: dict[str, np.ndarray]  # part name ("calibration", "test", "ood") -> group labels
    components: Mapping[str, str] = field(default_factory=dict)  # label -> key component

    def group_key(self, label: object) -> str:
        """The key component of a group label (distinct labels, distinct keys)."""
        return component_of(label, self.components)


@dataclass
class Part:
    """Rows the sets are calibrated on or scored on, with their stacked bootstrap weights."""

    name: str
    proba: np.ndarray
    y: np.ndarray
    weights: np.ndarray  # (1 + B, n): ones, then bootstrap counts


@dataclass
class _Sets:
    """One predictor's sets on one scored part: mean coverage and size (``(1 + B,)``) and
    within each group of the groupings (``(1 + B, G)``, :func:`set_means`)."""

    name: str  # the key's method: "lac", or "lac_mondrian" for Mondrian sets
    calibration: str  # "marginal" or "mondrian"
    part: Part
    means: dict

    @property
    def rows(self) -> str:
        if self.part.name == "test":
            return "the test rows not used for calibration"
        return f"the {self.part.name} rows"


@dataclass
class ConformalOutput:
    results: list[MetricResult] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calibration: pd.DataFrame | None = None


def calibration_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the calibration rows and of the scored rows: a seeded random share
    ``fraction`` of ``n`` rows (at least one of each), both sorted."""
    n_cal = min(max(round(fraction * n), 1), n - 1)
    chosen = np.random.default_rng([seed, _STREAM]).permutation(n)[:n_cal]
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    return np.flatnonzero(mask), np.flatnonzero(~mask)


def aps_uniforms(n: int, seed: int) -> np.ndarray:
    """The seeded uniforms of the APS calibration scores, one per calibration row."""
    return np.random.default_rng([seed, _STREAM, 1]).uniform(size=n)


def _groupings(ctx: ScoringContext, cfg: UncertaintyConfig, cal, scored, parts) -> list[Grouping]:
    task = ctx.task
    out: dict[str, Grouping] = {}
    names = task.sensitive_names
    if names:
        for part in parts:
            data = ctx.split(part)
            found = attributes(data.sensitive, names, part, cfg.intersections, ctx.key_names)
            for attribute in found:
                grouping = out.setdefault(
                    attribute.key,
                    Grouping(
                        attribute.name,
                        attribute.key,
                        not attribute.is_intersection,
                        True,
                        {},
                        attribute.group_keys,
                    ),
                )
                if part == "test":
                    grouping.labels["calibration"] = attribute.groups[cal]
                    grouping.labels["test"] = attribute.groups[scored]
                else:
                    grouping.labels[part] = attribute.groups
    if cfg.per_site and "site" not in out:
        sites = {p: ctx.split(p).site for p in parts}
        if all(s is not None for s in sites.values()):
            labels = {p: np.asarray(s).astype(str).astype(object) for p, s in sites.items()}
            out["site"] = Grouping(
                "site",
                "site",
                True,
                False,
                {"calibration": labels["test"][cal], "test": labels["test"][scored],
                 **{p: v for p, v in labels.items() if p != "test"}},
                ctx.key_names.sites,
            )  # fmt: skip
    return list(out.values())


def conformal_results(ctx: ScoringContext, cfg: UncertaintyConfig) -> ConformalOutput:
    out = ConformalOutput()
    test = ctx.split("test")
    n = len(test)
    if n < 2:
        out.notes.append(f"conformal sets not computed: split 'test' has {n} row(s)")
        return out
    cal, scored = calibration_split(n, cfg.calibration_fraction, ctx.seed)
    proba = ctx.proba["test"]
    calibration = Part(
        "calibration",
        proba[cal],
        test.y[cal],
        stacked(ctx.counts("test/calibration", len(cal))),
    )
    parts = [
        Part("test", proba[scored], test.y[scored], stacked(ctx.counts("test/scored", len(scored))))
    ]
    if "ood" in ctx.proba and len(ctx.split("ood")):
        ood = ctx.split("ood")
        parts.append(Part("ood", ctx.proba["ood"], ood.y, stacked(ctx.counts("ood"))))
    groupings = _groupings(ctx, cfg, cal, scored, [p.name for p in parts])
    out.calibration = pd.DataFrame(
        {
            "row_id": test.row_id,
            "part": np.where(np.isin(np.arange(n), cal), "calibration", "scored"),
        }
    )
    out.notes.append(
        f"conformal sets calibrated on {len(cal)} of the {n} test rows (seeded random share "
        f"{cfg.calibration_fraction:g}, row ids in uncertainty/calibration_rows.parquet), scored "
        f"on the other {len(scored)} test rows"
        + (f" and on the {len(parts[1].y)} ood rows" if len(parts) > 1 else "")
        + "; training rows are never used"
    )
    u = aps_uniforms(len(cal), ctx.seed)
    for method in cfg.methods:
        scores = C.conformity_scores(
            calibration.proba, calibration.y, method, u if method == "aps" else None
        )
        q = C.conformal_quantile(scores, cfg.level, calibration.weights)
        if not np.isfinite(q[0]):
            out.notes.append(
                f"{method}: {len(cal)} calibration rows are too few for level {cfg.level:g}: "
                "every set is the full label set"
            )
        for part in parts:
            labels = {g.name: g.labels[part.name] for g in groupings if part.name in g.labels}
            means = set_means(part.proba, part.y, q, method, part.weights, labels)
            _score_marginal(
                ctx, cfg, out, _Sets(method, "marginal", part, means), groupings, len(cal)
            )
        if not cfg.mondrian:
            continue
        for grouping in groupings:
            for part in parts:
                if not grouping.sensitive or part.name not in grouping.labels:
                    continue
                labels = grouping.labels[part.name]
                groups, codes = np.unique(labels, return_inverse=True)
                thresholds = C.mondrian_thresholds(  # (1 + B, G): one per group
                    scores, grouping.labels["calibration"], groups, cfg.level, calibration.weights
                )
                codes = codes.ravel()
                means = set_means(
                    part.proba, part.y, thresholds, method, part.weights,
                    {grouping.name: labels}, threshold_codes=codes,
                )  # fmt: skip
                sets = _Sets(f"{method}_mondrian", "mondrian", part, means)
                _score_mondrian(ctx, cfg, out, sets, grouping, np.isinf(thresholds[0])[codes])
    if cfg.mondrian:
        _mondrian_notes(out, groupings, cfg.level)
    return out


def _group_rows(sets: _Sets, grouping: Grouping, labels: np.ndarray):
    """Per-group coverage and size rows ``(1 + B, G)``, the group labels and their sizes."""
    groups, sizes = np.unique(labels, return_counts=True)
    means = sets.means["groups"][grouping.name]
    return groups, means["coverage"], means["set_size"], sizes.astype(int)


def _worst(cov: np.ndarray, level: float) -> np.ndarray:
    """``min_g coverage_g - level`` per replicate, groups without weight left out (NaN when none
    has any)."""
    low = np.min(np.where(np.isnan(cov), np.inf, cov), axis=1)
    return np.where(np.isfinite(low), low - level, np.nan)


def _small_note(groups, sizes, min_size: int, split: str) -> str | None:
    small = [f"'{g}' n={n}" for g, n in zip(groups, sizes, strict=True) if n < min_size]
    if not small:
        return None
    listed = ", ".join(small)
    return f"small group(s) < {min_size} in split '{split}' (their coverage is noisy): {listed}"


def _least_covered(cov: np.ndarray, names: list[str]) -> str | None:
    """The name of the group with the lowest point coverage (``cov[0]``), None if none has one."""
    point = np.where(np.isnan(cov[0]), np.inf, cov[0])
    return str(names[int(np.argmin(point))]) if np.isfinite(point).any() else None


def _log(
    ctx, out, key: str, row, sets: _Sets, n: int, detail: str, note=None, worst_of=None
) -> None:
    """One result; ``n`` rows are also the denominator of a coverage (its ``hull`` interval:
    the Jeffreys interval of the covered rows, widened to the bootstrap's)."""
    split = sets.part.name
    out.results.append(
        ctx.from_row(
            FAMILY,
            key,
            row,
            n=n,
            split=split,
            detail=detail,
            note=note,
            denominator=n,
            worst_of=worst_of,
        )
    )


def _score_groups(
    ctx, cfg, out, sets: _Sets, grouping: Grouping, prefix: str, detail: str, full=None
):
    """Per-group cells (table rows; metrics too for the marginal sets of declared attributes
    and sites) and the attribute's worst-group gap; returns the coverage rows and group sizes."""
    split = sets.part.name
    labels = grouping.labels[split]
    groups, cov, siz, sizes = _group_rows(sets, grouping, labels)
    note = _small_note(groups, sizes, cfg.min_group_size, split)
    where = f"over the groups of {grouping.name}; {detail}"
    worst = _worst(cov, cfg.level)
    least = _least_covered(cov, [str(g) for g in groups])
    _log(
        ctx,
        out,
        f"{prefix}/worst_group_coverage_gap",
        worst,
        sets,
        len(labels),
        where,
        note,
        worst_of=None if least is None else f"{grouping.name}={least}",
    )
    for g, label in enumerate(groups):
        flags = []
        if sizes[g] < cfg.min_group_size:
            flags.append(f"small group: n={sizes[g]} < {cfg.min_group_size}")
        if full is not None and full[labels == label].all():
            flags.append("too few calibration rows: full label sets")
        flag = "; ".join(flags) or None
        for metric, row in (("coverage", cov[:, g]), ("set_size", siz[:, g])):
            registered = REGISTRY.get(FAMILY, metric).interval
            low, high, ci_method = ctx.interval_by(registered, row, float(sizes[g]))
            out.rows.append(
                {
                    "method": sets.name.removesuffix("_mondrian"),
                    "calibration": sets.calibration,
                    "split": split,
                    "attribute": grouping.name,
                    "group": str(label),
                    "metric": metric,
                    "value": float(row[0]),
                    "ci_low": low,
                    "ci_high": high,
                    "ci_method": ci_method if np.isfinite(low) else None,
                    "n": int(sizes[g]),
                    "flag": flag,
                }
            )
            if grouping.declared and sets.calibration == "marginal":
                within = f"within the group {grouping.name}={label}; {detail}"
                key = f"{prefix}/{grouping.group_key(label)}/{metric}"
                _log(ctx, out, key, row, sets, int(sizes[g]), within, flag)
    return groups, cov, sizes


def _score_marginal(ctx, cfg, out, sets: _Sets, groupings: list[Grouping], n_cal: int) -> None:
    level, split = cfg.level, sets.part.name
    detail = f"{sets.name} sets calibrated on {n_cal} test rows, scored on {sets.rows}"
    n = len(sets.part.y)
    prefix = f"{sets.name}/{split}"
    coverage, size = sets.means["coverage"], sets.means["set_size"]
    _log(ctx, out, f"{prefix}/coverage", coverage, sets, n, detail)
    _log(ctx, out, f"{prefix}/set_size", size, sets, n, detail)
    _log(ctx, out, f"{prefix}/coverage_gap", coverage - level, sets, n, detail)
    if level - coverage[0] > cfg.coverage_margin:
        low, high, _ = ctx.interval_by("hull", coverage, n)
        out.warnings.append(
            f"{sets.name} sets cover {coverage[0]:.3f} [{low:.3f}, {high:.3f}] of the {split} "
            f"rows, more than {cfg.coverage_margin:g} below the {level:g} target"
            + (": the coverage guarantee does not survive the shift" if split == "ood" else "")
        )
    declared, under = [], []
    for grouping in groupings:
        if split not in grouping.labels:
            continue
        groups, cov, sizes = _score_groups(
            ctx, cfg, out, sets, grouping, f"{prefix}/{grouping.key}", detail
        )
        if grouping.sensitive and grouping.declared:
            declared.append((grouping.name, cov, groups))
        for g, label in enumerate(groups):
            if sizes[g] >= cfg.min_group_size and level - cov[0, g] > cfg.coverage_margin:
                low, high, _ = ctx.interval_by("hull", cov[:, g], float(sizes[g]))
                under.append(
                    f"{grouping.name}={label} {cov[0, g]:.3f} [{low:.3f}, {high:.3f}] "
                    f"(n={sizes[g]})"
                )
    if declared:
        worst = _worst(np.concatenate([cov for _, cov, _ in declared], axis=1), level)
        where = f"over the groups of {[name for name, _, _ in declared]}; {detail}"
        named = [f"{name}={g}" for name, cov, groups in declared for g in groups]
        least = _least_covered(np.concatenate([cov for _, cov, _ in declared], axis=1), named)
        _log(ctx, out, f"{prefix}/worst_group_coverage_gap", worst, sets, n, where, worst_of=least)
    if under:
        out.warnings.append(
            f"{sets.name} sets on split '{split}' cover less than "
            f"{level - cfg.coverage_margin:.3g} (the {level:g} target minus "
            f"{cfg.coverage_margin:g}) in: {'; '.join(under)}"
        )


def _score_mondrian(ctx, cfg, out, sets: _Sets, grouping: Grouping, full: np.ndarray) -> None:
    """Sets calibrated within the groups of ``grouping``: their marginal values and groups."""
    method = sets.name.removesuffix("_mondrian")
    detail = (
        f"{method} sets calibrated within each group of {grouping.name} (Mondrian), scored on "
        f"{sets.rows}"
    )
    prefix = f"{sets.name}/{sets.part.name}/{grouping.key}"
    n = len(sets.part.y)
    coverage, size = sets.means["coverage"], sets.means["set_size"]
    _log(ctx, out, f"{prefix}/coverage", coverage, sets, n, detail)
    _log(ctx, out, f"{prefix}/set_size", size, sets, n, detail)
    _score_groups(ctx, cfg, out, sets, grouping, prefix, detail, full)


def _mondrian_notes(out: ConformalOutput, groupings: list[Grouping], level: float) -> None:
    need = C.min_calibration_size(level)
    for grouping in groupings:
        if not grouping.sensitive:
            continue
        cal = grouping.labels["calibration"]
        every = np.unique(np.concatenate(list(grouping.labels.values())))
        few = [f"'{g}' ({int((cal == g).sum())})" for g in every if (cal == g).sum() < need]
        if few:
            out.notes.append(
                f"Mondrian by {grouping.name}: groups with fewer than the {need} calibration rows "
                f"a {level:g} level needs get the full label set: {', '.join(few)}"
            )
