"""Model-agnostic explainers: any model with ``predict_proba`` (scikit-learn included).

All go through :class:`~trustbench.explain.engine.MaskedForward`: every perturbed input an
explainer needs is built as one stack of masks and predicted in chunks. Tabular features are
the input columns (removed = train median/mode); image features are square patches
(``patch`` option, default an 8 x 8 grid; removed = baseline image), and patch values are
spread over their pixels (divided by the patch area) to give ``(n, H, W)`` maps.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from math import comb
from typing import Any

import numpy as np

from trustbench.explain.engine import MaskedForward
from trustbench.explain.segments import (
    default_patch,
    patch_segments,
    sliding_windows,
    to_pixels,
)


class MaskExplainer(ABC):
    """Shared set-up: the engine over the explained rows, and per-pixel output for images.

    Parameters
    ----------
    model : facade model
    baseline : one-row DataFrame (tabular) or ``(1, C, H, W)`` array (images)
    n_classes : int
    seed : int
    chunk_size : int
        Model rows per forward call.
    patch : int, optional
        Image patch side (default: an 8 x 8 grid).

    Each subclass's own options are keyword parameters of its ``__init__`` (their defaults
    are the defaults; ``configs/explainer/<name>.yaml`` repeats them for the CLI, tested).
    """

    name = "mask"
    needs_gradients = False

    def __init__(
        self,
        model: Any,
        baseline: Any,
        n_classes: int,
        seed: int = 0,
        chunk_size: int = 65536,
        patch: int | None = None,
    ) -> None:
        self.model = model
        self.baseline = baseline
        self.n_classes = n_classes
        self.seed = int(seed)
        self.chunk_size = int(chunk_size)
        self.patch = patch

    def engine(self, X: Any, target: np.ndarray, baseline: Any = None) -> MaskedForward:
        segments = None
        if isinstance(X, np.ndarray) and X.ndim == 4:
            patch = self.patch or default_patch(X.shape[2], X.shape[3])
            segments = patch_segments(X.shape[2], X.shape[3], patch)
        return MaskedForward(
            self.model,
            X,
            self.baseline if baseline is None else baseline,
            target,
            self.n_classes,
            self.chunk_size,
            segments,
        )

    def attribute(self, X: Any, target: np.ndarray) -> np.ndarray:
        """Attributions ``(n, d)`` (tabular) or ``(n, H, W)`` (images) for class ``target``."""
        engine = self.engine(X, target)
        values = self.attribute_features(engine)
        if engine.segments is not None:
            return to_pixels(values, engine.segments)
        return values

    @abstractmethod
    def attribute_features(self, engine: MaskedForward) -> np.ndarray:
        """Attributions ``(n, d)`` over the engine's features (columns or image patches)."""


class AblationExplainer(MaskExplainer):
    """Feature ablation (Captum ``FeatureAblation``; for image patches, ``Occlusion``):
    ``a_ij = f_t(x_i) - f_t(x_i with feature j at its baseline)``.

    One batched pass over ``n (d + 1)`` inputs. Agrees with Captum (tested). On images the
    features are ``patch x patch`` windows moved by ``stride`` (default: ``stride = patch``,
    disjoint patches). With overlapping windows (``stride < patch``, at Captum's positions) a
    pixel gets the mean, over the windows that contain it, of each window's drop divided by its
    area: Captum's ``Occlusion`` divided by the window area where windows are whole, the same
    per-pixel convention as disjoint patches.
    """

    name = "ablation"

    def __init__(self, *args: Any, stride: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stride = stride

    def attribute(self, X: Any, target: np.ndarray) -> np.ndarray:
        image = isinstance(X, np.ndarray) and X.ndim == 4
        patch = (self.patch or default_patch(X.shape[2], X.shape[3])) if image else None
        if not image or self.stride is None or int(self.stride) >= patch:
            return super().attribute(X, target)
        height, width = X.shape[2], X.shape[3]
        windows = sliding_windows(height, width, patch, int(self.stride))  # (K, H * W)
        engine = MaskedForward(
            self.model, X, self.baseline, target, self.n_classes, self.chunk_size
        )
        masks = np.concatenate([np.zeros((1, height * width), bool), windows])
        probs = engine(masks)  # (K + 1, n)
        drops = (probs[0][None, :] - probs[1:]).T  # (n, K)
        share = windows / windows.sum(axis=1, keepdims=True)  # each drop over its pixels
        pixels = (drops @ share) / windows.sum(axis=0)[None, :]  # every pixel is covered
        return pixels.reshape(len(target), height, width)

    def attribute_features(self, engine: MaskedForward) -> np.ndarray:
        d = engine.n_features
        masks = np.concatenate([np.zeros((1, d), bool), np.eye(d, dtype=bool)])
        probs = engine(masks)
        return (probs[0][None, :] - probs[1:]).T


class PermutationExplainer(MaskExplainer):
    """Feature permutation (Captum ``FeaturePermutation``): ``a_ij = f_t(x_i) - f_t(x_i with
    feature j taken from row pi_j(i))``, ``pi_j`` a random permutation of the explained rows
    (a fresh one per feature, drawn from a ``torch.Generator`` seeded with ``seed`` in
    feature order, as Captum draws them). Needs at least 2 rows.
    """

    name = "permutation"

    def attribute_features(self, engine: MaskedForward) -> np.ndarray:
        X, target = engine.X, engine.target
        n, d = len(target), engine.n_features
        if n < 2:
            raise ValueError(f"permutation explainer needs at least 2 rows; received {n}")
        import torch  # Captum's permutations, drawn by torch (any model)

        generator = torch.Generator().manual_seed(self.seed)
        identity = torch.arange(n)
        p0 = engine(np.zeros((1, d), bool))[0]
        out = np.empty((n, d))
        for j in range(d):  # one permutation per feature, drawn in Captum's order
            perm = torch.randperm(n, generator=generator)
            while bool((perm == identity).all()):
                perm = torch.randperm(n, generator=generator)
            perm = perm.numpy()
            shuffled = X.iloc[perm].reset_index(drop=True) if hasattr(X, "iloc") else X[perm]
            mask = np.zeros((1, d), bool)
            mask[0, j] = True  # each pass is batched over the rows
            out[:, j] = p0 - self.engine(X, target, baseline=shuffled)(mask)[0]
        return out


def _shap_kernel(d: int, sizes: np.ndarray) -> np.ndarray:
    return (d - 1) / (np.array([comb(d, int(k)) for k in sizes]) * sizes * (d - sizes))


def shapley_coalitions(
    d: int, n_samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Coalitions ``(S, d)`` (True = feature present) and their regression weights.

    All ``2^d - 2`` non-trivial coalitions with the Shapley kernel weights when they fit in
    ``n_samples`` (exact Shapley values); otherwise ``n_samples`` coalitions whose sizes are
    drawn from the kernel's size distribution ``p(k) ∝ (d - 1) / (k (d - k))``, members
    uniform, each with weight 1 (Lundberg and Lee 2017).
    """
    if d < 2:
        return np.ones((1, d), bool), np.ones(1)
    if d <= 16 and 2**d - 2 <= n_samples:
        codes = np.arange(1, 2**d - 1)
        Z = ((codes[:, None] >> np.arange(d)[None, :]) & 1).astype(bool)
        return Z, _shap_kernel(d, Z.sum(axis=1))
    sizes = np.arange(1, d)
    p = (d - 1) / (sizes * (d - sizes))
    drawn = rng.choice(sizes, size=n_samples, p=p / p.sum())
    ranks = np.argsort(np.argsort(rng.random((n_samples, d)), axis=1), axis=1)
    return ranks < drawn[:, None], np.ones(n_samples)


class KernelShapExplainer(MaskExplainer):
    """KernelSHAP (Lundberg and Lee 2017), vectorised over rows.

    One set of coalitions ``z`` (see :func:`shapley_coalitions`) is shared by every row, so
    the ``n * S`` model calls are one batched pass and the constrained weighted least squares
    (``phi_0 = f(baseline)``, ``sum_j phi_j = f(x) - f(baseline)``) is one solve with ``n``
    right-hand sides. With exhaustive coalitions it returns exact Shapley values, equal to
    Captum ``ShapleyValues`` (tested). Option ``n_samples`` (default 256).
    """

    name = "kernel_shap"

    def __init__(self, *args: Any, n_samples: int = 256, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.n_samples = n_samples

    def attribute_features(self, engine: MaskedForward) -> np.ndarray:
        d = engine.n_features
        rng = np.random.default_rng([self.seed, 23])
        Z, w = shapley_coalitions(d, int(self.n_samples), rng)
        ends = engine(np.stack([np.zeros(d, bool), np.ones(d, bool)]))  # f(x), f(baseline)
        v1, v0 = ends[0], ends[1]
        if d == 1:
            return (v1 - v0)[:, None]
        y = engine(~Z)  # (S, n): removed = not present
        total = v1 - v0
        zf = Z.astype(float)
        design = zf[:, :-1] - zf[:, -1:]
        response = y - v0[None, :] - zf[:, -1:] * total[None, :]
        gram = design.T @ (w[:, None] * design) + 1e-10 * np.eye(d - 1)
        beta = np.linalg.solve(gram, design.T @ (w[:, None] * response))  # (d - 1, n)
        return np.vstack([beta, total[None, :] - beta.sum(axis=0)]).T


class LimeExplainer(MaskExplainer):
    """LIME (Ribeiro et al. 2016), vectorised over rows.

    ``n_samples`` (default 256) binary masks ``z`` (each feature present with probability
    1/2, shared by every row), weighted by ``exp(-D(z)^2 / (2 w^2))`` with ``D`` the cosine
    distance between ``z`` and the all-present vector and ``w = kernel_width`` (default 1.0,
    Captum's defaults); a weighted linear regression with intercept per row, solved for all
    rows at once. Returns the coefficients. Recovers the exact coefficients of a model that
    is linear in ``z`` (tested against Captum ``Lime`` with ``SkLearnLinearRegression``).
    """

    name = "lime"

    def __init__(
        self, *args: Any, n_samples: int = 256, kernel_width: float = 1.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.n_samples = n_samples
        self.kernel_width = kernel_width

    def attribute_features(self, engine: MaskedForward) -> np.ndarray:
        d = engine.n_features
        rng = np.random.default_rng([self.seed, 29])
        S = int(self.n_samples)
        Z = rng.random((S, d)) < 0.5
        Z[0] = True
        y = engine(~Z)  # (S, n)
        present = Z.sum(axis=1)
        cosine = np.sqrt(present / d)
        width = float(self.kernel_width)
        w = np.exp(-((1 - cosine) ** 2) / (2 * width**2))
        design = np.hstack([np.ones((S, 1)), Z.astype(float)])
        gram = design.T @ (w[:, None] * design) + 1e-8 * np.eye(d + 1)
        coef = np.linalg.solve(gram, design.T @ (w[:, None] * y))  # (d + 1, n)
        return coef[1:].T


AGNOSTIC_EXPLAINERS = (
    AblationExplainer,
    PermutationExplainer,
    KernelShapExplainer,
    LimeExplainer,
)
