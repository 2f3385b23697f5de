"""The data suite's figure: ``plots/data_drift.png``, the features that shift most."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustbench.plots_style import (
    CARD_WIDTH_IN,
    FONT_PT,
    TITLE_PT,
    axes_grid,
    finish,
    new_figure,
    text_width_in,
    wrap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["drift_plot"]

#: PSI above which a shift is called major (the usual rule of thumb), drawn as a line.
MAJOR_PSI = 0.25


def drift_plot(table: pd.DataFrame | None, top: int = 10) -> Figure | None:
    """Horizontal bars of the ``top`` features by PSI, one panel per split (train -> split),
    stacked so that each spans the card's width; or None without a drift table.

    Bars above :data:`MAJOR_PSI` are red; the dashed line marks it. Each panel's x axis spans
    at least 0 to 0.3, so the line is always in view.
    """
    if table is None or not len(table):
        return None
    splits = list(dict.fromkeys(table["split"]))
    counts = [min(top, int((table["split"] == s).sum())) for s in splits]
    heights = [0.24 * n for n in counts]
    names = "\n".join(wrap(str(f), 28) for f in table["feature"])
    fig = new_figure(CARD_WIDTH_IN, sum(heights) + 0.9 * len(splits) + 0.1)
    margins = (min(text_width_in(names) + 0.2, 2.4), 0.15, 0.35, 0.55)
    axes = axes_grid(fig, len(splits), 1, margins, (0, 0.9), height_ratios=heights)[:, 0]
    for ax, split in zip(axes, splits, strict=True):
        rows = table[table["split"] == split].sort_values("psi", ascending=False).head(top)
        rows = rows.iloc[::-1]
        psi = rows["psi"].to_numpy(dtype=float)
        colours = np.where(psi > MAJOR_PSI, "#c0392b", "#7f8c8d")
        ax.barh([wrap(str(f), 28) for f in rows["feature"]], psi, color=colours, height=0.7)
        ax.axvline(MAJOR_PSI, color="black", linestyle="--", linewidth=0.9)
        ax.set_xlim(0, max(0.3, float(np.nanmax(psi)) * 1.08 if len(psi) else 0.3))
        ax.set_xlabel(f"population stability index, train → {split}")
        ax.set_title(
            f"train → {split}: top {len(rows)} features by PSI "
            f"(red: PSI > {MAJOR_PSI:g}, a major shift)",
            fontsize=FONT_PT if len(splits) > 1 else TITLE_PT,
            loc="left",
        )
        ax.tick_params(axis="y", labelsize=FONT_PT)
    return finish(fig)
