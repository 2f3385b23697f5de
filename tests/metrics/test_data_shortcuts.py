"""Single-column shortcuts: the cross-fitted target encoding against a per-row reference, the
shortcuts it must find (a copied label, a U-shaped relation) and must not (noise, even with 500
categories, where an in-sample encoding would), the weighted AUC against scikit-learn row by
row, and the image properties on hand-built images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from trustbench.errors import TrustbenchError
from trustbench.metrics import data_shortcuts as S
from trustbench.metrics.weights import bootstrap_counts

N = 2000


def _binary_labels(seed: int, n: int = N) -> tuple[np.random.Generator, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng, rng.integers(0, 2, n)


def _auc(y, values, **kw):
    return S.scores_auc(y, S.single_column_scores(values, y, 2, **kw))


# --------------------------------------------------------------------------------------------
# the encoding itself


def _reference_categorical(values, y, k, folds, seed):
    """Per-row loop over held-out rows and a dict of training counts (an independent path)."""
    out = np.empty((len(y), k))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(values, y):
        prior = np.bincount(y[train], minlength=k) / len(train)
        counts: dict = {}
        for i in train:
            counts.setdefault(values[i], np.zeros(k))[y[i]] += 1
        for i in test:
            c = counts.get(values[i], np.zeros(k))
            out[i] = (c + prior) / (c.sum() + 1)
    return out


def test_categorical_encoding_equals_a_per_row_reference():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    values = rng.choice(np.array(["a", "b", "c", "d", "e"], dtype=object), 300)
    values[:3] = ["only_once", "twice", "twice"]  # unseen in some training folds
    got = S.single_column_scores(values, y, 3, kind="categorical", folds=4, seed=2)
    np.testing.assert_allclose(got, _reference_categorical(values, y, 3, 4, 2), atol=1e-12)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)
    # the row whose category is seen nowhere else gets its training fold's class prior
    train = next(
        tr
        for tr, te in StratifiedKFold(4, shuffle=True, random_state=2).split(values, y)
        if 0 in te
    )
    np.testing.assert_allclose(got[0], np.bincount(y[train], minlength=3) / len(train))


def test_missing_is_its_own_bin_and_few_levels_are_bins_of_their_own():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    levels = rng.choice([0.0, 1.0, 2.0], 400)
    levels[rng.random(400) < 0.2] = np.nan
    # a 3-level numeric column: each level (a repeated quantile edge) is a bin, NaN one more,
    # so the quantile encoding equals the categorical encoding of the same values
    as_cont = S.single_column_scores(levels, y, 2, seed=3)
    as_cat = S.single_column_scores(levels.astype(object), y, 2, seed=3, kind="categorical")
    np.testing.assert_allclose(as_cont, as_cat, atol=1e-12)
    # the label hidden in the missingness alone is found
    hidden = np.where(y == 1, np.nan, rng.normal(size=400))
    assert _auc(y, hidden) > 0.99
    # a pandas nullable column's to_numpy() (object, pd.NA) reads as NaN
    nullable = pd.array(np.where(np.isnan(levels), None, levels), dtype="Float64").to_numpy()
    np.testing.assert_allclose(S.single_column_scores(nullable, y, 2, seed=3), as_cont)
    with pytest.raises(TrustbenchError, match=r"values must be 1-D"):
        S.single_column_scores(levels.reshape(-1, 2), y[:200], 2, kind="categorical")


def test_folds_fall_back_when_a_class_is_small():
    rng = np.random.default_rng(2)
    y = np.r_[np.zeros(60, int), np.ones(3, int)]
    x = rng.normal(size=63)
    np.testing.assert_array_equal(
        S.single_column_scores(x, y, 2, folds=5), S.single_column_scores(x, y, 2, folds=3)
    )
    with pytest.raises(TrustbenchError, match="at least 2 rows"):
        S.single_column_scores(x[:61], np.r_[np.zeros(60, int), 1], 2)  # one row of class 1
    with pytest.raises(
        TrustbenchError, match=r"kind must be one of \['continuous', 'categorical'\]"
    ):
        S.single_column_scores(x, y, 2, kind="ordinal")
    with pytest.raises(TrustbenchError, match=r"y must hold integer class indices in \[0, 1\]"):
        S.single_column_scores(x, y + 1, 2)
    with pytest.raises(TrustbenchError, match="same length"):
        S.single_column_scores(x[:10], y, 2)


# --------------------------------------------------------------------------------------------
# shortcuts found and not found


def test_label_copied_with_two_percent_noise_is_found():
    rng, y = _binary_labels(3)
    copied = np.where(rng.random(N) < 0.02, 1 - y, y)
    assert _auc(y, copied.astype(float)) > 0.95
    assert _auc(y, np.array(["neg", "pos"], dtype=object)[copied], kind="categorical") > 0.95


@pytest.mark.parametrize("seed", [4, 5])
def test_pure_noise_column_is_chance(seed):
    rng, y = _binary_labels(seed)
    assert abs(_auc(y, rng.normal(size=N), seed=seed) - 0.5) < 0.07


def test_cross_fitting_keeps_a_500_category_noise_column_at_chance():
    rng, y = _binary_labels(6)
    ids = rng.integers(0, 500, N).astype(str).astype(object)
    # an in-sample encoding (fit and score on the same rows) memorises ~4 labels per category
    codes = np.unique(ids, return_inverse=True)[1]
    counts = np.bincount(codes * 2 + y, minlength=2 * codes.max() + 2).reshape(-1, 2)
    prior = np.bincount(y) / N
    in_sample = ((counts + prior) / (counts.sum(axis=1, keepdims=True) + 1))[codes]
    assert S.scores_auc(y, in_sample) > 0.75
    assert abs(_auc(y, ids, kind="categorical") - 0.5) < 0.07


def test_u_shaped_relation_is_found_though_the_raw_value_auc_is_chance():
    rng, _ = _binary_labels(7)
    x = rng.normal(size=N)
    y = (np.abs(x) + rng.normal(0.0, 0.3, N) > 0.8).astype(int)
    assert abs(roc_auc_score(y, x) - 0.5) < 0.07
    assert _auc(y, x) > 0.8


# --------------------------------------------------------------------------------------------
# weighted AUC


def test_scores_auc_binary_equals_scikit_learn_row_by_row_with_ties():
    rng = np.random.default_rng(8)
    n = 300
    y = rng.integers(0, 2, n)
    s1 = np.round(rng.random(n) * 0.5 + 0.3 * y, 1)  # few distinct values: many ties
    scores = np.column_stack([1 - s1, s1])
    assert isinstance(S.scores_auc(y, scores), float)
    assert S.scores_auc(y, scores) == pytest.approx(roc_auc_score(y, s1), abs=1e-12)
    counts = bootstrap_counts(n, 20, rng)
    got = S.scores_auc(y, scores, counts)
    assert got.shape == (20,)
    expected = [roc_auc_score(y, s1, sample_weight=w) for w in counts]
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_scores_auc_multiclass_macro_ovr_equals_scikit_learn():
    rng = np.random.default_rng(9)
    n = 400
    y = rng.integers(0, 3, n)
    logits = np.round(rng.normal(size=(n, 3)) + np.eye(3)[y], 1)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ref = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert S.scores_auc(y, proba) == pytest.approx(ref, abs=1e-12)
    counts = bootstrap_counts(n, 8, rng)
    expected = [
        roc_auc_score(y, proba, multi_class="ovr", average="macro", sample_weight=w) for w in counts
    ]
    np.testing.assert_allclose(S.scores_auc(y, proba, counts), expected, atol=1e-12)


def test_scores_auc_undefined_and_bad_input():
    y = np.zeros(5, int)
    assert np.isnan(S.scores_auc(y, np.full((5, 2), 0.5)))
    with pytest.raises(TrustbenchError, match=r"scores must have shape \(n, K\)"):
        S.scores_auc(y, np.zeros(5))
    with pytest.raises(TrustbenchError, match="same number of rows"):
        S.scores_auc(y[:4], np.zeros((5, 2)))
    with pytest.raises(TrustbenchError, match="non-negative"):
        S.scores_auc(y, np.zeros((5, 2)), -np.ones((2, 5)))


# --------------------------------------------------------------------------------------------
# image properties


def test_image_properties_on_hand_built_images():
    rng = np.random.default_rng(10)
    h = w = 20
    constant = np.full((1, 3, h, w), 0.4)
    sharp = rng.random((1, 1, h, w))
    blurred = ndimage.uniform_filter(sharp, size=(1, 1, 3, 3), mode="nearest")
    framed = np.full((1, 1, h, w), 0.2)
    framed[..., :2, :] = framed[..., -2:, :] = 0.9  # 10% of 20 = 2 rows / columns
    framed[..., :, :2] = framed[..., :, -2:] = 0.9
    props = S.image_properties(np.concatenate([constant[:, :1], sharp, blurred, framed]))
    assert list(props.columns) == ["brightness", "contrast", "blur", "border"]
    c, s, b, f = (props.iloc[i] for i in range(4))
    assert c["brightness"] == pytest.approx(0.4)
    assert c["contrast"] == pytest.approx(0.0, abs=1e-12)
    assert c["blur"] == pytest.approx(0.0, abs=1e-12)
    assert c["border"] == pytest.approx(0.0, abs=1e-12)
    assert b["blur"] < 0.2 * s["blur"]
    assert f["border"] == pytest.approx(0.7)
    assert f["border"] > s["border"] + 0.5
    # references: numpy moments and scipy's Laplacian on the interior pixels
    g = sharp[0, 0]
    assert s["brightness"] == pytest.approx(g.mean(), abs=1e-12)
    assert s["contrast"] == pytest.approx(g.std(), abs=1e-12)
    assert s["blur"] == pytest.approx(ndimage.laplace(g)[1:-1, 1:-1].var(), abs=1e-12)


def test_image_properties_grayscale_is_the_channel_mean():
    rng = np.random.default_rng(11)
    rgb = rng.random((4, 3, 8, 9))
    gray = S.image_properties(rgb.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(S.image_properties(rgb).to_numpy(), gray.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(
        S.image_properties(rgb.astype(np.float32)).to_numpy(), gray.to_numpy(), atol=1e-6
    )
    with pytest.raises(TrustbenchError, match="numeric array"):
        S.image_properties(rgb.astype(str))
    with pytest.raises(TrustbenchError, match=r"intensities in \[0, 1\]"):
        S.image_properties(rgb * 255)
    with pytest.raises(TrustbenchError, match=r"shape \(n, C, H, W\)"):
        S.image_properties(rgb[0])
    with pytest.raises(TrustbenchError, match="at least 3x3"):
        S.image_properties(rgb[..., :2, :])
