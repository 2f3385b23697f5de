"""Duplicates and leakage: row-hash semantics (against pandas' own duplicate detection), the
masks on a hand-built frame, the encoding by hand, nearest distances against scipy's cdist,
near twins on data built to be (and not to be) twins, and the perceptual hash by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from trustbench.errors import TrustbenchError
from trustbench.metrics import data_images as I
from trustbench.metrics import data_leakage as L
from trustbench.metrics import data_neighbours as N

# -- row_hashes ----------------------------------------------------------------------------


def test_row_hashes_equal_rows_semantics():
    other_nan = np.array([0x7FF8000000000001], dtype=np.uint64).view(np.float64)[0]
    a = pd.DataFrame(
        {
            "x": [1.0, np.nan, -0.0, 2.5],
            "c": pd.Categorical(["u", "v", None, "u"], categories=["u", "v"]),
            "s": ["u", "v", None, "w"],
        }
    )
    b = pd.DataFrame(
        {
            "x": [1.0, other_nan, 0.0, 2.5],  # another NaN payload, +0.0
            "c": pd.Categorical(["u", "v", None, "u"], categories=["v", "u"]),  # other codes
            "s": pd.Categorical(["u", "v", np.nan, "w"]),  # text as category, NaN as missing
        }
    )
    ints = pd.DataFrame({"x": pd.array([1, None, 0, 2], dtype="Int64")})
    h = L.row_hashes(a)
    assert h.dtype == np.uint64 and h.shape == (4,)
    np.testing.assert_array_equal(h, L.row_hashes(b))
    np.testing.assert_array_equal(L.row_hashes(ints)[:3], L.row_hashes(a[["x"]])[:3])
    assert L.row_hashes(ints)[3] != L.row_hashes(a[["x"]])[3]  # 2 != 2.5
    # int 1 equals float 1.0; numeric categories hash by value
    one = pd.DataFrame({"x": [1, 2]})
    np.testing.assert_array_equal(L.row_hashes(one), L.row_hashes(one.astype(float)))
    np.testing.assert_array_equal(L.row_hashes(one), L.row_hashes(one.astype("category")))
    # a changed cell, a changed text, all differ
    assert len(set(h.tolist())) == 4
    c = a.copy()
    c.loc[3, "s"] = "W"
    assert (L.row_hashes(c) != h).tolist() == [False, False, False, True]


def test_row_hashes_column_order_matters():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 1.0, 3.0]})
    h = L.row_hashes(df)
    swapped = L.row_hashes(df[["b", "a"]])
    assert h[0] == swapped[1] and h[1] == swapped[0]  # (1, 2) vs (2, 1): same multiset, order
    assert h[0] != h[1]
    assert h[2] == swapped[2]  # (3, 3) reads the same both ways
    # the same value in another column is another row
    assert (
        L.row_hashes(pd.DataFrame({"a": [1.0], "b": [np.nan]}))[0]
        != L.row_hashes(pd.DataFrame({"a": [np.nan], "b": [1.0]}))[0]
    )


def test_row_hashes_agree_with_pandas_duplicated():
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame(
        {
            "x": rng.choice([0.0, -0.0, 1.5, np.nan], n),
            "k": rng.integers(0, 3, n),
            "s": rng.choice(np.array(["a", "b", None], dtype=object), n),
            "c": pd.Categorical(rng.choice(["p", "q"], n)),
        }
    )
    expected = df.duplicated(keep="first").to_numpy()
    mask = L.duplicate_mask(L.row_hashes(df))
    np.testing.assert_array_equal(mask, expected)
    assert (~mask).sum() == len(df.drop_duplicates())
    # distinct continuous rows: no collisions
    wide = rng.normal(size=(20000, 3))
    assert len(np.unique(L.row_hashes(wide))) == 20000


def test_row_hashes_arrays_match_frames_and_images():
    rng = np.random.default_rng(1)
    m = np.round(rng.normal(size=(50, 4)), 1)
    m[3, 2] = np.nan
    frame = pd.DataFrame(m, columns=list("abcd"))
    np.testing.assert_array_equal(L.row_hashes(m), L.row_hashes(frame))
    images = rng.random((6, 3, 9, 7)).astype(np.float32)
    images[4] = images[1]
    images[5] = images[2]
    images[5, 0, 0, 0] = np.nextafter(images[5, 0, 0, 0], np.float32(2))  # one ulp off
    h = L.row_hashes(images)
    assert h[4] == h[1] and h[5] != h[2]
    assert len(set(h.tolist())) == 5
    np.testing.assert_array_equal(h, L.row_hashes(images.astype(np.float64)))
    with pytest.raises(TrustbenchError, match="real numeric"):
        L.row_hashes(np.array([["a", "b"]]))


# -- masks on a hand-built frame -----------------------------------------------------------


@pytest.fixture
def splits():
    rows = {
        "A": (1.0, "x"),
        "B": (2.0, "y"),
        "C": (np.nan, "x"),
        "D": (1.0, None),
    }

    def frame(names):
        return pd.DataFrame([rows[k] for k in names], columns=["v", "s"])

    return frame(["A", "B", "A", "C"]), frame(["B", "D", "A", "D", "C"])


def test_duplicate_twin_and_conflict_masks_by_hand(splits):
    train, test = splits
    h_train, h_test = L.row_hashes(train), L.row_hashes(test)
    assert L.duplicate_mask(h_train).tolist() == [False, False, True, False]
    assert L.duplicate_mask(h_test).tolist() == [False, False, False, True, False]
    assert L.twin_mask(h_test, h_train).tolist() == [True, False, True, False, True]
    assert not L.twin_mask(L.row_hashes(test.iloc[[1]]), h_train).any()
    # A appears with labels 0 and 1; B, C once each
    assert L.conflicting_label_mask(h_train, np.array([0, 1, 1, 0])).tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert not L.conflicting_label_mask(h_train, np.array([0, 1, 0, 0])).any()
    labels = np.array(["no", "yes", None, "no", "no"], dtype=object)
    assert L.conflicting_label_mask(h_test, labels).tolist() == [False, True, False, True, False]
    assert L.duplicate_mask(np.zeros(0, np.uint64)).shape == (0,)
    with pytest.raises(TrustbenchError, match=r"y must have shape \(4,\)"):
        L.conflicting_label_mask(h_train, np.array([0, 1]))


# -- encoded_matrix ------------------------------------------------------------------------


def test_encoded_matrix_scaling_by_hand():
    ref = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, 5.0],  # median 3, IQR 4 - 2 = 2
            "z": [0.0, 0.0, 0.0, 0.0, 10.0],  # IQR 0: std = 4
            "k": [7.0] * 5,  # IQR and std 0: scale 1
            "cat": ["a", "b", None, "a", "b"],
        }
    )
    other = pd.DataFrame({"x": [np.nan, 7.0], "z": [4.0, 0.0], "k": [8.0, 7.0], "cat": ["c", None]})
    enc_ref, enc_other = L.encoded_matrix(
        ref, other, continuous=["x", "z", "k"], categorical=["cat"]
    )
    s = 1 / np.sqrt(2)
    # columns: x, z, k, x_missing, cat=a, cat=b, cat=missing
    np.testing.assert_allclose(enc_ref[:, 0], [-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(enc_ref[:, 1], [0.0, 0.0, 0.0, 0.0, 2.5])
    np.testing.assert_allclose(enc_ref[:, 2], 0.0)
    np.testing.assert_allclose(enc_ref[:, 3], 0.0)
    np.testing.assert_allclose(
        enc_ref[:, 4:], [[s, 0, 0], [0, s, 0], [0, 0, s], [s, 0, 0], [0, s, 0]]
    )
    np.testing.assert_allclose(enc_other, [[0.0, 1.0, 1.0, 1.0, 0, 0, 0], [2.0, 0, 0, 0, 0, 0, s]])
    # one category apart = distance 1; no missing anywhere = no indicator column
    (cats,) = L.encoded_matrix(ref, continuous=[], categorical=["cat"])
    np.testing.assert_allclose(cdist(cats[:1], cats), [[0.0, 1.0, 1.0, 0.0, 1.0]])
    (only,) = L.encoded_matrix(ref[["z"]], continuous=["z"], categorical=[])
    assert only.shape == (5, 1)
    with pytest.raises(TrustbenchError, match=r"others\[0\] lacks columns \['cat'\]"):
        L.encoded_matrix(ref, other[["x"]], continuous=["x"], categorical=["cat"])
    with pytest.raises(TrustbenchError, match="must be numeric"):
        L.encoded_matrix(ref, continuous=["cat"], categorical=[])


# -- nearest neighbours --------------------------------------------------------------------


def test_nearest_distances_equal_brute_force(monkeypatch):
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(300, 4))
    ref[10] = ref[20]  # a duplicate inside reference
    query = rng.normal(size=(257, 4))
    monkeypatch.setattr(N, "_QUERY_CHUNK", 64)  # several chunks
    np.testing.assert_allclose(N.nearest_distances(ref, query), cdist(query, ref).min(1))
    full = cdist(ref, ref)
    np.fill_diagonal(full, np.inf)
    self_distance = N.nearest_distances(ref, ref, exclude_self=True)
    np.testing.assert_allclose(self_distance, full.min(1), atol=1e-12)
    assert self_distance[10] == 0 and self_distance[20] == 0 and self_distance.min() == 0
    assert np.sort(self_distance)[2] > 0
    with pytest.raises(TrustbenchError, match="needs query to be reference"):
        N.nearest_distances(ref, query, exclude_self=True)
    with pytest.raises(TrustbenchError, match="must be finite"):
        N.nearest_distances(ref, np.full((1, 4), np.nan))


def test_near_twin_mask_flags_noised_copies_not_new_draws():
    rng = np.random.default_rng(3)
    train = rng.normal(size=(600, 5))
    train = np.vstack([train, train[:400]])  # most rows duplicated: typical must dedupe
    near = train[:100] + rng.normal(scale=1e-3, size=(100, 5))
    fresh = rng.normal(size=(100, 5))
    query = np.vstack([near, fresh, train[:5]])
    mask, typical = N.near_twin_mask(train, query, ratio=0.1)
    distinct = train[:600]
    full = cdist(distinct, distinct)
    np.fill_diagonal(full, np.inf)
    assert typical == pytest.approx(np.median(full.min(1)))
    assert mask[:100].all() and not mask[100:200].any() and mask[200:].all()
    exact, _ = N.near_twin_mask(train, query, ratio=0.0)
    assert exact.tolist() == [False] * 200 + [True] * 5
    sub_mask, sub_typical = N.near_twin_mask(train, query, ratio=0.1, max_reference=200, seed=1)
    assert N.near_twin_mask(train, query, ratio=0.1, max_reference=200, seed=1)[1] == sub_typical
    assert sub_typical > typical  # sparser subset, farther neighbours
    assert sub_mask[:100].all() and not sub_mask[100:200].any()
    with pytest.raises(TrustbenchError, match="ratio must be finite and >= 0"):
        N.near_twin_mask(train, query, ratio=-1)


# -- perceptual hashes ---------------------------------------------------------------------


def _ahash_loop(image: np.ndarray) -> int:
    gray = image.mean(axis=0)
    blocks = [
        [block.mean() for block in np.array_split(band, 8, axis=1)]
        for band in np.array_split(gray, 8, axis=0)
    ]
    bits = (np.array(blocks) > np.mean(blocks)).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def _smooth_images(rng, n, size=32):
    coarse = rng.random((n, 3, 4, 4))
    return np.kron(coarse, np.ones((1, 1, size // 4, size // 4))) * 0.6 + 0.2


def test_perceptual_hash_by_hand_and_against_a_loop():
    image = np.zeros((1, 1, 8, 8))
    image[..., :4] = 1.0  # left half bright: every row reads 11110000
    assert I.perceptual_hashes(image)[0] == np.uint64(0xF0F0F0F0F0F0F0F0)
    assert I.perceptual_hashes(image[:, 0])[0] == np.uint64(0xF0F0F0F0F0F0F0F0)  # (n, H, W)
    assert I.perceptual_hashes(np.full((1, 3, 16, 16), 0.5))[0] == 0  # equal to the mean: 0
    rng = np.random.default_rng(4)
    odd = rng.random((5, 3, 29, 19)).astype(np.float32)
    hashes = I.perceptual_hashes(odd)
    assert hashes.dtype == np.uint64
    assert hashes.tolist() == [_ahash_loop(im.astype(np.float64)) for im in odd]
    with pytest.raises(TrustbenchError, match="W >= 8"):
        I.perceptual_hashes(np.zeros((1, 1, 8, 7)))


def test_perceptual_hash_near_for_edited_copies_far_for_others():
    rng = np.random.default_rng(5)
    images = _smooth_images(rng, 20)
    noised = np.clip(images + rng.normal(scale=0.02, size=images.shape), 0, 1)
    brighter = np.clip(images + 0.1, 0, 1)
    others = rng.random((20, 3, 32, 32))
    h = I.perceptual_hashes(images.astype(np.float32))
    for edited in (noised, brighter):
        edited_h = I.perceptual_hashes(edited.astype(np.float32))
        distance = I._popcount(h ^ edited_h).astype(int)
        assert distance.max() <= 4
        np.testing.assert_array_equal(I.hamming_nearest(edited_h, h) <= 4, True)
    assert I._popcount(h ^ I.perceptual_hashes(others)).min() >= 20  # each vs an unrelated one


def test_hamming_nearest_equals_brute_force(monkeypatch):
    rng = np.random.default_rng(6)
    query = rng.integers(0, 2**64, size=37, dtype=np.uint64)
    reference = rng.integers(0, 2**64, size=50, dtype=np.uint64)
    query[:3] = reference[[4, 9, 49]]
    query[3] = reference[7] ^ np.uint64(0b1011)
    expected = [min(bin(int(q) ^ int(r)).count("1") for r in reference) for q in query]
    got = I.hamming_nearest(query, reference, chunk=8)
    assert got.dtype == np.int64
    assert got.tolist() == expected
    assert got[:4].tolist() == [0, 0, 0, 3]
    monkeypatch.delattr(np, "bitwise_count", raising=False)  # the byte lookup table
    assert I.hamming_nearest(query, reference).tolist() == expected
    with pytest.raises(TrustbenchError, match="at least one hash"):
        I.hamming_nearest(query, reference[:0])
