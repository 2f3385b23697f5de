"""OpenXAI's neighbourhood for PGI/PGU: noisy copies of the explained rows on chosen features.

OpenXAI (Agarwal et al. 2022, ``NormalPerturbation``) perturbs the chosen features of a row,
whose columns it has min-max scaled to [0, 1], by adding ``N(0, 0.05^2)`` to continuous
features and flipping discrete ones with probability 0.3; the other features stay as they are.
Here the data are not rescaled, so the same perturbation is written in the data's own units:
a continuous column gets ``N(0, (noise * range)^2)`` with ``range`` its train max - min (the
scale OpenXAI's 0.05 refers to), a categorical column takes, with probability ``flip``, another
of its train categories chosen uniformly (OpenXAI's one-hot "flip to another column"). Missing
values stay missing. Pixels are already in [0, 1]: they get ``N(0, noise^2)`` and are clipped
back to [0, 1], the image contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from trustbench.data.task import TaskData

__all__ = ["ExplainedRowsLike", "FeatureScales", "feature_scales", "neighbours"]


class ExplainedRowsLike(Protocol):
    """What :func:`neighbours` reads of the explained rows (the explainability suite's
    ``ExplainedRows``): ``len(rows)``, ``rows.image``, ``rows.X`` and ``rows.head(n)``."""

    X: Any
    image: bool

    def __len__(self) -> int: ...

    def head(self, m: int) -> Any: ...


@dataclass(frozen=True)
class FeatureScales:
    """Train ranges of continuous columns and train categories of categorical ones."""

    ranges: dict[str, float]
    categories: dict[str, np.ndarray]


def feature_scales(task: TaskData) -> FeatureScales | None:
    """The scales :func:`neighbours` perturbs in (None for image tasks: pixels are in [0, 1])."""
    if task.is_image:
        return None
    X = task.train.X
    ranges = {}
    for name in task.features_of_kind("continuous"):
        values = pd.to_numeric(X[name], errors="coerce")
        spread = float(values.max() - values.min()) if values.notna().any() else 0.0
        ranges[name] = spread if np.isfinite(spread) else 0.0
    categories = {
        name: np.asarray(pd.unique(X[name].dropna()))
        for name in task.features_of_kind("categorical")
    }
    return FeatureScales(ranges, categories)


def neighbours(
    rows: ExplainedRowsLike,
    chosen: np.ndarray,
    samples: int,
    noise: float,
    flip: float,
    scales: FeatureScales | None,
    seed: int,
):
    """``samples`` copies of every explained row (copy-major) with the ``chosen`` features perturbed.

    Parameters
    ----------
    rows : the explained rows (``n`` of them, ``d`` features or pixels)
    chosen : bool array (n, d)
        Which features of each row are perturbed (the others keep their value).
    samples : int
        Copies per row.
    noise : float
        Gaussian standard deviation, as a fraction of a column's train range (pixels: absolute).
    flip : float
        Probability that a chosen categorical value is replaced by another category.
    scales : FeatureScales or None
        From :func:`feature_scales` (None for images).
    seed : int

    Returns
    -------
    DataFrame or ndarray with ``samples * n`` rows, what the model takes.
    """
    rng = np.random.default_rng([int(seed), 53])
    n = len(rows)
    chosen = np.asarray(chosen, dtype=bool)
    if rows.image:
        x = rows.X  # (n, C, H, W); chosen is per pixel, shared by the channels
        pixel = chosen.reshape(n, 1, *x.shape[2:])
        eps = rng.normal(0.0, noise, size=(samples, *x.shape)).astype(x.dtype)
        out = np.clip(x[None] + np.where(pixel[None], eps, 0), 0.0, 1.0)
        return out.reshape(samples * n, *x.shape[1:]).astype(x.dtype, copy=False)
    if scales is None:
        raise ValueError("neighbours: tabular rows need scales from feature_scales(task); got None")
    X = rows.head(n)
    big = pd.concat([X] * samples, ignore_index=True)
    for j, column in enumerate(X.columns):
        on = np.tile(chosen[:, j], samples)  # (samples * n,)
        if not on.any():
            continue
        if column in scales.ranges:
            values = pd.to_numeric(big[column], errors="coerce").to_numpy(dtype=float)
            step = rng.normal(0.0, noise * scales.ranges[column], size=len(values))
            new = np.where(on, values + step, values)
            big[column] = new.astype(X[column].dtype) if X[column].dtype.kind == "f" else new
        elif column in scales.categories and len(scales.categories[column]) > 1:
            big[column] = _flip(big[column], on, scales.categories[column], flip, rng)
    return big


def _flip(values: pd.Series, on: np.ndarray, categories: np.ndarray, flip: float, rng) -> pd.Series:
    """With probability ``flip``, each chosen non-missing value becomes another category."""
    current = values.to_numpy(dtype=object)
    flips = on & values.notna().to_numpy() & (rng.random(len(values)) < flip)
    if not flips.any():
        return values
    k = len(categories)
    position = {c: i for i, c in enumerate(categories.tolist())}
    index = np.array([position.get(v, -1) for v in current[flips]])
    # another category, uniformly: shift by 1..k-1 (an unseen value may become any category)
    shift = rng.integers(1, k, size=len(index))
    new_index = np.where(index >= 0, (index + shift) % k, rng.integers(0, k, size=len(index)))
    out = current.copy()
    out[flips] = categories[new_index]
    return pd.Series(out, index=values.index).astype(values.dtype)
