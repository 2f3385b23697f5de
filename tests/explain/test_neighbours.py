"""OpenXAI's PGI/PGU neighbourhood: only chosen features move, by OpenXAI's noise and flips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustbench.explain.neighbours import FeatureScales, feature_scales, neighbours
from trustbench.suites.explainability.inputs import ExplainedRows


def _rows(X, image=False) -> ExplainedRows:
    n = len(X)
    return ExplainedRows(
        X=X,
        target=np.zeros(n, dtype=int),
        row_id=np.arange(n),
        sensitive=pd.DataFrame(index=range(n)),
        masks=None,
        baseline=None,
        image=image,
    )


def test_tabular_noise_and_flips_touch_only_the_chosen_features():
    X = pd.DataFrame(
        {
            "age": [50.0, 60.0, np.nan],
            "chol": [200.0, 250.0, 300.0],
            "cp": pd.Series(["a", "b", "c"], dtype=object),
        }
    )
    scales = FeatureScales({"age": 40.0, "chol": 100.0}, {"cp": np.array(["a", "b", "c", "d"])})
    chosen = np.array([[True, False, True], [False, True, True], [True, True, False]])
    samples = 4000
    out = neighbours(_rows(X), chosen, samples, 0.05, 0.3, scales, seed=0)
    assert len(out) == samples * 3 and list(out.columns) == list(X.columns)
    for i in range(3):
        copies = out.iloc[i::3]  # copy-major: row i of every copy
        for j, column in enumerate(X.columns):
            moved = copies[column].astype(object).ne(X[column].iloc[i])
            if not chosen[i, j] or pd.isna(X[column].iloc[i]):
                assert (
                    copies[column].isna().all() if pd.isna(X[column].iloc[i]) else not moved.any()
                )
    # continuous: N(0, (0.05 * range)^2) around the value
    age = out["age"].iloc[0::3].to_numpy() - 50.0
    assert age.mean() == pytest.approx(0.0, abs=0.1)
    assert age.std() == pytest.approx(0.05 * 40.0, rel=0.05)
    chol = out["chol"].iloc[1::3].to_numpy() - 250.0
    assert chol.std() == pytest.approx(0.05 * 100.0, rel=0.05)
    # categorical: flipped with probability 0.3, always to another train category, uniformly
    cp = out["cp"].iloc[0::3]
    changed = cp != "a"
    assert changed.mean() == pytest.approx(0.3, abs=0.03)
    assert set(cp[changed]) == {"b", "c", "d"}
    counts = cp[changed].value_counts(normalize=True)
    assert counts.min() > 0.25


def test_images_get_pixel_noise_on_chosen_pixels_in_every_channel_clipped():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.2, 0.8, size=(2, 3, 4, 4)).astype(np.float32)
    chosen = np.zeros((2, 16), dtype=bool)
    chosen[0, [0, 5]] = True
    chosen[1, 15] = True
    out = neighbours(_rows(X, image=True), chosen, 500, 0.05, 0.3, None, seed=1)
    assert out.shape == (1000, 3, 4, 4) and out.dtype == np.float32
    copies = out.reshape(500, 2, 3, 16)
    moved = (copies != X.reshape(1, 2, 3, 16)).any(axis=0)  # (2, 3, 16)
    assert (moved == chosen[:, None, :]).all()  # the chosen pixels, in all three channels
    assert (out >= 0).all() and (out <= 1).all()
    step = copies[:, 0, 1, 5] - X[0, 1].reshape(-1)[5]
    assert step.std() == pytest.approx(0.05, rel=0.1)


def test_feature_scales_are_train_ranges_and_categories():
    from trustbench.data import load

    task = load("heart", seed=0)
    scales = feature_scales(task)
    for name in task.features_of_kind("continuous"):
        column = pd.to_numeric(task.train.X[name], errors="coerce")
        assert scales.ranges[name] == pytest.approx(column.max() - column.min())
    for name in task.features_of_kind("categorical"):
        assert set(scales.categories[name]) == set(task.train.X[name].dropna())
    with pytest.raises(ValueError, match="feature_scales"):
        neighbours(_rows(task.test.X.head(2)), np.ones((2, 13), bool), 2, 0.05, 0.3, None, 0)
