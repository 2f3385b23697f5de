"""The ``standard`` trainer: the model's own ``fit`` on the training split."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from trustbench.data.task import TaskData
from trustbench.models import build_model
from trustbench.training.record import TrainingRecord
from trustbench.training.result import TrainingResult


def train_standard(
    model_cfg: Mapping[str, Any],
    trainer_cfg: Mapping[str, Any],
    task: TaskData,
    *,
    seed: int = 0,
    device: str = "auto",
) -> TrainingResult:
    """Fit a scikit-learn pipeline or a torch model (Adam, cross-entropy) on ``task.train``."""
    model = build_model(model_cfg, task.features, seed=seed, recipe=trainer_cfg, device=device)
    start = time.perf_counter()
    model.fit(task.train.X, task.train.y)
    seconds = round(time.perf_counter() - start, 3)
    return TrainingResult(model=model, record=TrainingRecord(trainer="standard", seconds=seconds))
