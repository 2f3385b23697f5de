"""The membership-inference ROC figure, ``plots/attack_roc.png``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trustbench.plots_style import CARD_WIDTH_IN, FONT_PT, finish, line_styles, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["attack_roc"]


def attack_roc(
    member: np.ndarray,
    scores: Mapping[str, np.ndarray],
    fpr_levels: Sequence[float] = (),
) -> Figure:
    """Membership-attack ROC: log-log axes first (the low-FPR regime is what matters), then the
    same curves on linear axes with each attack's ROC AUC in their legend.

    Each attack has its own colour, line style and marker (markers staggered along the curves),
    so curves that overlap stay apart. Every ROC point is drawn (no intermediate points
    dropped); on the log axes rates below the audit set's resolution ``1 / n_nonmembers`` are
    drawn at that floor. ``fpr_levels`` (e.g. 0.01, 0.001) are marked with dotted verticals on
    the log axes where the audit set resolves them.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    member = np.asarray(member)
    fig = new_figure(CARD_WIDTH_IN, 4.0)  # fixed layout: the key sits under both panels
    log_ax = fig.add_axes((0.11, 0.30, 0.37, 0.56))
    lin_ax = fig.add_axes((0.60, 0.30, 0.37, 0.56))
    floor = 1.0 / max(1, int((member == 0).sum()))
    both = len(np.unique(member)) == 2
    styles = line_styles(len(scores))
    for k, ((name, score), style) in enumerate(zip(scores.items(), styles, strict=True)):
        fpr, tpr, _ = roc_curve(member, score, drop_intermediate=False)
        auc = roc_auc_score(member, score) if both else np.nan
        common = {"linewidth": 1.3, "markersize": 4.5, "markevery": (0.03 * k, 0.14), **style}
        log_ax.plot(np.maximum(fpr, floor), np.maximum(tpr, floor), label=name, **common)
        lin_ax.plot(fpr, tpr, label=f"{auc:.3f}", **common)
    grid = np.logspace(np.log10(floor), 0, 50)
    log_ax.plot(grid, grid, color="grey", linestyle="--", linewidth=1, label="chance")
    lin_ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    for level in fpr_levels:
        if floor <= level < 1:
            log_ax.axvline(level, color="grey", linestyle=":", linewidth=0.8)
    log_ax.set(xscale="log", yscale="log", xlim=(floor, 1), ylim=(floor, 1))
    log_ax.set_title("log-log: the low-FPR region", fontsize=FONT_PT)
    lin_ax.set(xlim=(0, 1), ylim=(0, 1))
    lin_ax.set_title("linear", fontsize=FONT_PT)
    for ax in (log_ax, lin_ax):
        ax.set_aspect("equal")
        ax.set_xlabel("false positive rate")
    log_ax.set_ylabel("true positive rate")
    # the key (every attack's line style and marker) under both panels; the ROC AUC in the
    # linear panel's corner below the diagonal, where the curves of weak attacks do not go
    log_ax.legend(loc="lower center", bbox_to_anchor=(0.5, 0.0), bbox_transform=fig.transFigure,
                  ncol=3, fontsize=FONT_PT, handlelength=3.0, frameon=False)  # fmt: skip
    lin_ax.legend(loc="lower right", fontsize=FONT_PT, title="ROC AUC", title_fontsize=FONT_PT,
                  handlelength=2.4, borderaxespad=0.2, labelspacing=0.25)  # fmt: skip
    shown = [f"{level:g}" for level in fpr_levels if floor <= level < 1]
    levels = f"; dotted: FPR {', '.join(shown)}" if shown else ""
    fig.suptitle(
        f"Membership inference ROC ({int((member == 1).sum())} members, "
        f"{int((member == 0).sum())} non-members{levels})",
        fontsize=FONT_PT,
        y=0.97,
    )
    return finish(fig)
