"""Per-feature shift from train to each other split (``data/drift/{split}/max_*``): KS for
continuous features, Jensen-Shannon for categorical ones, PSI for both; the full table is
``data/drift.parquet`` (image tasks: on the image properties, with the per-scanner intensity
statistics in ``data/sites.parquet``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.data.task import TaskData
from trustbench.metrics.data_drift import feature_drift
from trustbench.report import MetricResult
from trustbench.suites.context import registered_result
from trustbench.suites.data.inputs import DataInputs

__all__ = ["drift_results", "site_statistics"]

FAMILY = "data"
_MAXIMA = (("max_ks", "ks"), ("max_js", "js"), ("max_psi", "psi"))


def drift_results(inputs: DataInputs) -> tuple[list[MetricResult], list[str], pd.DataFrame]:
    """The largest KS, JS and PSI of each split against train, notes naming the features that
    drift most, and the table of every feature."""
    reference = inputs.columns["train"]
    metrics: list[MetricResult] = []
    notes: list[str] = []
    frames = []
    for split, frame in inputs.columns.items():
        if split == "train":
            continue
        table = feature_drift(reference, frame, inputs.continuous, inputs.categorical)
        table.insert(0, "split", split)
        frames.append(table)
        n = len(frame)
        for name, column in _MAXIMA:
            values = table[column].to_numpy(dtype=float)
            if not np.isfinite(values).any():
                continue
            at = int(np.nanargmax(values))
            metrics.append(
                registered_result(
                    FAMILY, f"drift/{split}/{name}", float(values[at]), n=n, split=split,
                    detail=f"feature '{table['feature'].iloc[at]}'",
                )
            )  # fmt: skip
        top = table.sort_values("psi", ascending=False).head(3)
        if len(top):
            named = ", ".join(
                f"{f} (PSI {p:.2f})" for f, p in zip(top["feature"], top["psi"], strict=True)
            )
            notes.append(f"data: the features that drift most from train to {split}: {named}")
    drift = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return metrics, notes, drift


def site_statistics(task: TaskData, inputs: DataInputs) -> tuple[pd.DataFrame | None, list[str]]:
    """Image tasks: per split and site (scanner), the mean and standard deviation of each image
    property (``data/sites.parquet``), and a note naming the site whose mean brightness is
    furthest from the others'. None for tabular tasks or data without sites."""
    if not inputs.image:
        return None, []
    frames = []
    for split, columns in inputs.columns.items():
        site = task.splits[split].site
        if site is None:
            continue
        grouped = columns.assign(site=np.asarray(site).astype(str)).groupby("site")
        stats = grouped.agg(["mean", "std"])
        stats.columns = [f"{name}_{stat}" for name, stat in stats.columns]
        stats.insert(0, "n", grouped.size())
        frames.append(stats.reset_index().assign(split=split))
    if not frames:
        return None, []
    table = pd.concat(frames, ignore_index=True)
    by_site = table.groupby("site").apply(
        lambda rows: np.average(rows["brightness_mean"], weights=rows["n"]), include_groups=False
    )
    if len(by_site) < 2:
        return table, []
    centre = float(by_site.median())
    far = str((by_site - centre).abs().idxmax())
    note = (
        f"data: scanner intensities (data/sites.parquet): site '{far}' has mean brightness "
        f"{by_site[far]:.3f} against a median of {centre:.3f} over the sites"
    )
    return table, [note]
