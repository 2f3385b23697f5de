"""The data suite's figure: ``plots/data_drift.png``, the features that shift most."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustbench.plots import _pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["drift_plot"]

#: PSI above which a shift is called major (the usual rule of thumb), drawn as a line.
MAJOR_PSI = 0.25


def drift_plot(table: pd.DataFrame | None, top: int = 10) -> Figure | None:
    """Horizontal bars of the ``top`` features by PSI, one panel per split (train -> split),
    or None without a drift table."""
    if table is None or not len(table):
        return None
    splits = list(dict.fromkeys(table["split"]))
    plt = _pyplot()
    fig, axes = plt.subplots(
        1, len(splits), figsize=(5.2 * len(splits), 0.45 * top + 1.6), squeeze=False
    )
    for ax, split in zip(axes[0], splits, strict=True):
        rows = table[table["split"] == split].sort_values("psi", ascending=False).head(top)
        rows = rows.iloc[::-1]
        psi = rows["psi"].to_numpy(dtype=float)
        colours = np.where(psi > MAJOR_PSI, "#c0392b", "#7f8c8d")
        ax.barh(rows["feature"].astype(str), psi, color=colours)
        ax.axvline(MAJOR_PSI, color="black", linestyle="--", linewidth=0.8)
        ax.set_xlabel("population stability index (train → split)")
        ax.set_title(f"train → {split}: top {len(rows)} features by PSI", fontsize=10)
        ax.tick_params(axis="y", labelsize=9)
    fig.tight_layout()
    return fig
