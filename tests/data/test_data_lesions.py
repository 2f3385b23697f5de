"""The generated lesions dataset: determinism, masks vs labels, scanners, splits, fingerprint."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_dilation

from trustbench.data import load
from trustbench.data.lesions import SCANNERS, generate_scans
from trustbench.errors import ConfigError

SMALL = {"n_samples": 240, "n_ood": 60, "size": 24}


@pytest.fixture(scope="module")
def task():
    return load("lesions", seed=3, **SMALL)


def test_same_seed_same_task_and_fingerprint(task):
    again = load("lesions", seed=3, **SMALL)
    assert again.fingerprint == task.fingerprint
    for name, split in task.splits.items():
        np.testing.assert_array_equal(again.splits[name].X, split.X)
        np.testing.assert_array_equal(again.splits[name].masks, split.masks)
    other = load("lesions", seed=4, **SMALL)
    assert other.fingerprint != task.fingerprint
    assert not np.array_equal(other.train.X, task.train.X)


def test_fingerprint_hashes_the_pixels(task):
    from trustbench.data.images import image_fingerprint

    X = np.concatenate([s.X for s in task.splits.values()])
    y = np.concatenate([s.y for s in task.splits.values()])
    import pandas as pd

    sens = pd.concat([s.sensitive for s in task.splits.values()], ignore_index=True)
    rows = {"train": np.arange(3)}
    base = image_fingerprint(X, y, sens, None, None, {}, rows)
    assert image_fingerprint(X.copy(), y, sens, None, None, {}, rows) == base
    X[0, 0, 0, 0] = np.nextafter(X[0, 0, 0, 0], np.float32(1.0))
    assert image_fingerprint(X, y, sens, None, None, {}, rows) != base


def test_contract_shapes_and_alignment(task):
    assert task.is_image and task.feature_names == ["image"]
    assert task.classes == ["healthy", "lesion"]
    assert task.sensitive_names == ["sex", "age_group"]
    ids = []
    for split in task.splits.values():
        n = len(split)
        assert split.X.shape == (n, 1, 24, 24) and split.X.dtype == np.float32
        assert split.X.min() >= 0.0 and split.X.max() <= 1.0
        assert split.masks.shape == (n, 24, 24) and split.masks.dtype == bool
        assert len(split.sensitive) == len(split.site) == len(split.row_id) == n
        ids.append(split.row_id)
    all_ids = np.concatenate(ids)
    assert len(np.unique(all_ids)) == len(all_ids) == 300
    assert set(task.train.site) | set(task.test.site) <= {"A", "B", "C"}
    assert set(task.ood.site) == {"D"} and len(task.ood) == 60
    assert task.metadata["license"].startswith("generated")


def test_positive_iff_mask_nonempty_and_lesion_is_visible():
    scans = generate_scans(0, 300, size=32)
    has_mask = scans.masks.any(axis=(1, 2))
    np.testing.assert_array_equal(has_mask, scans.y == 1)
    assert 0.3 < scans.y.mean() < 0.7
    # The lesion differs from the tissue right around it: mean over the mask vs. a ring.
    image = scans.images[:, 0]
    gaps = []
    for i in np.flatnonzero(scans.y == 1):
        mask = scans.masks[i]
        ring = binary_dilation(mask, iterations=2) & ~mask
        gaps.append((image[i][mask].mean() - image[i][ring].mean()) * np.sign(scans.contrast[i]))
    assert np.median(gaps) > 0.08
    assert np.mean(np.asarray(gaps) > 0) > 0.9


def test_scanner_changes_contrast_and_noise():
    a = generate_scans(1, 200, size=32, scanners=("A",), shares=(1.0,))
    d = generate_scans(1, 200, size=32, scanners=("D",), shares=(1.0,))
    # Same anatomy (same seed), different scanner: D has lower dynamic range and more noise.
    assert d.images.std(axis=(1, 2, 3)).mean() < a.images.std(axis=(1, 2, 3)).mean()
    diff_a = np.abs(np.diff(a.images, axis=3)).mean()
    assert np.abs(np.diff(d.images, axis=3)).mean() != pytest.approx(diff_a, rel=0.05)
    np.testing.assert_array_equal(a.y, d.y)
    assert set(SCANNERS) == {"A", "B", "C", "D"}


def test_sensitive_effects_follow_bias():
    scans = generate_scans(2, 3000, size=8, bias=1.0)
    prevalence = {g: scans.y[scans.age_group == g].mean() for g in ("<50", "50-69", "70+")}
    assert prevalence["<50"] < prevalence["50-69"] < prevalence["70+"]
    pos = scans.y == 1
    f_contrast = np.abs(scans.contrast[pos & (scans.sex == "F")]).mean()
    m_contrast = np.abs(scans.contrast[pos & (scans.sex == "M")]).mean()
    assert f_contrast == pytest.approx(0.7 * m_contrast, rel=0.1)
    flat = generate_scans(2, 3000, size=8, bias=0.0)
    f0 = np.abs(flat.contrast[(flat.y == 1) & (flat.sex == "F")]).mean()
    m0 = np.abs(flat.contrast[(flat.y == 1) & (flat.sex == "M")]).mean()
    assert f0 == pytest.approx(m0, rel=0.1)


@pytest.mark.parametrize(
    ("key", "value"), [("size", 4), ("n_samples", 2.5), ("prevalence", 1.0), ("bias", -1)]
)
def test_bad_generator_arguments_are_config_errors(key, value):
    with pytest.raises(ConfigError, match=f"dataset.{key}"):
        load("lesions", seed=0, **{**SMALL, key: value})
