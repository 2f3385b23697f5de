"""Per-site breakdown (``suite.generalization.per_site``): metrics at every hospital.

Rows of ``test`` (sites seen in training) and ``ood`` (held-out sites) are grouped by their
site; for each site ``s``: ``generalization/site/<s>/accuracy``, ``.../roc_auc`` and
``.../ece``, and over sites ``generalization/worst_site_accuracy`` (the WILDS-style
worst-domain accuracy). Each split is resampled on its own, with the replicates every other
metric of that split uses. An ``ood`` split that is a row-aligned noisy copy of ``test``
(``TaskData.paired_split("ood") == "test"``) holds the test patients a second time, so it is
left out: each site is scored on its test patients only (and a note says so).

Leave-one-site-out: each site in turn held out of training is a sweep over
``dataset.ood_sites``, e.g.
``trustbench -m 'dataset.ood_sites=[Cleveland],[Hungary],[Switzerland],[VA Long Beach]'``;
each run then reports its held-out hospital as ``ood`` and here as a site.
"""

from __future__ import annotations

import numpy as np

from trustbench.metrics.group_stats import worst
from trustbench.metrics.specs.generalization import SITE_METRICS, split_metric
from trustbench.report import MetricResult
from trustbench.suites.context import ScoringContext, stacked
from trustbench.suites.generalization.config import GeneralizationConfig

__all__ = ["SITE_METRICS", "site_results"]

FAMILY = "generalization"


def site_results(
    ctx: ScoringContext, cfg: GeneralizationConfig, n_bins: int
) -> tuple[list[MetricResult], list[str]]:
    """Per-site metrics on test + ood, and the worst site's accuracy."""
    if not cfg.per_site:
        return [], []
    copy = ctx.task.paired_split("ood") == "test"
    parts = [
        name
        for name in ("test", "ood")
        if name in ctx.proba
        and ctx.task.splits[name].site is not None
        and not (name == "ood" and copy)
    ]
    if not parts:
        return [], [
            f"dataset '{ctx.task.name}' has no site column: per-site breakdown not computed"
        ]
    notes = []
    if copy and ctx.task.splits["test"].site is not None:
        notes.append(
            "per-site breakdown on the test patients only: the ood split is a noisy copy of "
            "the same patients, not another site"
        )
    y = np.concatenate([ctx.split(p).y for p in parts])
    proba = np.concatenate([ctx.proba[p] for p in parts])
    site = np.concatenate([np.asarray(ctx.split(p).site).astype(str) for p in parts])
    origin = np.concatenate([np.full(len(ctx.split(p)), p) for p in parts])
    weights = np.hstack([stacked(ctx.counts(p)) for p in parts])
    functions = {name: split_metric(name, n_bins) for name in SITE_METRICS}
    results: list[MetricResult] = []
    accuracy_rows = []
    site_labels = np.unique(site)
    for label in site_labels:
        rows = site == label
        splits = ",".join(sorted(set(origin[rows].tolist()), key=parts.index))
        role = "held out of training (ood)" if splits == "ood" else f"rows of split '{splits}'"
        for name in SITE_METRICS:
            row = np.asarray(functions[name](y[rows], proba[rows], weights=weights[:, rows]))
            if name == "accuracy":
                accuracy_rows.append(row)
            note = None
            if not np.isfinite(row[0]):
                note = f"undefined: site '{label}' holds a single class"
            results.append(
                ctx.from_row(
                    FAMILY,
                    f"site/{ctx.key_names.site(label)}/{name}",
                    row,
                    detail=(f"{n_bins} bins, " if name == "ece" else "")
                    + f"on the patients of site '{label}', {role}",
                    n=int(rows.sum()),
                    split=splits,
                    note=note,
                )
            )
    if len(accuracy_rows) >= 2:
        accuracies = np.array([row[0] for row in accuracy_rows], dtype=float)
        defined = np.isfinite(accuracies).any()
        lowest = np.flatnonzero(accuracies == np.nanmin(accuracies)) if defined else []
        results.append(
            ctx.from_row(
                FAMILY,
                "worst_site_accuracy",
                worst(accuracy_rows, "max"),
                n=len(y),
                split=",".join(parts),
                worst_of=str(site_labels[lowest[0]]) if len(lowest) else None,
            )
        )
    return results, notes
