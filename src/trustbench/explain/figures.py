"""Figures of explanations: attribution maps of a few images per explainer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from trustbench.plots import _pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def attribution_maps(
    images: np.ndarray,
    maps: Mapping[str, np.ndarray],
    masks: np.ndarray | None = None,
    n_examples: int = 4,
) -> Figure:
    """Grid of ``n_examples`` images (rows) x [input, one map per explainer] (columns).

    Maps show ``|attribution|`` scaled per image to its maximum; the ground-truth mask, when
    given, is drawn as a contour on every panel.
    """
    plt = _pyplot()
    n = min(int(n_examples), len(images))
    if masks is not None and n:  # prefer examples that have something to localise
        order = np.argsort(~masks.reshape(len(masks), -1).any(axis=1), kind="stable")[:n]
    else:
        order = np.arange(n)
    cols = 1 + len(maps)
    fig, axes = plt.subplots(max(n, 1), cols, figsize=(2.0 * cols, 2.0 * max(n, 1)), squeeze=False)
    for r, i in enumerate(order):
        panels = [("input", images[i].mean(axis=0), "gray")]
        panels += [(name, np.abs(a[i]), "inferno") for name, a in maps.items()]
        for c, (title, panel, cmap) in enumerate(panels):
            ax = axes[r, c]
            scale = panel.max() if panel.max() > 0 else 1.0
            ax.imshow(panel / scale, cmap=cmap, vmin=0, vmax=1)
            if masks is not None and masks[i].any():
                ax.contour(masks[i].astype(float), levels=[0.5], colors="cyan", linewidths=0.8)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig
