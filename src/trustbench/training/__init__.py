"""Trainers: ``standard``, ``dp`` (DP-SGD through Opacus) and ``fair`` (fairlearn mitigation).

A trainer turns a model config and a task into a fitted model plus a record of how it was
trained (``TrainingResult.record``, a :class:`~trustbench.training.record.TrainingRecord`), which
the run logs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trustbench.data.task import TaskData
from trustbench.registry import Registry
from trustbench.training.dp import train_dp
from trustbench.training.fair import train_fair
from trustbench.training.options import trainer_options
from trustbench.training.result import TrainingResult
from trustbench.training.standard import train_standard

Trainer = Callable[..., TrainingResult]
TRAINERS: Registry[Trainer] = Registry("trainer")
TRAINERS.add("standard", train_standard)
TRAINERS.add("dp", train_dp)
TRAINERS.add("fair", train_fair)

__all__ = ["TRAINERS", "TrainingResult", "train", "trainer_options"]


def train(
    model_cfg: Mapping[str, Any],
    trainer_cfg: Mapping[str, Any],
    task: TaskData,
    *,
    seed: int = 0,
    device: str = "auto",
) -> TrainingResult:
    """Fit the model described by ``model_cfg`` on ``task.train`` with the named trainer.

    ``trainer_cfg`` is checked against the trainer's options (an unknown key or a wrong type
    is a ConfigError) and completed from ``configs/trainer/<name>.yaml``.
    """
    options = trainer_options(trainer_cfg)
    trainer = TRAINERS.get(options["name"])
    return trainer(model_cfg, options, task, seed=seed, device=device)
