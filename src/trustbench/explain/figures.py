"""Figures of explanations: attribution maps of a few images per explainer, and the
feature importance (mean ``|attribution|`` per feature) of a tabular model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trustbench.plots_style import (
    CARD_WIDTH_IN,
    FONT_PT,
    PALETTE,
    TITLE_PT,
    axes_grid,
    finish,
    new_figure,
    text_width_in,
    wrap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["attribution_maps", "feature_importance", "mean_abs_attribution"]


def _caption(i: int, y_true, y_pred, proba, class_names) -> str:
    def name(k) -> str:
        k = int(k)
        return str(class_names[k]) if class_names is not None and k < len(class_names) else str(k)

    parts = []
    if y_true is not None:
        parts.append(f"true: {name(y_true[i])}")
    if y_pred is not None:
        p = f" (p = {float(proba[i]):.2f})" if proba is not None else ""
        parts.append(f"predicted: {name(y_pred[i])}{p}")
    return " · ".join(parts)


def attribution_maps(
    images: np.ndarray,
    maps: Mapping[str, np.ndarray],
    masks: np.ndarray | None = None,
    n_examples: int = 4,
    y_true: Sequence[int] | None = None,
    y_pred: Sequence[int] | None = None,
    proba: Sequence[float] | None = None,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """Grid of ``n_examples`` images (rows) x [input, one map per explainer] (columns).

    Maps show ``|attribution|`` scaled per image to its maximum (the colour bar below the grid
    gives the scale); the ground-truth mask, when given, is drawn as a cyan contour on every
    panel. Each row is headed by the image's true label ``y_true``, the prediction ``y_pred``
    and its probability ``proba`` (names from ``class_names``).
    """
    n = min(int(n_examples), len(images))
    if masks is not None and n:  # prefer examples that have something to localise
        order = np.argsort(~masks.reshape(len(masks), -1).any(axis=1), kind="stable")[:n]
    else:
        order = np.arange(n)
    cols, n_rows = 1 + len(maps), max(n, 1)
    side = min(1.3, (CARD_WIDTH_IN - 0.2 - 0.08 * (cols - 1)) / cols)
    head, foot = 0.55, 0.85  # column titles; colour bar and its label
    fig = new_figure(side * cols + 0.08 * (cols - 1) + 0.2, head + (side + 0.3) * n_rows + foot)
    height = fig.get_size_inches()[1]
    axes = axes_grid(fig, n_rows, cols, (0.1, 0.1, head, foot), (0.08, 0.3))
    image = None
    for r, i in enumerate(order):
        panels = [("input", images[i].mean(axis=0), "gray")]
        panels += [(name, np.abs(a[i]), "inferno") for name, a in maps.items()]
        for ax, (title, panel, cmap) in zip(axes[r], panels, strict=True):
            scale = panel.max() if panel.max() > 0 else 1.0
            shown = ax.imshow(panel / scale, cmap=cmap, vmin=0, vmax=1)
            image = shown if cmap == "inferno" else image
            if masks is not None and masks[i].any():
                ax.contour(masks[i].astype(float), levels=[0.5], colors="cyan", linewidths=0.8)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(wrap(title.replace("_", " "), 11), fontsize=FONT_PT, pad=16)
        caption = _caption(i, y_true, y_pred, proba, class_names)
        if caption:  # the row's header, over its first panel and on across the row
            axes[r, 0].text(0.0, 1.04, caption, transform=axes[r, 0].transAxes, ha="left",
                            va="bottom", fontsize=FONT_PT)  # fmt: skip
    for ax in axes.flat if n == 0 else ():  # no image: an empty grid
        ax.set_visible(False)
    cax = fig.add_axes((0.2, 0.5 * foot / height, 0.6, 0.1 / height), label="<colorbar>")
    if image is not None:
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        note = "; cyan contour: ground-truth mask" if masks is not None else ""
        bar.set_label(f"|attribution| / the map's maximum{note}", fontsize=FONT_PT)
    else:
        cax.set_visible(False)
    return finish(fig)


def mean_abs_attribution(attributions: np.ndarray) -> np.ndarray:
    """Mean ``|attribution|`` per feature over the explained rows (NaN rows ignored)."""
    values = np.abs(np.asarray(attributions, dtype=float))
    values = values.reshape(len(values), -1)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values).any(axis=0)
        out = np.zeros(values.shape[1])
        out[finite] = np.nanmean(values[:, finite], axis=0)
    return out


def feature_importance(
    attributions: np.ndarray,
    feature_names: Sequence[str],
    explainer: str,
    control: np.ndarray | None = None,
    control_name: str = "random",
    top: int = 15,
) -> Figure:
    """Horizontal bars of the ``top`` features by mean ``|attribution|`` of ``explainer`` (the
    largest on top); beside them, on their own axis, the ``control`` explainer's mean
    ``|attribution|`` of the same features (what an explanation without signal looks like).

    The drawn values are :func:`mean_abs_attribution` of each array, in the drawn order.
    """
    names = [str(f) for f in feature_names]
    importance = mean_abs_attribution(attributions)
    order = np.argsort(-importance, kind="stable")[: int(top)]
    shown = [wrap(names[j], 24) for j in order]
    n_rows = len(np.asarray(attributions))
    fig = new_figure(CARD_WIDTH_IN, 0.26 * len(order) + 1.5)
    ratios = [2.2, 1.0] if control is not None else [1.0]
    margins = (min(text_width_in("\n".join(shown)) + 0.2, 2.4), 0.15, 0.75, 0.55)
    axes = axes_grid(fig, 1, len(ratios), margins, (0.35, 0), sharey=True, width_ratios=ratios)[0]
    y = np.arange(len(order))
    axes[0].barh(y, importance[order], 0.7, color=PALETTE[0])
    axes[0].set_yticks(y, shown)
    axes[0].invert_yaxis()
    axes[0].set_xlabel(f"mean |{explainer} attribution|")
    axes[0].set_title(explainer.replace("_", " "), fontsize=FONT_PT)
    if control is not None:
        axes[1].barh(y, mean_abs_attribution(control)[order], 0.7, color="#999999")
        axes[1].set_xlabel(f"mean |{control_name}|")
        axes[1].set_title(f"{control_name} (control)", fontsize=FONT_PT)
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        ax.locator_params(axis="x", nbins=4)
    fig.suptitle(
        wrap(
            f"Feature importance: mean |{explainer}| attribution, top {len(order)} of "
            f"{len(names)} features ({n_rows} test rows, predicted class)",
            72,
        ),
        fontsize=TITLE_PT,
        y=1 - 0.05 / fig.get_size_inches()[1],
        va="top",
    )
    return finish(fig)
