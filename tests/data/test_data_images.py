"""Image tasks: input validation, the digits loader and the image corruptions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits as sk_digits

from trustbench.data import load
from trustbench.data.image_shifts import blur, contrast, corrupt, pixel_noise
from trustbench.data.images import build_image_task
from trustbench.errors import DataError


def _images(n: int = 20, size: int = 6) -> np.ndarray:
    return np.random.default_rng(0).random((n, 1, size, size), dtype=np.float32)


Y = np.arange(20) % 2


@pytest.mark.parametrize(
    ("X", "masks", "match"),
    [
        (
            _images()[:, 0],
            None,
            r"^X: expected an image array of shape \(n, channels, height, width\), got 3 dimension",
        ),
        (
            np.where(np.arange(720).reshape(20, 1, 6, 6) == 5, np.nan, 0.5),
            None,
            r"^X: expected finite pixels, got 1 NaN",
        ),
        (_images() * 255, None, r"^X: expected pixel values in \[0, 1\], got values in"),
        (
            _images(),
            np.zeros((20, 5, 6), dtype=bool),
            r"^masks: expected shape \(n, height, width\) = \(20, 6, 6\)",
        ),
        (_images(), np.full((20, 6, 6), 0.5), r"^masks: expected boolean"),
    ],
)
def test_bad_image_input_is_a_one_line_data_error(X, masks, match):
    with pytest.raises(DataError, match=match) as info:
        build_image_task(X, Y, name="t", classes=["a", "b"], masks=masks)
    assert "\n" not in str(info.value)


def test_misaligned_rows_and_labels_are_data_errors():
    with pytest.raises(DataError, match=r"^y: expected 20 rows"):
        build_image_task(_images(), Y[:-1], name="t", classes=["a", "b"])
    with pytest.raises(DataError, match=r"^site: expected 20 rows"):
        build_image_task(_images(), Y, name="t", classes=["a", "b"], site=["s"] * 3)
    with pytest.raises(DataError, match=r"^y: expected class indices in 0..1"):
        build_image_task(_images(), Y + 1, name="t", classes=["a", "b"])


def test_digits_is_the_bundled_data_scaled_with_a_corrupted_ood():
    task = load("digits", seed=0)
    reference = sk_digits()
    assert task.classes == [str(k) for k in range(10)] and task.sensitive_names == []
    assert task.metadata["split_sizes"] == {"train": 1005, "test": 432, "ood": 360}
    assert task.train.masks is None and task.train.site is None
    # Clean splits are exactly the bundled pixels / 16, in row order of row_id.
    np.testing.assert_array_equal(task.test.X[:, 0], reference.images[task.test.row_id] / 16.0)
    np.testing.assert_array_equal(task.test.y, reference.target[task.test.row_id])
    clean = (reference.images[task.ood.row_id][:, None] / 16.0).astype(np.float32)
    assert np.abs(task.ood.X - clean).mean() > 0.03
    assert np.bincount(task.ood.y).min() >= 30  # stratified
    assert "BSD-3-Clause" in task.metadata["license"]
    assert load("digits", seed=0).fingerprint == task.fingerprint


def test_contrast_is_the_hand_computed_formula():
    x = np.array([0.2, 0.4, 0.6, 1.0], dtype=np.float32).reshape(1, 1, 2, 2)
    # mean 0.55; s = 1 halves every distance to the mean.
    expected = np.array([0.375, 0.475, 0.575, 0.775]).reshape(1, 1, 2, 2)
    np.testing.assert_allclose(contrast(x, 1.0), expected, rtol=1e-6)
    np.testing.assert_allclose(contrast(x, 0.0), x)


def test_blur_matches_scipy_and_noise_has_the_requested_sd():
    x = _images(4, 16)
    np.testing.assert_allclose(blur(x, 1.5), gaussian_filter(x, (0, 0, 1.5, 1.5)), rtol=1e-6)
    mid = np.full((50, 1, 32, 32), 0.5, dtype=np.float32)
    noisy = pixel_noise(mid, 2.0, 0.02, seed=0)
    assert np.std(noisy - mid) == pytest.approx(0.04, rel=0.03)
    np.testing.assert_array_equal(pixel_noise(mid, 2.0, 0.02, seed=0), noisy)
    with pytest.raises(DataError, match="image shift"):
        corrupt(mid, "rotate", 1.0, mid, 0)
    with pytest.raises(DataError, match="severity must be a finite number >= 0"):
        blur(mid, -1.0)
