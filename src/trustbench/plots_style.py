"""Card-size style shared by every ``plots/*.png`` figure.

The trust card shows each plot at most :data:`CARD_PX` (560) CSS pixels wide, and the tracking
layer saves figures at :data:`SAVE_DPI` (120) with a tight bounding box. A figure
:data:`CARD_WIDTH_IN` (5.6 in) wide is then 672 px, shown at 560 / 672 = 0.83 of its size, so
text set in :data:`FONT_PT` (9 pt) renders at 9 x 120 / 96 x 0.83 = 9.4 CSS pt (CSS: 96 px per
inch). :func:`rendered_text_pt` measures that for any figure.

Layouts are fixed margins and gaps in inches (:func:`axes_grid`), not a layout engine: a
constrained layout re-measures every text on each draw and doubles the cost of a figure.

Figures are plain :class:`matplotlib.figure.Figure` objects (Agg canvas), not pyplot figures:
nothing global holds them, so a figure that is never saved is garbage-collected and none
leaks; ``plt.close`` on one (as the tracking layer does after saving) is harmless. matplotlib is
imported on first use.
"""

from __future__ import annotations

import io
import struct
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CARD_PX",
    "CARD_WIDTH_IN",
    "FONT_PT",
    "PALETTE",
    "SAVE_DPI",
    "TITLE_PT",
    "axes_grid",
    "finish",
    "line_styles",
    "new_figure",
    "pretty",
    "rendered_text_pt",
    "saved_width_px",
    "text_width_in",
    "wrap",
]

#: Largest width (CSS px) at which the trust card shows a plot (``reporting.card``).
CARD_PX = 560
#: Resolution at which ``tracking.artifacts.write_artifact`` saves a figure (plots never import
#: tracking, so the number is repeated here).
SAVE_DPI = 120
#: Width of a full-card figure, in inches.
CARD_WIDTH_IN = 5.6
#: Smallest font of any text on a figure, and the size of titles.
FONT_PT = 9.0
TITLE_PT = 10.0
#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)
_LINESTYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
#: Display names of metric keys on axes and titles.
_NAMES = {
    "roc_auc": "ROC AUC",
    "auprc": "PR AUC",
    "ece": "ECE",
    "adaptive_ece": "adaptive ECE",
    "brier": "Brier score",
}


def new_figure(width: float = CARD_WIDTH_IN, height: float = 4.0, **kwargs: Any) -> Figure:
    """A figure ``width`` x ``height`` inches on the Agg canvas, unknown to pyplot.

    Parameters
    ----------
    width, height : float
        Size in inches; ``width`` at most :data:`CARD_WIDTH_IN` keeps text legible on the card.
    **kwargs
        Passed to :class:`matplotlib.figure.Figure` (e.g. ``layout="constrained"``).
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), **kwargs)


def pretty(name: str) -> str:
    """A metric key as a label: ``roc_auc`` -> ``ROC AUC``, ``true_positive_rate`` -> words."""
    return _NAMES.get(name, name.replace("_", " "))


def wrap(text: str, width: int) -> str:
    """``text`` wrapped into lines of at most ``width`` characters (existing breaks kept)."""
    return "\n".join(textwrap.fill(line, width) or line for line in text.split("\n"))


def line_styles(n: int) -> list[dict[str, Any]]:
    """``n`` keyword sets (colour, linestyle, marker) of :meth:`Axes.plot`, pairwise distinct in
    (linestyle, marker) for ``n <= 20`` and in colour for ``n <= 8``, so curves that overlap stay
    apart in print, greyscale and for colour-blind readers."""
    return [
        {
            "color": PALETTE[i % len(PALETTE)],
            "linestyle": _LINESTYLES[i % len(_LINESTYLES)],
            "marker": _MARKERS[i % len(_MARKERS)],
        }
        for i in range(n)
    ]


def axes_grid(
    fig: Figure,
    nrows: int,
    ncols: int,
    margins: tuple[float, float, float, float],
    gaps: tuple[float, float] = (0.5, 0.5),
    **kwargs: Any,
) -> Any:
    """A ``(nrows, ncols)`` array of axes filling ``fig`` within ``margins`` (left, right, top,
    bottom) and ``gaps`` (between columns, between rows), all in inches.

    ``**kwargs`` go to :meth:`Figure.subplots` (``sharey``, ``width_ratios``, ...).
    """
    width, height = fig.get_size_inches()
    left, right, top, bottom = margins
    inner_w = max(width - left - right - gaps[0] * (ncols - 1), 0.1) / ncols
    inner_h = max(height - top - bottom - gaps[1] * (nrows - 1), 0.1) / nrows
    grid = {
        "left": left / width,
        "right": 1 - right / width,
        "top": 1 - top / height,
        "bottom": bottom / height,
        "wspace": gaps[0] / inner_w,
        "hspace": gaps[1] / inner_h,
    }
    return fig.subplots(nrows, ncols, squeeze=False, gridspec_kw=grid, **kwargs)


def text_width_in(text: str, size: float = FONT_PT) -> float:
    """Rough width in inches of ``text``'s longest line in DejaVu Sans at ``size`` points."""
    return max((len(line) for line in text.split("\n")), default=0) * 0.58 * size / 72


def finish(fig: Figure, min_pt: float = FONT_PT) -> Figure:
    """Raise every text of ``fig`` to at least ``min_pt`` points, and set tick labels to
    ``min_pt`` (cheap: no tick is computed here)."""
    from matplotlib.text import Text

    for ax in fig.get_axes():
        ax.tick_params(labelsize=min_pt)
    for text in fig.findobj(Text):
        if text.get_fontsize() < min_pt:
            text.set_fontsize(min_pt)
    return fig


def saved_width_px(fig: Figure, dpi: float = SAVE_DPI) -> int:
    """Width in pixels of ``fig`` saved as PNG at ``dpi`` with a tight bounding box."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return int(struct.unpack(">I", buffer.getvalue()[16:20])[0])  # IHDR width


def _visible_texts(fig: Figure) -> Iterable[Any]:
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            yield text


def rendered_text_pt(fig: Figure, dpi: float = SAVE_DPI, card_px: int = CARD_PX) -> float:
    """Size in CSS points of the smallest visible text of ``fig`` on the trust card.

    The figure is saved at ``dpi`` with a tight bounding box (as the tracking layer does); the
    card shows it at ``min(width, card_px)`` CSS px, 96 px per inch.
    """
    width = saved_width_px(fig, dpi)  # draws the figure: tick labels exist afterwards
    scale = min(1.0, card_px / width)
    sizes = [text.get_fontsize() for text in _visible_texts(fig)]
    return min(sizes) * dpi / 96.0 * scale if sizes else float("inf")
