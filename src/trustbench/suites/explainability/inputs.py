"""What the explainability suite feeds its metrics: explained rows, baselines, perturbations,
randomised models. No metric math here (that lives in ``trustbench.metrics.explain_*``)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustbench.data.task import TaskData
from trustbench.explain import feature_baseline
from trustbench.suites.explainability.config import ExplainabilityConfig

if TYPE_CHECKING:  # torch is imported where a network is randomised, never for a logreg run
    import torch


@dataclass
class ExplainedRows:
    """The explained test rows and what the metrics need about them.

    Attributes
    ----------
    X : DataFrame (n, d) or ndarray (n, C, H, W)
    target : array (n,) — the predicted class, the one explained
    row_id : array (n,)
    sensitive : DataFrame (n, n_attributes)
    masks : array (n, H, W) bool or None — localisation ground truth
    baseline : one-row DataFrame or (1, C, H, W) array — the "removed" value
    image : bool
    """

    X: Any
    target: np.ndarray
    row_id: np.ndarray
    sensitive: pd.DataFrame
    masks: np.ndarray | None
    baseline: Any
    image: bool

    def __len__(self) -> int:
        return len(self.target)

    @property
    def n_features(self) -> int:
        return int(np.prod(self.X.shape[2:])) if self.image else int(self.X.shape[1])

    def head(self, m: int) -> Any:
        return self.X[:m] if self.image else self.X.iloc[:m].reset_index(drop=True)


def select_rows(task: TaskData, y_pred: np.ndarray, n_rows: int, seed: int) -> ExplainedRows:
    """``n_rows`` test rows drawn without replacement (seeded), in test order."""
    test = task.test
    n_rows = min(int(n_rows), len(test))
    rng = np.random.default_rng([seed, 11])
    positions = np.sort(rng.choice(len(test), size=n_rows, replace=False))
    image = task.is_image
    if image:
        X = np.asarray(test.X[positions], dtype=np.float32)
        baseline = np.zeros((1, *X.shape[1:]), dtype=np.float32)
    else:
        X = test.X.iloc[positions].reset_index(drop=True)
        baseline = feature_baseline(task.train.X)
    return ExplainedRows(
        X=X,
        target=np.asarray(y_pred)[positions],
        row_id=test.row_id[positions],
        sensitive=test.sensitive.iloc[positions].reset_index(drop=True),
        masks=None if test.masks is None else np.asarray(test.masks[positions], dtype=bool),
        baseline=baseline,
        image=image,
    )


def chunk_rows(cfg: ExplainabilityConfig, rows: ExplainedRows) -> int:
    """Model rows per forward call: ``chunk_size``, capped so that one chunk's inputs (and
    ~32x that in activations) stay within ``chunk_memory_mb``."""
    chunk = cfg.chunk_size
    budget = cfg.chunk_memory_mb * 2**20
    row_bytes = 4 * (int(np.prod(rows.X.shape[1:])) if rows.image else max(rows.X.shape[1], 1))
    return max(1, min(chunk, int(budget // (32 * row_bytes))))


@dataclass
class Perturbed:
    """``S`` noisy copies of ``m`` explained rows (copy-major) for the robustness metrics.

    ``X`` is what the explainer and model take (S * m rows); ``numeric`` ``(S, m, p)`` and
    ``original`` ``(m, p)`` the numeric inputs the relative input stability compares.
    """

    X: Any
    target: np.ndarray
    numeric: np.ndarray
    original: np.ndarray


def perturb(
    rows: ExplainedRows, m: int, samples: int, radius: float, stds: pd.Series | None, seed: int
) -> Perturbed:
    """Uniform noise ``U(-radius, radius)``: on every pixel (images, clipped to [0, 1]), or on every continuous
    column in units of its train standard deviation (tabular; categorical columns unchanged,
    missing values stay missing)."""
    rng = np.random.default_rng([seed, 31])
    target = np.tile(rows.target[:m], samples)
    if rows.image:
        x = rows.X[:m]
        noisy = x[None] + rng.uniform(-radius, radius, size=(samples, *x.shape)).astype(x.dtype)
        noisy = np.clip(noisy, 0.0, 1.0)  # the image contract: pixels in [0, 1]
        flat = noisy.reshape(samples * m, *x.shape[1:])
        return Perturbed(flat, target, noisy.reshape(samples, m, -1), x.reshape(m, -1))
    X = rows.head(m)
    continuous = [c for c in X.columns if c in (stds.index if stds is not None else [])]
    big = pd.concat([X] * samples, ignore_index=True)
    original = X[continuous].to_numpy(dtype=float)
    noise = rng.uniform(-radius, radius, size=(samples, m, len(continuous)))
    scaled = noise * stds[continuous].to_numpy(dtype=float)[None, None, :]
    values = original[None] + scaled
    for j, column in enumerate(continuous):
        big[column] = values[:, :, j].reshape(-1).astype(X[column].dtype, copy=False)
    return Perturbed(big, target, np.nan_to_num(values), np.nan_to_num(original))


def continuous_stds(task: TaskData) -> pd.Series | None:
    """Train standard deviation of each continuous column (tabular tasks), else None."""
    if task.is_image:
        return None
    names = task.features_of_kind("continuous")
    return task.train.X[names].astype(float).std().fillna(0.0)


def parametrised_layers(module: torch.nn.Module) -> list[torch.nn.Module]:
    """Leaf modules with their own parameters and ``reset_parameters``, input to output."""
    return [
        m
        for m in module.modules()
        if len(list(m.children())) == 0
        and any(True for _ in m.parameters(recurse=False))
        and callable(getattr(m, "reset_parameters", None))
    ]


def cascading_randomisations(model: Any, seed: int) -> Iterator[tuple[str, Any]]:
    """Top-down cascading randomisation (Adebayo et al. 2018): yields ``(layer name, model)``
    with the output layer re-initialised first, then one more layer at each step, until every
    layer is randomised. The model is a deep copy; the original is untouched."""
    import torch

    randomised = copy.deepcopy(model)
    named = {id(m): n for n, m in randomised.module_.named_modules()}
    layers = parametrised_layers(randomised.module_)
    generator_seed = int(seed) * 7919 + 17
    for step, layer in enumerate(reversed(layers)):
        with torch.random.fork_rng():
            torch.manual_seed(generator_seed + step)
            layer.reset_parameters()
        yield named.get(id(layer), type(layer).__name__), randomised
