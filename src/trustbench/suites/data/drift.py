"""Per-feature shift from train to each other split (``data/drift/{split}/max_*``): KS for
continuous features, Jensen-Shannon for categorical ones, PSI for both; the full table is
``data/drift.parquet`` (image tasks: on the image properties)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.metrics.data_drift import feature_drift
from trustbench.report import MetricResult
from trustbench.suites.context import registered_result
from trustbench.suites.data.inputs import DataInputs

__all__ = ["drift_results"]

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
