"""Tiny image task and models for explainability tests (16 x 16 scans, a bright square = positive).

``ImageModel`` follows the torch image-model facade (``predict_proba(ndarray)``, ``module_``,
``transform(ndarray) -> tensor``, ``device_``) that ``model=cnn`` implements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from trustbench.data.task import FeatureSpec, GroundTruth, Split, TaskData


def toy_images(n: int, size: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images ``(n, 1, size, size)`` of dim noise; positives carry a bright 4 x 4 square.

    Returns images, labels and the square masks (all False for negatives).
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 0.3, size=(n, 1, size, size)).astype(np.float32)
    y = (np.arange(n) % 2).astype(int)
    masks = np.zeros((n, size, size), dtype=bool)
    corners = rng.integers(0, size - 4, size=(n, 2))
    for i in np.flatnonzero(y):  # data generation only
        r, c = corners[i]
        masks[i, r : r + 4, c : c + 4] = True
    X[:, 0][masks] = rng.uniform(0.8, 1.0, size=int(masks.sum())).astype(np.float32)
    return X, y, masks


def toy_image_task(n_train: int = 128, n_test: int = 64, seed: int = 0) -> TaskData:
    """A TaskData honouring the image contract, with masks on every split."""
    splits = {}
    for name, n, offset in (("train", n_train, 0), ("test", n_test, 1), ("ood", n_test, 2)):
        X, y, masks = toy_images(n, seed=seed * 10 + offset)
        groups = np.where(np.arange(n) % 3 == 0, "A", "B")
        splits[name] = Split(
            X=X,
            y=y,
            sensitive=pd.DataFrame({"sex": groups}),
            row_id=np.arange(n) + 1000 * offset,
            site=None,
            masks=masks,
        )
    return TaskData(
        name="toy_images",
        features=[FeatureSpec("image", "image")],
        target="lesion",
        classes=["absent", "present"],
        sensitive_names=["sex"],
        splits=splits,
        fingerprint="toy",
        ground_truth=GroundTruth(),
    )


class TinyCNN(nn.Module):
    """conv(1->8) ReLU conv(8->8) GroupNorm ReLU global-average-pool linear(8->2)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1),
            nn.GroupNorm(2, 8),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ImageModel:
    """Minimal torch image facade around a module."""

    def __init__(self, module: nn.Module, seed: int = 0) -> None:
        self.module_ = module
        self.device_ = torch.device("cpu")
        self.classes_ = np.array([0, 1])
        self.seed = seed

    def transform(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(X, dtype=np.float32), device=self.device_)

    def fit(self, X: np.ndarray, y: np.ndarray, epochs: int = 40) -> ImageModel:
        torch.manual_seed(self.seed)
        inputs, targets = self.transform(X), torch.as_tensor(y, dtype=torch.long)
        optimizer = torch.optim.Adam(self.module_.parameters(), lr=0.02)
        self.module_.train()
        for _ in range(epochs):
            optimizer.zero_grad()
            nn.functional.cross_entropy(self.module_(inputs), targets).backward()
            optimizer.step()
        self.module_.eval()
        return self

    @torch.no_grad()
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        self.module_.eval()
        return torch.softmax(self.module_(self.transform(X)), dim=1).double().numpy()


def trained_toy_cnn(task: TaskData, seed: int = 0) -> ImageModel:
    torch.manual_seed(seed)
    return ImageModel(TinyCNN(), seed).fit(task.train.X, task.train.y)


def fit_logreg(task: TaskData, max_iter: int = 500):
    """The ``logreg`` facade model fitted on ``task.train``."""
    from trustbench.models import build_model

    cfg = {
        "name": "logreg",
        "library": "sklearn",
        "estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "max_iter": max_iter},
    }
    return build_model(cfg, task.features).fit(task.train.X, task.train.y)


def fit_small_mlp(task: TaskData, hidden: int = 8, epochs: int = 2):
    """A one-hidden-layer ``mlp`` facade model fitted on ``task.train``."""
    from trustbench.models import build_model

    cfg = {
        "name": "mlp",
        "library": "torch",
        "module": {"_target_": "trustbench.models.mlp.MLP", "hidden_sizes": [hidden]},
    }
    return build_model(cfg, task.features, recipe={"epochs": epochs}).fit(
        task.train.X, task.train.y
    )
