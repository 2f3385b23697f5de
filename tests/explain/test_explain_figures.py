"""The explanation figures: attribution maps headed by label and prediction with a colour bar,
and feature-importance bars equal to mean |attribution| in the drawn order."""

from __future__ import annotations

import numpy as np
import pytest

from trustbench.explain.figures import attribution_maps, feature_importance, mean_abs_attribution

RNG = np.random.default_rng(2)


def test_attribution_maps_have_a_colorbar_and_label_prediction_headers():
    images = RNG.uniform(size=(3, 1, 8, 8))
    maps = {"saliency": RNG.normal(size=(3, 8, 8)), "random": RNG.normal(size=(3, 8, 8))}
    masks = np.zeros((3, 8, 8), dtype=bool)
    masks[1, 2:4, 2:4] = True
    fig = attribution_maps(
        images, maps, masks, 2, [0, 1, 1], [0, 1, 0], [0.91, 0.77, 0.6], ["healthy", "lesion"]
    )
    assert [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    headers = [t.get_text() for ax in fig.axes for t in ax.texts]
    # the example with a mask comes first, then the first without
    assert headers == [
        "true: lesion · predicted: lesion (p = 0.77)",
        "true: healthy · predicted: healthy (p = 0.91)",
    ]
    titles = [ax.get_title() for ax in fig.axes[:3]]
    assert titles == ["input", "saliency", "random"]


def test_feature_importance_bars_are_mean_abs_attribution_in_drawn_order():
    a = RNG.normal(size=(40, 20)) * np.arange(1, 21)
    control = RNG.normal(size=(40, 20))
    names = [f"f{k}" for k in range(20)]
    fig = feature_importance(a, names, "kernel_shap", control, "random", top=15)
    main, side = fig.axes
    widths = [bar.get_width() for bar in main.patches]
    drawn = [t.get_text() for t in main.get_yticklabels()]
    expected = np.abs(a).mean(axis=0)
    order = np.argsort(-expected)[:15]
    assert drawn == [names[j] for j in order]
    np.testing.assert_allclose(widths, expected[order])
    np.testing.assert_allclose(
        [b.get_width() for b in side.patches], np.abs(control).mean(0)[order]
    )
    assert "kernel_shap" in fig.get_suptitle() and "random" in side.get_title()
    assert widths == sorted(widths, reverse=True)
    assert main.yaxis_inverted()  # the largest on top


def test_mean_abs_attribution_ignores_missing_rows():
    a = np.array([[1.0, -2.0], [np.nan, 4.0]])
    assert mean_abs_attribution(a) == pytest.approx([1.0, 3.0])
