"""The baselines the kit trains for its example submissions, on the public train split only.

- a scikit-learn pipeline on the encoded matrix (tabular) for the ONNX example: missing values
  imputed, continuous columns standardised, categorical codes one-hot encoded, a logistic
  regression;
- the challenge's own architecture (``tabular_mlp_v1`` / ``image_cnn_v1``) trained by
  trustbench's torch recipe (:mod:`trustbench.models.recipe`) for the safetensors example, and
  exported to ONNX as well on image tasks.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from trustbench.challenge import architectures
from trustbench.challenge.encoding import InputSchema
from trustbench.models.recipe import TorchRecipe, seeded_module, train_step

__all__ = ["sklearn_baseline", "torch_baseline"]


def sklearn_baseline(schema: InputSchema, X: np.ndarray, y: np.ndarray, seed: int = 0):
    """A fitted pipeline ``encoded X -> probabilities`` (tabular tasks)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    continuous = [j for j, k in enumerate(schema.kinds) if k != "categorical"]
    categorical = [j for j, k in enumerate(schema.kinds) if k == "categorical"]
    parts = [("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), continuous)]
    if categorical:
        parts.append(
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1.0),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            )
        )
    model = Pipeline(
        [
            ("prep", ColumnTransformer(parts)),
            ("clf", LogisticRegression(max_iter=2000, C=0.5, random_state=seed)),
        ]
    )
    return model.fit(X.astype(np.float32), y)


def torch_baseline(
    schema: InputSchema,
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    seed: int = 0,
    recipe: TorchRecipe | None = None,
) -> tuple[nn.Module, dict[str, int]]:
    """The challenge architecture ``name`` trained on ``(X, y)``; returns it and its dims."""
    dims = architectures.dims_for(name, schema.shape, len(schema.classes))
    module = seeded_module(lambda: architectures.build(name, **dims), seed)
    inputs = torch.as_tensor(np.asarray(X, dtype=np.float32))
    targets = torch.as_tensor(np.asarray(y, dtype=np.int64))
    if name == "tabular_mlp_v1":
        mean = np.nanmean(X, axis=0)
        std = np.nanstd(X, axis=0)
        with torch.no_grad():
            module.mean.copy_(torch.as_tensor(np.nan_to_num(mean), dtype=torch.float32))
            module.std.copy_(torch.as_tensor(np.where(std > 0, std, 1.0), dtype=torch.float32))
    recipe = recipe or TorchRecipe(
        epochs=40 if name == "tabular_mlp_v1" else 10,
        batch_size=128 if name == "tabular_mlp_v1" else 64,
    )
    optimizer = recipe.make_optimizer(module.parameters())
    module.train()
    for order in recipe.epoch_orders(len(targets), seed):
        for batch in recipe.batches(order):
            train_step(module, optimizer, recipe.loss_fn, inputs[batch], targets[batch])
    return module.eval(), dims
