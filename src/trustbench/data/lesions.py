"""``lesions``: synthetic grey-scale scans where the label is the presence of a lesion.

Everything is generated offline with numpy/scipy, deterministically from the seed; nothing
is downloaded. The generator is vectorised over images (array broadcasting and
``scipy.ndimage.gaussian_filter`` over the pixel axes); the only Python loops run over the
three vessels, the three boundary harmonics of the lesions and the four scanners.

Generation of one ``size x size`` scan (``u = size / 64`` scales pixel lengths):

1. **Anatomy.** A dark background (0.08 plus smooth noise) and an organ-like ellipse
   (centre near the middle, semi-axes 30-40 % and 24-34 % of the image, random rotation)
   with a soft boundary (logistic edge about 1.5 px wide). Inside, tissue at 0.45 plus
   low-frequency texture (Gaussian-filtered white noise, sigma ``4u`` and ``1.5u``) and
   three bright vessel-like sinusoidal lines (Gaussian cross-section, width ``0.6u-1.2u``).
2. **Lesion** (positives only). An irregular blob inside the organ: centre drawn inside
   55 % of the ellipse, base radius ``r0 ~ U(0.05, 0.10) * size`` (at least 1.5 px),
   boundary ``r(a) = r0 (1 + sum_{k=2..4} c_k cos(k a + phi_k))`` with ``c_k ~ U(0, 0.15)``.
   Its pixel mask (``d <= r(a)``) is the localisation ground truth (``Split.masks``; all
   False for negatives; the pixel nearest the centre is always in it). It adds
   ``+-contrast`` (60 % brighter, 40 % darker than tissue) with a soft edge, where
   ``contrast ~ lesion_contrast * U(0.7, 1.3)``.
3. **Scanner** (``site``). Each scan comes from one of four scanners that change gain,
   offset, gamma, blur and noise (:data:`SCANNERS`): ``x <- clip(offset + gain x) ** gamma``,
   Gaussian blur, additive Gaussian noise, clipped to ``[0, 1]``. Scanners A, B, C (40/35/25 %)
   make the train/test pool; scanner D (low contrast, strong gamma, blur and noise) is held
   out as the ``ood`` split: a new device the model never saw.

Sensitive attributes and their documented effects (scaled by ``bias``; ``bias=0`` removes
them): ``sex`` (``F``/``M``, 50/50): lesions in ``F`` scans have ``1 - 0.3 bias`` times the
contrast (harder to see, so lower sensitivity is expected for ``F``); ``age_group``
(``<50``/``50-69``/``70+``, 30/40/30 %): the lesion prevalence is ``prevalence - 0.15 bias``,
``prevalence`` and ``prevalence + 0.15 bias``.

Pixels are float32 in ``[0, 1]``, shape ``(n, 1, size, size)``. Classes ``["healthy",
"lesion"]`` (``"lesion"`` positive). Licence: generated data, no licence needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter

from trustbench.data.images import build_image_task
from trustbench.data.params import check_number
from trustbench.data.registration import dataset
from trustbench.data.task import TaskData
from trustbench.errors import ConfigError

__all__ = ["SCANNERS", "LesionScans", "generate_scans", "load_lesions"]

#: Scanner name -> (gain, offset, gamma, blur sigma in units of u, noise std).
SCANNERS: dict[str, tuple[float, float, float, float, float]] = {
    "A": (1.00, 0.00, 1.00, 0.0, 0.020),
    "B": (0.85, 0.08, 1.15, 0.5, 0.030),
    "C": (1.10, -0.03, 0.90, 0.0, 0.045),
    "D": (0.70, 0.15, 1.50, 1.0, 0.060),
}
POOL_SCANNERS = ("A", "B", "C")
POOL_SHARES = (0.40, 0.35, 0.25)
OOD_SCANNER = "D"
AGE_GROUPS = ("<50", "50-69", "70+")
AGE_SHARES = (0.3, 0.4, 0.3)
AGE_PREVALENCE_SHIFT = (-0.15, 0.0, 0.15)
SEX_CONTRAST_DROP = 0.3
CLASSES = ["healthy", "lesion"]


@dataclass
class LesionScans:
    """Generated scans and everything known about them (one row per scan)."""

    images: np.ndarray  # (n, 1, size, size) float32 in [0, 1]
    masks: np.ndarray  # (n, size, size) bool
    y: np.ndarray  # (n,) int64, 1 = lesion
    sex: np.ndarray  # (n,) object
    age_group: np.ndarray  # (n,) object
    scanner: np.ndarray  # (n,) object
    contrast: np.ndarray  # (n,) signed lesion contrast (0 for negatives)


def _smooth_noise(rng: np.random.Generator, n: int, size: int, sigma: float) -> np.ndarray:
    """White noise low-pass filtered over the pixel axes, scaled to unit standard deviation."""
    field = gaussian_filter(
        rng.standard_normal((n, size, size)).astype(np.float32), (0, sigma, sigma)
    )
    return field / np.maximum(field.std(axis=(1, 2), keepdims=True), 1e-6)


def _anatomy(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, tuple]:
    """Lesion-free scans ``(n, size, size)`` and the organ ellipses (centre, axes, angle)."""
    u = size / 64.0
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    f4 = np.float32
    cy = (size / 2 + rng.normal(0, 2 * u, n)).astype(f4)
    cx = (size / 2 + rng.normal(0, 2 * u, n)).astype(f4)
    a = (rng.uniform(0.30, 0.40, n) * size).astype(f4)
    b = (rng.uniform(0.24, 0.34, n) * size).astype(f4)
    theta = rng.uniform(0, np.pi, n).astype(f4)
    dx, dy = xx - cx[:, None, None], yy - cy[:, None, None]
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    r = np.sqrt(
        ((dx * cos + dy * sin) / a[:, None, None]) ** 2
        + ((-dx * sin + dy * cos) / b[:, None, None]) ** 2
    )
    edge = np.minimum(a, b)[:, None, None] / 1.5
    organ = 1.0 / (1.0 + np.exp(-np.clip((1.0 - r) * edge, -30, 30)))
    tissue = (
        0.45
        + 0.08 * _smooth_noise(rng, n, size, 4 * u)
        + 0.04 * _smooth_noise(rng, n, size, 1.5 * u)
    )
    background = 0.08 + 0.03 * _smooth_noise(rng, n, size, 6 * u)
    vessels = np.zeros((n, size, size), dtype=np.float32)
    for _ in range(3):
        base = (size / 2 + rng.uniform(-0.3, 0.3, n) * size).astype(f4)[:, None, None]
        amp = (rng.uniform(0.05, 0.15, n) * size).astype(f4)[:, None, None]
        freq = (rng.uniform(0.5, 2.0, n) * 2 * np.pi / size).astype(f4)[:, None, None]
        phase = rng.uniform(0, 2 * np.pi, n).astype(f4)[:, None, None]
        width = (rng.uniform(0.6, 1.2, n) * max(u, 0.5)).astype(f4)[:, None, None]
        dist = (yy - (base + amp * np.sin(freq * xx + phase))) / width
        vessels += f4(0.12) * np.exp(f4(-0.5) * dist * dist)
    scan = background * (1 - organ) + (tissue + vessels) * organ
    return scan.astype(np.float32), (cy, cx, a, b, theta)


def _lesions(
    rng: np.random.Generator, ellipse: tuple, y: np.ndarray, contrast: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Additive lesion layers ``(n, size, size)`` and their masks (empty where ``y == 0``)."""
    n = len(y)
    cy, cx, a, b, theta = ellipse
    rho = np.sqrt(rng.uniform(0, 1, n)) * 0.55
    phi = rng.uniform(0, 2 * np.pi, n)
    ex, ey = rho * a * np.cos(phi), rho * b * np.sin(phi)
    ly = cy + ex * np.sin(theta) + ey * np.cos(theta)
    lx = cx + ex * np.cos(theta) - ey * np.sin(theta)
    r0 = np.maximum(rng.uniform(0.05, 0.10, n) * size, 1.5)
    coef = rng.uniform(0, 0.15, (n, 3))
    phases = rng.uniform(0, 2 * np.pi, (n, 3))
    rows = np.flatnonzero(y == 1)
    masks = np.zeros((n, size, size), dtype=bool)
    layer = np.zeros((n, size, size), dtype=np.float32)
    if len(rows) == 0:
        return layer, masks
    f4 = np.float32
    yy, xx = np.mgrid[0:size, 0:size].astype(f4)
    dy = yy - ly[rows].astype(f4)[:, None, None]
    dx = xx - lx[rows].astype(f4)[:, None, None]
    dist = np.sqrt(dx * dx + dy * dy)
    angle = np.arctan2(dy, dx)
    coef, phases = coef[rows].astype(f4), phases[rows].astype(f4)
    wobble = sum(
        coef[:, k, None, None] * np.cos((k + 2) * angle + phases[:, k, None, None])
        for k in range(3)
    )
    radius = r0[rows].astype(f4)[:, None, None] * (1 + wobble)
    inside = dist <= radius
    cy_px = np.clip(np.rint(ly[rows]).astype(int), 0, size - 1)
    cx_px = np.clip(np.rint(lx[rows]).astype(int), 0, size - 1)
    inside[np.arange(len(rows)), cy_px, cx_px] = True
    soft = 1 / (1 + np.exp(np.clip((dist - radius) / f4(0.5), -30, 30)))
    soft = np.maximum(soft, inside)  # every mask pixel carries the full lesion signal
    masks[rows] = inside
    layer[rows] = contrast[rows].astype(f4)[:, None, None] * soft
    return layer, masks


def _scanner(
    rng: np.random.Generator, scans: np.ndarray, scanner: np.ndarray, size: int
) -> np.ndarray:
    """Apply each row's scanner: gain/offset, gamma, blur, noise; clipped to [0, 1]."""
    u = size / 64.0
    out = np.empty_like(scans)
    noise = rng.standard_normal(scans.shape).astype(np.float32)
    for name, (gain, offset, gamma, blur, sd) in SCANNERS.items():
        rows = scanner == name
        if not rows.any():
            continue
        x = np.clip(offset + gain * scans[rows], 0.0, 1.0) ** gamma
        if blur > 0:
            x = gaussian_filter(x, (0, blur * u, blur * u))
        out[rows] = x + sd * noise[rows]
    return np.clip(out, 0.0, 1.0)


def generate_scans(
    seed: int | np.random.SeedSequence,
    n: int,
    *,
    size: int = 64,
    scanners: tuple[str, ...] = POOL_SCANNERS,
    shares: tuple[float, ...] = POOL_SHARES,
    prevalence: float = 0.5,
    lesion_contrast: float = 0.25,
    bias: float = 1.0,
) -> LesionScans:
    """Generate ``n`` scans (see the module docstring for the process).

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        Seed of the generator; the same seed gives the same scans.
    n : int
        Number of scans.
    size : int
        Height and width in pixels.
    scanners, shares : tuple
        Scanner names (keys of :data:`SCANNERS`) and the share of scans from each.
    prevalence : float
        Lesion prevalence of the middle age group.
    lesion_contrast : float
        Mean absolute lesion contrast (intensity units, before the scanner).
    bias : float
        Strength of the sensitive-attribute effects (0 = none).

    Returns
    -------
    LesionScans
    """
    rng = np.random.default_rng(seed)
    scanner = np.asarray(scanners, dtype=object)[rng.choice(len(scanners), n, p=shares)]
    sex = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
    age_idx = rng.choice(len(AGE_GROUPS), n, p=AGE_SHARES)
    age_group = np.asarray(AGE_GROUPS, dtype=object)[age_idx]
    p = np.clip(prevalence + bias * np.asarray(AGE_PREVALENCE_SHIFT)[age_idx], 0.02, 0.98)
    y = (rng.random(n) < p).astype(np.int64)
    sign = np.where(rng.random(n) < 0.6, 1.0, -1.0)
    strength = lesion_contrast * rng.uniform(0.7, 1.3, n)
    strength *= np.where(sex == "F", max(1.0 - SEX_CONTRAST_DROP * bias, 0.2), 1.0)
    contrast = (sign * strength * y).astype(np.float32)
    scans, ellipse = _anatomy(rng, n, size)
    layer, masks = _lesions(rng, ellipse, y, contrast, size)
    images = _scanner(rng, scans + layer, scanner, size)
    return LesionScans(
        images=images[:, None].astype(np.float32),
        masks=masks,
        y=y,
        sex=sex,
        age_group=age_group,
        scanner=scanner,
        contrast=contrast,
    )


@dataset("lesions", image=True)
def load_lesions(
    *,
    seed: int = 0,
    n_samples: int = 1500,
    n_ood: int = 400,
    size: int = 64,
    prevalence: float = 0.5,
    lesion_contrast: float = 0.25,
    bias: float = 1.0,
    test_size: float = 0.3,
) -> TaskData:
    """Synthetic lesion-detection scans (module docstring): train/test from scanners A-C,
    ``ood`` from the held-out scanner D.

    Parameters
    ----------
    seed : int
        Seed of the generator and of the train/test split.
    n_samples : int
        Scans from scanners A, B, C (split into train and test).
    n_ood : int
        Scans from scanner D (the ``ood`` split); 0 for none.
    size : int
        Image height and width in pixels (at least 8).
    prevalence : float
        Lesion prevalence of the ``50-69`` age group, in (0, 1).
    lesion_contrast : float
        Mean absolute lesion contrast, in intensity units.
    bias : float
        Strength of the documented sex/age effects (0 = none).
    test_size : float
        Fraction of the A-C scans in ``test``.

    Returns
    -------
    TaskData
        One ``image`` feature, ``sensitive`` = ``sex``, ``age_group``; ``site`` = scanner;
        ``masks`` = lesion pixels.
    """
    check_number("seed", seed, low=0, integer=True)
    n_samples = int(check_number("n_samples", n_samples, low=10, integer=True))
    n_ood = int(check_number("n_ood", n_ood, low=0, integer=True))
    size = int(check_number("size", size, low=8, integer=True))
    lesion_contrast = check_number("lesion_contrast", lesion_contrast, low=0.0)
    bias = check_number("bias", bias, low=0.0)
    if not 0.0 < check_number("prevalence", prevalence, low=0.0) < 1.0:
        raise ConfigError(f"dataset.prevalence: expected a value in (0, 1), got {prevalence!r}.")
    options = dict(
        size=size, prevalence=float(prevalence), lesion_contrast=lesion_contrast, bias=bias
    )
    pool = generate_scans(np.random.SeedSequence([int(seed), 0]), n_samples, **options)
    parts = [pool]
    if n_ood:
        parts.append(
            generate_scans(
                np.random.SeedSequence([int(seed), 1]),
                n_ood,
                scanners=(OOD_SCANNER,),
                shares=(1.0,),
                **options,
            )
        )

    def cat(field: str) -> np.ndarray:
        return np.concatenate([getattr(p, field) for p in parts])

    sensitive = pd.DataFrame({"sex": cat("sex"), "age_group": cat("age_group")})
    metadata = {
        "source": "generated by trustbench.data.lesions.load_lesions",
        "license": "generated data (no licence needed)",
        "generator": {"n_samples": n_samples, "n_ood": n_ood, **options},
        "scanners": {
            k: dict(zip(("gain", "offset", "gamma", "blur", "noise"), v, strict=True))
            for k, v in SCANNERS.items()
        },
        "sensitive_effects": f"sex F: lesion contrast x {1 - SEX_CONTRAST_DROP * bias:g}; "
        f"age_group prevalence shift {[round(bias * s, 3) for s in AGE_PREVALENCE_SHIFT]}",
        "card": {
            "attribution": "trustbench (generated data)",
            "collection": "generated by trustbench, deterministically from the seed: "
            "synthetic grey-scale scans (organ, texture, vessels, optional lesion, scanner "
            "effects); no patients, no personal information",
            "target_definition": "lesion = 1 when a lesion was drawn into the scan (its pixels "
            "are the localisation mask)",
            "sensitive_attributes": ["sex", "age_group"],
            "sites": {
                "A": "scanner A (train/test pool)",
                "B": "scanner B (train/test pool)",
                "C": "scanner C (train/test pool)",
                "D": "scanner D, held out as the ood split",
            },
            "known_limitations": "synthetic images from a simple generative process: results "
            "say how methods behave on data with known ground truth, not how they do on real "
            "scans",
            "intended_use": "Testing explanation localisation, fairness and shift measurements "
            "against a known ground truth",
            "composition.instances": "generated scans",
            "composition.count": n_samples + n_ood,
            "composition.label": "lesion present (1) or not (0), with its pixel mask",
            "composition.missing_data": "none",
            "composition.confidential": "none: generated data",
            "collection_process.acquisition": "generated by trustbench.data.lesions."
            "generate_scans (no real data)",
            "collection_process.consent": "not applicable: no people",
            "preprocessing.software": "trustbench.data.lesions.load_lesions",
            "uses.unsuitable_tasks": "any claim about real patients or scanners",
            "distribution.how": "generated on demand by trustbench",
            "maintenance.maintainer": "trustbench",
            "rai:dataCollectionType": "Software Collection (generated)",
            "rai:personalSensitiveInformation": "none: generated data; sex and age_group are "
            "simulated attributes",
            "rai:dataBiases": "built in on purpose: "
            f"sex F: lesion contrast x {1 - SEX_CONTRAST_DROP * bias:g}; age_group prevalence "
            f"shift {[round(bias * s, 3) for s in AGE_PREVALENCE_SHIFT]}",
            "rai:annotationsPerItem": "1 (generated, exact)",
            "rai:dataAnnotationProtocol": "labels and masks come from the generator (exact)",
        },
    }
    return build_image_task(
        cat("images"),
        cat("y"),
        name="lesions",
        classes=CLASSES,
        target="lesion",
        sensitive=sensitive,
        site=cat("scanner"),
        masks=cat("masks"),
        ood_rows=np.arange(n_samples, n_samples + n_ood) if n_ood else None,
        ood_text=f"held-out scanner {OOD_SCANNER} ({n_ood} scans; lower contrast, gamma 1.5, "
        "blur and more noise)"
        if n_ood
        else "none",
        test_size=test_size,
        seed=int(seed),
        metadata=metadata,
    )
