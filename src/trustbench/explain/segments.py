"""Image features for model-agnostic explainers: square patches of pixels."""

from __future__ import annotations

import numpy as np


def patch_segments(height: int, width: int, patch: int) -> np.ndarray:
    """``(H, W)`` int map: the index of the ``patch x patch`` square each pixel belongs to
    (row-major; edge patches are smaller when ``patch`` does not divide the size)."""
    patch = max(1, int(patch))
    rows = np.arange(height) // patch
    cols = np.arange(width) // patch
    n_cols = int(cols.max()) + 1
    return rows[:, None] * n_cols + cols[None, :]


def default_patch(height: int, width: int) -> int:
    """Patch side giving about an 8 x 8 grid (64 features): ``max(1, min(H, W) // 8)``."""
    return max(1, min(height, width) // 8)


def to_pixels(values: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Spread per-segment values ``(n, d)`` over their pixels ``(n, H, W)``, divided by the
    segment area so that a map sums to the same total as its segment values."""
    area = np.bincount(segments.reshape(-1))
    return (values / area[None, :])[:, segments]


def sliding_windows(height: int, width: int, patch: int, stride: int) -> np.ndarray:
    """``(n_windows, H * W)`` bool: the pixels of each ``patch x patch`` window, moved by
    ``stride`` (row-major), at the positions Captum's ``Occlusion`` uses:
    ``ceil((size - patch) / stride) + 1`` per axis, the last one cut at the image border, so
    every pixel is covered."""
    patch, stride = max(1, int(patch)), max(1, int(stride))
    if patch > min(height, width):
        raise ValueError(
            f"explainer option patch={patch} is larger than the {height}x{width} image"
        )
    rows = [k * stride for k in range(-(-(height - patch) // stride) + 1)]
    cols = [k * stride for k in range(-(-(width - patch) // stride) + 1)]
    windows = np.zeros((len(rows) * len(cols), height, width), dtype=bool)
    for k, (r, c) in enumerate((r, c) for r in rows for c in cols):
        windows[k, r : r + patch, c : c + patch] = True
    return windows.reshape(len(windows), -1)
