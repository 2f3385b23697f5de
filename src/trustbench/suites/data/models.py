"""The data checks that fit models (on train only, cross-fitted): single-column shortcuts, the
domain classifier of each split against train, and label issues.

An AUC's interval is the bootstrap percentile interval over the scored rows with the
cross-fitted scores held fixed. Above ``suite.data.max_rows`` rows a check runs on a seeded
random subset of that many rows of each split, and its detail says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.metrics.data_labels import cross_fitted_proba, label_issue_mask
from trustbench.metrics.data_leakage import row_hashes
from trustbench.metrics.data_models import domain_scores
from trustbench.metrics.data_shortcuts import scores_auc, single_column_scores
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.data.config import DataConfig
from trustbench.suites.data.groups import group_axes
from trustbench.suites.data.inputs import DataInputs, subset_rows

__all__ = ["domain_results", "label_results", "shortcut_results"]

FAMILY = "data"


_REPLICATE_CHUNK = 100  # replicates per scores_auc call on row counts (bounds its memory)


def _auc(
    ctx: ScoringContext, key: str, y: np.ndarray, scores: np.ndarray, split: str, detail: str
) -> MetricResult:
    """AUC of ``scores`` with its bootstrap replicates over the rows.

    The AUC depends on the rows only through the weight of each distinct (scores, label)
    cell, and the row bootstrap's cell counts are exactly ``Multinomial(n, cell sizes / n)``.
    So when the scores take few values (the binned target encodings of the shortcut checks:
    at most ``folds x (bins + 1)``), the replicates are drawn over the cells, ``(B, cells)``;
    otherwise (the domain classifier's scores) as row counts, scored in chunks of replicates.
    """
    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    n = len(y)
    cells, first, inverse = np.unique(
        np.column_stack([scores, y]), axis=0, return_index=True, return_inverse=True
    )
    if len(cells) * 4 <= n:
        sizes = np.bincount(inverse.ravel(), minlength=len(cells))
        rng = np.random.default_rng([ctx.seed, sum(map(ord, f"{split}:{key}")), n])
        drawn = rng.multinomial(n, sizes / n, size=ctx.n_resamples)
        weights = np.vstack([sizes[None, :], drawn])
        row = np.asarray(scores_auc(y[first], scores[first], weights=weights), dtype=float)
    else:
        counts = ctx.counts(f"{split}:{key}", n)
        chunk = _REPLICATE_CHUNK
        blocks = [stacked(counts[:chunk])]  # the point value's row of ones first
        blocks += [counts[start : start + chunk] for start in range(chunk, len(counts), chunk)]
        row = np.concatenate(
            [np.asarray(scores_auc(y, scores, weights=block), dtype=float) for block in blocks]
        )
    return ctx.from_row(FAMILY, key, row, n=n, split=split, detail=detail)


def _sample(n: int, cfg: DataConfig, seed: int, salt: str) -> tuple[np.ndarray, str]:
    index = subset_rows(n, cfg.max_rows, seed, salt)
    if index is None:
        return np.arange(n), ""
    return index, f"; on a random {len(index)} of {n} rows"


def shortcut_results(
    ctx: ScoringContext, inputs: DataInputs, cfg: DataConfig
) -> tuple[list[MetricResult], list[str], pd.DataFrame]:
    """The best single column's cross-fitted AUC, the site's, and the table of every column."""
    train = ctx.split("train")
    index, sampled = _sample(len(train), cfg, ctx.seed, "shortcuts")
    y = train.y[index]
    k = ctx.task.n_classes
    frame = inputs.columns["train"].iloc[index]
    rows, best = [], None
    for column in frame.columns:
        kind = "categorical" if column in inputs.categorical else "continuous"
        values = frame[column].to_numpy()
        scores = single_column_scores(values, y, k, folds=cfg.folds, seed=ctx.seed, kind=kind)
        auc = float(scores_auc(y, scores))
        rows.append({"column": column, "kind": kind, "auc": auc})
        if best is None or auc > best[1]:
            best = (column, auc, scores)
    metrics: list[MetricResult] = []
    warnings: list[str] = []
    what = "image property" if inputs.image else "column"
    if best is not None:
        column, auc, scores = best
        detail = f"{what} '{column}'{sampled}"
        metrics.append(_auc(ctx, "shortcuts/max_feature_auc", y, scores, "train", detail))
        if auc >= cfg.warn.shortcut_auc:
            warnings.append(
                f"data: the {what} '{column}' alone predicts the label with cross-fitted AUC "
                f"{auc:.3f} (>= suite.data.warn.shortcut_auc={cfg.warn.shortcut_auc:g}): a "
                "shortcut or a leaked outcome; drop it (dataset.drop) unless it is a real "
                "measurement taken before the outcome"
            )
    if train.site is not None and len(np.unique(train.site)) >= 2:
        sites = np.asarray(train.site).astype(str)[index]
        scores = single_column_scores(
            sites, y, k, folds=cfg.folds, seed=ctx.seed, kind="categorical"
        )
        auc = float(scores_auc(y, scores))
        rows.append({"column": "(site)", "kind": "site", "auc": auc})
        metrics.append(_auc(ctx, "shortcuts/site_auc", y, scores, "train", f"site{sampled}"))
        if auc >= cfg.warn.site_auc:
            warnings.append(
                f"data: the site alone predicts the label with cross-fitted AUC {auc:.3f} on "
                f"train (>= suite.data.warn.site_auc={cfg.warn.site_auc:g}): base rates differ "
                "by hospital, so a model can score well by recognising the hospital; read "
                "generalization/site/* and the ood split's metrics"
            )
    table = pd.DataFrame(rows, columns=["column", "kind", "auc"])
    return metrics, warnings, table.sort_values("auc", ascending=False, ignore_index=True)


def domain_results(
    ctx: ScoringContext, inputs: DataInputs, cfg: DataConfig
) -> tuple[list[MetricResult], list[str]]:
    """A cross-fitted classifier telling each split's rows from train's (``domain_auc``)."""
    metrics: list[MetricResult] = []
    warnings: list[str] = []
    for split in inputs.columns:
        if split == "train":
            continue
        labels, scores = domain_scores(
            inputs.matrix("train"), inputs.matrix(split), folds=cfg.folds, seed=ctx.seed,
            max_rows=cfg.max_rows,
        )  # fmt: skip
        two = np.column_stack([1.0 - scores, scores])
        detail = f"{int((labels == 0).sum())} train vs {int((labels == 1).sum())} {split} rows"
        metric = _auc(ctx, f"drift/{split}/domain_auc", labels, two, split, detail)
        metrics.append(metric)
        paired = ctx.task.paired_split(split) is not None
        if split == "test" and not paired and (metric.value or 0.0) >= cfg.warn.domain_auc:
            warnings.append(
                f"data: test rows can be told from train rows (domain AUC {metric.value:.3f} >= "
                f"suite.data.warn.domain_auc={cfg.warn.domain_auc:g}): the split is not a "
                "random one, so test metrics are not in-distribution estimates; see "
                "data/drift.parquet for the features that differ"
            )
    return metrics, warnings


def label_results(
    ctx: ScoringContext, inputs: DataInputs, cfg: DataConfig
) -> tuple[list[MetricResult], list[str], pd.DataFrame]:
    """Confident learning on cross-fitted train probabilities: the share of likely label
    errors overall and per group, and the flagged rows."""
    train = ctx.split("train")
    index, sampled = _sample(len(train), cfg, ctx.seed, "labels")
    y = train.y[index]
    # Copies of one row (features and label) are cross-fitted as one: a copy in another fold
    # would vouch for its own label.
    keys = row_hashes(pd.DataFrame({"row": row_hashes(train.X)[index], "label": y}))
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    proba = cross_fitted_proba(
        inputs.matrix("train")[index][first], y[first], ctx.task.n_classes, folds=cfg.folds,
        seed=ctx.seed,
    )[inverse]  # fmt: skip
    flagged = label_issue_mask(y[first], proba[first])[inverse]
    n = len(y)
    detail = f"{int(flagged.sum())} of {n} train rows{sampled}"
    metrics = [
        ctx.from_row(
            FAMILY, "labels/label_issue_share", np.array([flagged.mean()]), n=n, split="train",
            denominator=n, detail=detail,
        )
    ]  # fmt: skip
    for _, _, labels, groups in group_axes(ctx):
        labels = labels[index]
        for label, key in groups.items():
            member = labels == label
            if member.any():
                metrics.append(
                    ctx.from_row(
                        FAMILY, f"{key}/label_issue_share", np.array([flagged[member].mean()]),
                        n=int(member.sum()), split="train", denominator=int(member.sum()),
                    )
                )  # fmt: skip
    warnings = []
    if flagged.mean() > cfg.warn.label_issue_share:
        warnings.append(
            f"data: confident learning flags {flagged.mean():.1%} of train labels as likely "
            f"errors (> suite.data.warn.label_issue_share={cfg.warn.label_issue_share:g}); "
            "the rows are in data/label_issues.parquet"
        )
    classes = np.asarray(ctx.task.classes, dtype=object)
    table = pd.DataFrame(
        {
            "row_id": train.row_id[index][flagged],
            "given_label": classes[y[flagged]],
            "suggested_label": classes[proba[flagged].argmax(axis=1)],
            "given_label_probability": proba[flagged, y[flagged]],
        }
    )
    return metrics, warnings, table
