"""The batched engine: target-class probabilities of many masked copies of the explained rows.

A perturbation metric or a model-agnostic explainer asks one question many times: what is
``P(target_i | x_i with the features in mask m removed)``? The engine answers it for a whole
stack of masks ``(S, n, d)`` at once, building the perturbed inputs chunk by chunk (the loop
runs over chunks of ``chunk_size`` model rows, never over rows or steps):

- torch models: on tensors on the model's device; tabular rows are mixed in the *encoded*
  space (the preprocessing is column-wise, so encoding a mixed row equals mixing encoded
  rows), images per pixel or per segment;
- scikit-learn (any ``predict_proba``) models: DataFrames / arrays mixed with vectorised
  numpy and predicted in chunks.

"Removed" means replaced by the baseline: the train median/mode row for tabular data, a
baseline image (black by default) for images; a baseline with ``n`` rows gives each row its
own (used by the permutation explainer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustbench.explain.perturb import masked_copies
from trustbench.models import check_proba, is_torch_model
from trustbench.models.facade import model_input, transform

if TYPE_CHECKING:  # torch is imported where a torch model is explained
    import torch


class MaskedForward:
    """``engine(masks) -> (S, n)`` target-class probabilities of masked copies.

    Parameters
    ----------
    model : facade model
        ``predict_proba``; torch models also ``module_``, ``transform`` and (tabular)
        ``feature_groups_``.
    X : DataFrame (n, d) or ndarray (n, C, H, W)
        The explained rows.
    baseline : DataFrame / ndarray with 1 or n rows
        The "removed" value of every feature.
    target : array (n,)
        Class index whose probability is returned.
    n_classes : int
    chunk_size : int
        Model rows per forward call.
    segments : array (H, W) of int, optional
        Images only: the feature index of each pixel (patches / superpixels). ``None`` = one
        feature per pixel (``d = H * W``).
    """

    def __init__(
        self,
        model: Any,
        X: pd.DataFrame | np.ndarray,
        baseline: pd.DataFrame | np.ndarray,
        target: np.ndarray,
        n_classes: int,
        chunk_size: int = 65536,
        segments: np.ndarray | None = None,
    ) -> None:
        self.model = model
        self.X = X
        self.baseline = baseline
        self.target = np.asarray(target, dtype=np.int64)
        self.n_classes = int(n_classes)
        self.chunk_size = max(1, int(chunk_size))
        self.image = isinstance(X, np.ndarray) and X.ndim == 4
        self.segments = None if segments is None else np.asarray(segments, dtype=np.int64)
        self.torch = is_torch_model(model)
        if self.torch:
            self._prepare_torch()

    # -- set-up ---------------------------------------------------------------------------
    def _prepare_torch(self) -> None:
        import torch

        model = self.model
        x = transform(model, self.X)
        self.device = x.device
        self._x = x
        self._b = transform(model, self.baseline)
        self._t = torch.as_tensor(self.target, device=self.device)
        if self.image:
            seg = self.segments
            if seg is None:
                seg = np.arange(x.shape[2] * x.shape[3]).reshape(x.shape[2], x.shape[3])
            self._seg = torch.as_tensor(seg, device=self.device).reshape(-1)
        else:
            self._groups = torch.as_tensor(model.feature_groups_, device=self.device)

    @property
    def n_features(self) -> int:
        if self.image:
            if self.segments is not None:
                return int(self.segments.max()) + 1
            return int(self.X.shape[2] * self.X.shape[3])
        return int(self.X.shape[1])

    # -- public ---------------------------------------------------------------------------
    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """Target-class probability for each mask.

        Parameters
        ----------
        masks : bool array (S, n, d), or (S, d) for the same masks on every row
            ``True`` = feature removed (at its baseline value).

        Returns
        -------
        array (S, n), float64
        """
        masks = np.asarray(masks, dtype=bool)
        n = len(self.target)
        if masks.ndim == 2:
            masks = np.broadcast_to(masks[:, None, :], (masks.shape[0], n, masks.shape[1]))
        S = masks.shape[0]
        if S == 0:
            return np.zeros((0, n))
        copies = max(1, self.chunk_size // max(n, 1))
        if self.torch:
            import torch

            masks_t = torch.as_tensor(np.ascontiguousarray(masks), device=self.device)
            parts = [self._torch_chunk(masks_t[s : s + copies]) for s in range(0, S, copies)]
            return torch.cat(parts).double().cpu().numpy()
        parts = [self._numpy_chunk(masks[s : s + copies]) for s in range(0, S, copies)]
        return np.concatenate(parts)

    # -- torch path -----------------------------------------------------------------------
    def _torch_chunk(self, masks: torch.Tensor) -> torch.Tensor:
        import torch

        with torch.no_grad():
            s, n = masks.shape[0], masks.shape[1]
            if self.image:
                pixel = masks[:, :, self._seg].reshape(s, n, 1, *self._x.shape[2:])
                inputs = torch.where(pixel, self._b.unsqueeze(0), self._x.unsqueeze(0))
                inputs = inputs.reshape(s * n, *self._x.shape[1:])
            else:
                cols = masks[:, :, self._groups]
                inputs = torch.where(cols, self._b.unsqueeze(0), self._x.unsqueeze(0))
                inputs = inputs.reshape(s * n, -1)
            self.model.module_.eval()
            proba = torch.softmax(self.model.module_(inputs).float(), dim=1).reshape(s, n, -1)
            return torch.gather(proba, 2, self._t.view(1, n, 1).expand(s, n, 1))[..., 0]

    # -- numpy path -----------------------------------------------------------------------
    def _numpy_chunk(self, masks: np.ndarray) -> np.ndarray:
        s, n = masks.shape[0], masks.shape[1]
        # built for this call alone: the model may change them without changing self.X
        inputs = self._mix_image(masks) if self.image else self._mix_frame(masks)
        proba = check_proba(self.model.predict_proba(inputs), s * n, self.n_classes)
        proba = proba.reshape(s, n, self.n_classes)
        return np.take_along_axis(proba, self.target[None, :, None].repeat(s, 0), axis=2)[..., 0]

    def _mix_image(self, masks: np.ndarray) -> np.ndarray:
        x = self.X
        pixel = masks if self.segments is None else masks[:, :, self.segments.reshape(-1)]
        pixel = pixel.reshape(masks.shape[0], masks.shape[1], 1, *x.shape[2:])
        base = self.baseline if len(self.baseline) == len(x) else self.baseline[:1]
        out = np.where(pixel, base[None], x[None])
        return out.reshape(-1, *x.shape[1:]).astype(x.dtype, copy=False)

    def _mix_frame(self, masks: np.ndarray) -> pd.DataFrame:
        return masked_copies(self.X, self.baseline, masks)

    # -- plain predictions --------------------------------------------------------------
    def proba(self, inputs: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, n_classes)`` of arbitrary inputs, in chunks."""
        return predict_proba_chunked(self.model, inputs, self.n_classes, self.chunk_size)


def predict_proba_chunked(
    model: Any, inputs: pd.DataFrame | np.ndarray, n_classes: int, chunk_size: int = 65536
) -> np.ndarray:
    """``model.predict_proba`` over ``inputs`` in chunks of ``chunk_size`` rows, validated;
    each chunk is a copy (:func:`~trustbench.models.facade.model_input`), so ``inputs`` stay
    as they were."""
    parts = []
    for start in range(0, len(inputs), chunk_size):
        part = (
            inputs.iloc[start : start + chunk_size]
            if isinstance(inputs, pd.DataFrame)
            else inputs[start : start + chunk_size]
        )
        parts.append(check_proba(model.predict_proba(model_input(part)), len(part), n_classes))
    return np.concatenate(parts) if parts else np.zeros((0, n_classes))
