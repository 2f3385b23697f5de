"""Representation and missingness per sensitive group and per site, on train
(``data/groups/{attribute}/{group}/...``, ``data/sites/{site}/...`` and their gaps).

Per group: its share of train rows, its prevalence (binary tasks; Jeffreys interval) and the
share of its feature cells that are missing; per attribute: the prevalence gap (bias-corrected
bootstrap) and the largest gap in any one feature's missing share between groups. The full
table, every feature's missing share per group, is ``data/representation.parquet``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from trustbench.data.sensitive import MISSING_GROUP
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, registered_result
from trustbench.suites.data.config import DataConfig

__all__ = ["group_axes", "group_results"]

FAMILY = "data"


def group_axes(ctx: ScoringContext) -> Iterator[tuple[str, str, np.ndarray, dict[str, str]]]:
    """``(what, key prefix, train labels, label -> key prefix of the group)`` per sensitive
    attribute (``groups/<attribute>``) and for the sites (``sites``)."""
    train = ctx.split("train")
    names = ctx.key_names
    for attribute in ctx.task.sensitive_names:
        labels = train.sensitive[attribute].astype(str).to_numpy()
        prefix = f"groups/{names.attribute(attribute)}"
        groups = {g: f"{prefix}/{names.group(attribute, g)}" for g in np.unique(labels)}
        yield f"attribute '{attribute}'", prefix, labels, groups
    if train.site is not None:
        labels = np.asarray(train.site).astype(str)
        groups = {g: f"sites/{names.site(g)}" for g in np.unique(labels)}
        yield "site", "sites", labels, groups


def _missing(ctx: ScoringContext) -> pd.DataFrame | None:
    """Missing-cell indicators of train's tabular features (None for an image task)."""
    if ctx.task.is_image:
        return None
    return ctx.split("train").X[ctx.task.feature_names].isna()


def group_results(
    ctx: ScoringContext, cfg: DataConfig
) -> tuple[list[MetricResult], list[str], pd.DataFrame]:
    """Metrics, warnings and the per-feature table of every attribute and the sites."""
    train = ctx.split("train")
    binary = ctx.task.n_classes == 2
    missing = _missing(ctx)
    metrics: list[MetricResult] = []
    warnings: list[str] = []
    rows: list[dict] = []
    for what, prefix, labels, groups in group_axes(ctx):
        prevalence_rows = []
        feature_missing = {}
        for label, key in groups.items():
            member = labels == label
            size = int(member.sum())
            metrics.append(
                registered_result(
                    FAMILY, f"{key}/share", size / len(labels), n=size, split="train",
                    detail=f"{size} of {len(labels)} train rows",
                )
            )  # fmt: skip
            if size < cfg.min_group_size:
                warnings.append(
                    f"data: {what} group '{label}' has {size} train rows (< suite.data."
                    f"min_group_size={cfg.min_group_size}): the model learns little about it "
                    "and its metrics are uncertain"
                )
            if binary:
                positives = train.y[member] == 1
                metrics.append(
                    ctx.from_row(
                        FAMILY, f"{key}/prevalence", np.array([positives.mean()]), n=size,
                        split="train", denominator=size,
                    )
                )  # fmt: skip
                prevalence_rows.append((size, int(positives.sum())))
            if missing is not None:
                cells = missing[member]
                metrics.append(
                    registered_result(
                        FAMILY, f"{key}/missing_rate", float(cells.to_numpy().mean()), n=size,
                        split="train", detail=f"{int(cells.to_numpy().sum())} missing cells",
                    )
                )  # fmt: skip
                feature_missing[label] = cells.mean()
            for feature in [] if missing is None else missing.columns:
                rows.append({
                    "axis": what, "group": label, "n": size, "feature": feature,
                    "missing_rate": float(feature_missing[label][feature]),
                })  # fmt: skip
        if binary and len(prevalence_rows) >= 2:
            metrics.append(_prevalence_gap(ctx, prefix, prevalence_rows))
        table = pd.DataFrame(feature_missing)  # feature x group
        if MISSING_GROUP in feature_missing and missing is not None:
            # the attribute's own source column is missing exactly in its group 'missing':
            # a tautology, not a measurement one group lacks
            own = np.asarray(labels == MISSING_GROUP)
            table = table.drop(
                index=[f for f in missing.columns if np.array_equal(missing[f].to_numpy(), own)]
            )
        if feature_missing and len(feature_missing) >= 2 and len(table):
            gaps = table.max(axis=1) - table.min(axis=1)
            feature = str(gaps.idxmax())
            gap = float(gaps.max())
            high, low = table.loc[feature].idxmax(), table.loc[feature].idxmin()
            detail = (
                f"feature '{feature}': missing in {table.loc[feature, high]:.1%} of '{high}' "
                f"vs {table.loc[feature, low]:.1%} of '{low}'"
                if gap > 0
                else "no feature is missing more often in one group than another"
            )
            metrics.append(
                registered_result(
                    FAMILY, f"{prefix}/missing_rate_gap", gap, n=len(labels), split="train",
                    detail=detail,
                )
            )  # fmt: skip
            if gap > cfg.warn.missing_rate_gap:
                warnings.append(
                    f"data: {what}: {detail} (gap {gap:.1%}): the model's imputation stands in "
                    "for a measurement one group lacks"
                )
    return metrics, warnings, pd.DataFrame(rows)


def _prevalence_gap(
    ctx: ScoringContext, prefix: str, groups: list[tuple[int, int]]
) -> MetricResult:
    """Largest minus smallest group prevalence, point and bootstrap replicates.

    ``groups`` holds each group's ``(train rows, positives)``. A replicate's gap depends on
    the rows only through how many of each (group, label) cell it draws, and the row
    bootstrap's cell counts are exactly ``Multinomial(n, cell sizes / n)``: so the
    ``suite.bootstrap.n_resamples`` replicates are drawn over the cells, ``(B, 2 x groups)``,
    never as a ``(B, n)`` matrix of row counts (8 GB at 1M rows x 1000 replicates).
    """
    sizes = np.array([size for size, _ in groups], dtype=np.int64)
    positives = np.array([pos for _, pos in groups], dtype=np.int64)
    cells = np.column_stack([sizes - positives, positives]).ravel()  # (group, label) cells
    n = int(sizes.sum())
    rng = np.random.default_rng([ctx.seed, sum(map(ord, f"train:{prefix}")), n])
    drawn = rng.multinomial(n, cells / n, size=ctx.n_resamples).reshape(-1, len(groups), 2)
    counts = np.vstack([cells.reshape(1, len(groups), 2), drawn])  # (1 + B, groups, 2)
    total = counts.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        stack = (counts[:, :, 1] / total).T  # groups x (1 + B); NaN: a group not drawn
    row = np.nanmax(stack, axis=0) - np.nanmin(stack, axis=0)
    detail = (
        f"bootstrap over the {n} train rows drawn as a multinomial over the {cells.size} "
        "(group, label) cells (exactly the row bootstrap's cell counts)"
    )
    return ctx.from_row(FAMILY, f"{prefix}/prevalence_gap", row, n=n, split="train", detail=detail)
