"""``digits``: scikit-learn's bundled handwritten digits as a real 10-class image task.

1797 grey-scale 8x8 images (``sklearn.datasets.load_digits``, bundled with scikit-learn, so
nothing is downloaded): a copy of the test set of the UCI "Optical Recognition of
Handwritten Digits" data (Alpaydin and Kaynak, 1998; CC BY 4.0; shipped under
scikit-learn's BSD-3-Clause licence). Pixels (counts 0..16) are divided by 16 to lie in
``[0, 1]``; shape ``(n, 1, 8, 8)``. Classes ``"0" .. "9"``.

No sensitive attribute (fairness is not applicable), no site and no localisation masks.

``ood``: the writers are not recorded in this copy, so a writer hold-out is impossible.
Instead a stratified ``ood_fraction`` of the images is held out (never in train or test)
and corrupted as if scanned by a worse device: Gaussian blur of ``ood_blur`` pixels, then
additive Gaussian noise of standard deviation ``ood_noise``, clipped to ``[0, 1]``; the
noise is drawn from ``numpy.random.default_rng([seed, 2])``.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits as _sklearn_digits
from sklearn.model_selection import train_test_split

from trustbench.data.images import build_image_task
from trustbench.data.params import check_number
from trustbench.data.registration import dataset
from trustbench.data.task import TaskData
from trustbench.errors import ConfigError

__all__ = ["corrupt", "load_digits"]


def corrupt(images: np.ndarray, blur: float, noise: float, seed: int) -> np.ndarray:
    """Blur (``sigma = blur`` pixels) then add ``N(0, noise^2)`` noise; clipped to [0, 1].

    Parameters
    ----------
    images : numpy.ndarray
        ``(n, C, H, W)`` float32 in [0, 1].
    blur, noise : float
        Blur sigma in pixels and noise standard deviation (0 turns either off).
    seed : int
        Seed of the noise (``default_rng([seed, 2])``).

    Returns
    -------
    numpy.ndarray
        The corrupted images, float32, same shape.
    """
    out = images.astype(np.float32)
    if blur > 0:
        out = gaussian_filter(out, (0, 0, blur, blur))
    if noise > 0:
        rng = np.random.default_rng([int(seed), 2])
        out = out + noise * rng.standard_normal(out.shape).astype(np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


@dataset("digits", image=True)
def load_digits(
    *,
    seed: int = 0,
    test_size: float = 0.3,
    ood_fraction: float = 0.2,
    ood_blur: float = 0.5,
    ood_noise: float = 0.1,
) -> TaskData:
    """scikit-learn's 8x8 handwritten digits (module docstring).

    Parameters
    ----------
    seed : int
        Seed of the ood hold-out, the train/test split and the corruption noise.
    test_size : float
        Fraction of the non-ood images in ``test``.
    ood_fraction : float
        Fraction of all images held out (stratified) and corrupted as ``ood``; 0 for none.
    ood_blur : float
        Gaussian blur sigma (pixels) of the ``ood`` images.
    ood_noise : float
        Standard deviation of the additive noise on the ``ood`` images.

    Returns
    -------
    TaskData
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ConfigError(f"dataset.seed: expected an integer >= 0, got {seed!r}.")
    ood_fraction = check_number("ood_fraction", ood_fraction, low=0.0, high=0.5)
    ood_blur = check_number("ood_blur", ood_blur, low=0.0, high=8.0)
    ood_noise = check_number("ood_noise", ood_noise, low=0.0, high=1.0)
    bunch = _sklearn_digits()
    images = (bunch.images[:, None] / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    ood_rows = None
    text = "none"
    if ood_fraction > 0:
        rows = np.arange(len(y))
        _, ood_rows = train_test_split(
            rows, test_size=ood_fraction, random_state=int(seed), stratify=y
        )
        ood_rows = np.sort(ood_rows)
        images[ood_rows] = corrupt(images[ood_rows], ood_blur, ood_noise, int(seed))
        text = (
            f"{len(ood_rows)} held-out images (stratified {ood_fraction:g}) with Gaussian blur "
            f"sigma {ood_blur:g} px and Gaussian noise sd {ood_noise:g}"
        )
    metadata = {
        "source": "scikit-learn bundled copy of the test set of the UCI Optical Recognition of "
        "Handwritten Digits data (Alpaydin and Kaynak, 1998), sklearn.datasets.load_digits",
        "doi": "10.24432/C50P49",
        "license": "CC BY 4.0 (UCI); distributed with scikit-learn (BSD-3-Clause)",
        "target_definition": "the digit written (0-9)",
        "card": {
            "attribution": "scikit-learn, sklearn/datasets/descr/digits.rst (creator E. Alpaydin)",
            "citation": "Alpaydin, E., & Kaynak, C. (1998). Optical Recognition of Handwritten "
            "Digits [Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C50P49",
            "collection": "Handwritten digits on preprinted forms, extracted as normalized "
            "32x32 bitmaps with NIST's preprocessing programs and reduced to 8x8 counts of on "
            "pixels (0..16) in 4x4 blocks; this copy is the UCI test set (13 writers)",
            "sensitive_attributes": [],
            "sites": {},
            "known_limitations": "8x8 low-resolution images; the writers are not recorded, so "
            "no writer hold-out is possible and the ood split is a synthetic corruption (blur "
            "and noise); not medical images",
            "intended_use": "Benchmarking trustworthy ML on a small real multiclass image task "
            "(explanations, calibration, robustness to corruption)",
            "motivation.creators": "E. Alpaydin and C. Kaynak",
            "composition.instances": "8x8 grey-scale images of handwritten digits",
            "composition.count": 1797,
            "composition.label": "the digit written, 10 classes 0-9",
            "composition.missing_data": "none (Missing Attribute Values: None)",
            "composition.sensitive_subpopulations": "none recorded",
            "collection_process.collectors": "43 people wrote the UCI data: 30 for its training "
            "set and 13 others for its test set (this copy)",
            "preprocessing.cleaning": "NIST preprocessing to normalized 32x32 bitmaps, then 4x4 "
            "block counts (8x8, 0..16); trustbench divides the counts by 16",
            "preprocessing.software": "trustbench.data.digits.load_digits "
            "(sklearn.datasets.load_digits)",
            "uses.prior_uses": "a standard machine-learning benchmark, bundled with scikit-learn",
            "distribution.how": "the copy bundled with scikit-learn (no download)",
            "distribution.restrictions": "CC BY 4.0 (UCI); scikit-learn's BSD-3-Clause licence",
            "maintenance.maintainer": "UCI Machine Learning Repository (original data); "
            "scikit-learn (bundled copy)",
            "rai:personalSensitiveInformation": "none (handwriting; writers not identified)",
        },
    }
    return build_image_task(
        images,
        y,
        name="digits",
        classes=[str(k) for k in range(10)],
        target="digit",
        ood_rows=ood_rows,
        ood_text=text,
        test_size=test_size,
        seed=int(seed),
        metadata=metadata,
    )
