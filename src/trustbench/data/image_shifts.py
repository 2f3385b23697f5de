"""Synthetic corruptions of image batches, at a chosen severity (corruption robustness).

The image counterparts of :mod:`trustbench.data.shifts`, used by the generalization suite
on image tasks (``suite.generalization.shifts.kinds``), in the spirit of ImageNet-C
(Hendrycks and Dietterich, 2019) with a continuous severity ``s >= 0``:

``noise``
    Additive Gaussian noise ``N(0, (s * sd_train)^2)`` on every pixel, where ``sd_train`` is
    the standard deviation of all training pixels (the tabular ``noise`` shift uses each
    feature's train SD in the same way).
``blur``
    Gaussian blur of every channel with ``sigma = s`` pixels (``scipy.ndimage``, reflecting
    borders).
``contrast``
    Contrast reduction towards each image's mean: ``x' = m + (x - m) / (1 + s)``.

Every result is clipped to ``[0, 1]`` (a valid image); ``s = 0`` returns the images unchanged.
All functions are vectorised over the batch.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from trustbench.errors import DataError

__all__ = ["IMAGE_SHIFT_KINDS", "blur", "contrast", "corrupt", "pixel_noise"]

IMAGE_SHIFT_KINDS = ("noise", "blur", "contrast")


def _severity(severity: float, kind: str) -> float:
    s = float(severity)
    if not np.isfinite(s) or s < 0:
        raise DataError(f"{kind} shift: severity must be a finite number >= 0, got {severity!r}")
    return s


def pixel_noise(images: np.ndarray, severity: float, train_sd: float, seed: int) -> np.ndarray:
    """``clip(x + N(0, (s * train_sd)^2))`` drawn from ``default_rng([seed, 7919])``."""
    s = _severity(severity, "noise")
    rng = np.random.default_rng([int(seed), 7919])
    noise = rng.standard_normal(images.shape).astype(np.float32) * np.float32(s * train_sd)
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


def blur(images: np.ndarray, severity: float) -> np.ndarray:
    """Gaussian blur of sigma ``s`` pixels over height and width (each channel separately)."""
    s = _severity(severity, "blur")
    if s == 0:
        return images.astype(np.float32, copy=True)
    out = gaussian_filter(images.astype(np.float32), (0, 0, s, s), mode="reflect")
    return np.clip(out, 0.0, 1.0)


def contrast(images: np.ndarray, severity: float) -> np.ndarray:
    """``m + (x - m) / (1 + s)`` with ``m`` the mean of each image (over channels and pixels)."""
    s = _severity(severity, "contrast")
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip(mean + (images - mean) / np.float32(1.0 + s), 0.0, 1.0).astype(np.float32)


def corrupt(
    images: np.ndarray, kind: str, severity: float, train: np.ndarray, seed: int
) -> np.ndarray:
    """Apply the corruption ``kind`` (one of :data:`IMAGE_SHIFT_KINDS`) at ``severity``.

    Parameters
    ----------
    images : numpy.ndarray
        ``(n, C, H, W)`` float32 in [0, 1].
    kind : str
        ``"noise"``, ``"blur"`` or ``"contrast"``.
    severity : float
        ``s >= 0`` (see the module docstring).
    train : numpy.ndarray
        The training images (their pixel SD scales ``noise``).
    seed : int
        Seed of the noise.

    Returns
    -------
    numpy.ndarray
        The corrupted images, float32 in [0, 1].
    """
    if kind == "noise":
        return pixel_noise(images, severity, float(np.std(train)), seed)
    if kind == "blur":
        return blur(images, severity)
    if kind == "contrast":
        return contrast(images, severity)
    raise DataError(f"image shift: expected one of {list(IMAGE_SHIFT_KINDS)}, got {kind!r}")
