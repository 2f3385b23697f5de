"""Explainers: ``Explainer(model, ...).attribute(X, target) -> (n, n_features)``.

Attributions are always per input feature (one value per column of ``X``), whatever the
model library, so metrics and ground truth compare like with like. Gradient explainers,
which work on the encoded inputs of a torch model, sum their values over the encoded
columns of each feature (one-hot levels, missing-value indicators).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from trustbench.errors import ConfigError
from trustbench.explain.perturb import masked_copies, predict_class_proba
from trustbench.models import is_torch_model


class AblationExplainer:
    """Feature ablation: the drop in the target-class probability when one feature is removed.

    ``a_ij = f_t(x_i) - f_t(x_i with feature j set to its baseline value)``, where ``f_t`` is
    the probability of class ``t``. Positive values support the prediction. Works for any
    model (one batched ``predict_proba`` call over ``n * (d + 1)`` rows). Agrees with
    Captum's ``FeatureAblation`` with the same baseline (tested).

    Parameters
    ----------
    model : facade model (``predict_proba``)
    baseline : one-row DataFrame of reference values (see ``feature_baseline``)
    n_classes : int
    """

    name = "ablation"
    needs_gradients = False

    def __init__(self, model, baseline: pd.DataFrame, n_classes: int, **_: object) -> None:
        self.model = model
        self.baseline = baseline
        self.n_classes = n_classes

    def attribute(self, X: pd.DataFrame, target: np.ndarray) -> np.ndarray:
        n, d = X.shape
        masks = np.zeros((d + 1, n, d), dtype=bool)
        for j in range(d):
            masks[j + 1, :, j] = True
        frame = masked_copies(X, self.baseline, masks)
        probs = predict_class_proba(self.model, frame, np.asarray(target), self.n_classes)
        return (probs[0][None, :] - probs[1:]).T


class SaliencyExplainer:
    """Saliency (Captum ``Saliency``): ``|d f_t / d x|`` on the encoded inputs.

    Summed over the encoded columns of each feature, so values are non-negative
    magnitudes (no sign). Torch models only.
    """

    name = "saliency"
    needs_gradients = True

    def __init__(self, model, **_: object) -> None:
        if not is_torch_model(model):
            raise ConfigError(
                f"explainer 'saliency' needs a torch model (gradients); received "
                f"{type(model).__name__}. Explainers for any model: {sorted(MODEL_AGNOSTIC)}"
            )
        self.model = model

    def attribute(self, X: pd.DataFrame, target: np.ndarray) -> np.ndarray:
        from captum.attr import Saliency  # imported on use: captum costs ~1 s of start-up

        encoded = self.model.transform(X).requires_grad_(True)
        target_t = torch.as_tensor(np.asarray(target), dtype=torch.long, device=encoded.device)
        self.model.module_.eval()
        grads = Saliency(self.model.module_).attribute(encoded, target=target_t, abs=True)
        grads = grads.detach().cpu().double().numpy()
        groups = self.model.feature_groups_
        out = np.zeros((len(X), X.shape[1]))
        np.add.at(out.T, groups, grads.T)
        return out


class RandomExplainer:
    """Control baseline: i.i.d. standard normal attributions, seeded.

    Every real explainer should score clearly better than this one.
    """

    name = "random"
    needs_gradients = False

    def __init__(self, model=None, seed: int = 0, **_: object) -> None:
        self.seed = seed

    def attribute(self, X: pd.DataFrame, target: np.ndarray) -> np.ndarray:
        return np.random.default_rng(self.seed).standard_normal(X.shape)


MODEL_AGNOSTIC = {"ablation", "random"}
