"""Every ``plots/*.png`` figure is legible on the trust card (shown at most 560 px wide): no
visible text under 9 CSS pt at card size, widths near the card's, long labels wrapped, and no
figure left registered with pyplot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustbench import plots
from trustbench.explain.figures import attribution_maps, feature_importance
from trustbench.plots_style import CARD_PX, SAVE_DPI, rendered_text_pt, saved_width_px
from trustbench.suites.data.plots import drift_plot

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 2, 200)
SCORE = np.clip(0.5 + (Y - 0.5) * 0.5 + RNG.normal(0, 0.25, 200), 0, 1)
PROBA = np.column_stack([1 - SCORE, SCORE])
LABELS = ["Female x 50-59", "Female x 60+", "Male x <50", "Male x 50-59", "Male x 60+"]


def _group_panels():
    metrics = {
        name: (np.full(5, v), np.full(5, v - 0.1), np.full(5, v + 0.1))
        for name, v in [("selection_rate", 0.4), ("true_positive_rate", 0.8), ("ece", 0.1)]
    }
    return plots.group_panels("sex x age_group", LABELS, [28, 13, 57, 69, 30], metrics, 30)


def _shift_curves():
    curves = {
        m: {k: ([0.8, 0.7, 0.6], [0.7, 0.6, 0.5], [0.9, 0.8, 0.7]) for k in ("covariate", "noise")}
        for m in ("accuracy", "roc_auc", "ece")
    }
    info = {"covariate": ("age mean shift (SD)", "covariate shift of 'age'")}
    return plots.shift_curves(curves, [0.5, 1, 2], dict.fromkeys(curves, 0.85), info)


def _attribution_maps():
    images = RNG.uniform(size=(4, 1, 16, 16))
    maps = {name: RNG.normal(size=(4, 16, 16)) for name in ("integrated_gradients", "random")}
    return attribution_maps(
        images,
        maps,
        None,
        4,
        [0, 1, 1, 0],
        [0, 1, 0, 0],
        [0.9, 0.8, 0.6, 0.7],
        ["healthy", "lesion"],
    )


FIGURES = {
    "reliability_diagram": lambda: plots.reliability_diagram({"test": (Y, PROBA)}),
    "group_panels": _group_panels,
    "shift_curves": _shift_curves,
    "risk_coverage": lambda: plots.risk_coverage(
        {t: {"a (n=10)": (np.linspace(0, 1, 20), np.linspace(0, 0.2, 20))} for t in "xyz"},
        [0.8, 0.9],
    ),
    "decision_curve": lambda: plots.decision_curve(
        np.linspace(0.01, 0.99, 99), *(np.linspace(0.5, 0, 99),) * 4, 0.5, "model"
    ),
    "attack_roc": lambda: plots.attack_roc(Y, {"loss": SCORE, "lira": SCORE**2}, [0.01]),
    "roc_pr": lambda: plots.roc_pr(Y, SCORE, (SCORE > 0.5).astype(int), "threshold 0.50", "1"),
    "confusion_matrix": lambda: plots.confusion_matrix(Y, (SCORE > 0.5).astype(int), ["a", "b"]),
    "confusion_matrix_10": lambda: plots.confusion_matrix(
        RNG.integers(0, 10, 300), RNG.integers(0, 10, 300), [str(k) for k in range(10)]
    ),
    "feature_importance": lambda: feature_importance(
        RNG.normal(size=(50, 20)),
        [f"feature number {k}" for k in range(20)],
        "ablation",
        RNG.normal(size=(50, 20)),
    ),
    "attribution_maps": _attribution_maps,
    "data_drift": lambda: drift_plot(
        pd.DataFrame(
            {
                "split": ["test"] * 3 + ["ood"] * 3,
                "feature": list("abcabc"),
                "psi": [0.1, 0.3, 0.02, 1.2, 0.4, 0.01],
            }
        )
    ),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_text_is_at_least_9pt_at_card_size(name):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = FIGURES[name]()
    assert plt.get_fignums() == before  # a plain Figure: nothing global holds it
    assert rendered_text_pt(fig) >= 8.9, name
    # sized for the card: at most ~1.3x its width, so the card shrinks it little
    assert CARD_PX * 0.6 <= saved_width_px(fig) <= CARD_PX * 1.32, name
    assert fig.get_size_inches()[0] <= 5.8


def test_the_rendered_size_accounts_for_the_cards_shrinking():
    from trustbench.plots_style import new_figure

    for width, expected in [(4.0, 9 * SAVE_DPI / 96), (11.2, 9 * SAVE_DPI / 96 * 560 / 1344)]:
        fig = new_figure(width, 2.0)
        fig.text(0.5, 0.5, "x", fontsize=9)
        fig.add_artist(__import__("matplotlib").patches.Rectangle((0, 0), 1, 1, fill=False))
        assert rendered_text_pt(fig) == pytest.approx(expected, rel=0.03)


def test_long_group_labels_are_wrapped_and_every_group_is_labelled():
    long = ["a very long group label that goes on x another one", "short"]
    metrics = {"accuracy": (np.array([0.5, 0.6]), [0.4, 0.5], [0.6, 0.7])}
    fig = plots.group_panels("attr", long, [10, 50], metrics, 30)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) == 2 and "\n" in ticks[0] and ticks[1] == "short (n=50)"
    assert "*" in ticks[0] and max(len(line) for line in ticks[0].split("\n")) <= 24
    assert "n < 30" in fig.get_suptitle()
