"""Trainers: ``standard``, ``dp`` (DP-SGD through Opacus) and ``fair`` (fairlearn mitigation).

A trainer turns a model config and a task into a fitted model plus a record of how it was
trained (``TrainingResult.info``), which the run logs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trustbench.data.task import TaskData
from trustbench.registry import Registry
from trustbench.training.dp import train_dp
from trustbench.training.fair import train_fair
from trustbench.training.result import TrainingResult
from trustbench.training.standard import train_standard

Trainer = Callable[..., TrainingResult]
TRAINERS: Registry[Trainer] = Registry("trainer")
TRAINERS.add("standard", train_standard)
TRAINERS.add("dp", train_dp)
TRAINERS.add("fair", train_fair)

__all__ = ["TRAINERS", "TrainingResult", "train"]


def train(
    model_cfg: Mapping[str, Any],
    trainer_cfg: Mapping[str, Any],
    task: TaskData,
    *,
    seed: int = 0,
    device: str = "auto",
) -> TrainingResult:
    """Fit the model described by ``model_cfg`` on ``task.train`` with the named trainer."""
    trainer = TRAINERS.get(str(trainer_cfg.get("name", "standard")))
    return trainer(model_cfg, trainer_cfg, task, seed=seed, device=device)
