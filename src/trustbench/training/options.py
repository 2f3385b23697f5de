"""Each trainer's options: the ``trainer`` config checked against the trainer's declared fields.

A trainer's options are the fields of its dataclass below (its option signature). The values
live once, in ``configs/trainer/<name>.yaml``; a (partial) mapping from the Python API is
completed from that file. :func:`trainer_options` refuses an unknown key (with the closest
valid one) or a value of the wrong type, naming ``trainer.<key>``, before any training.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from trustbench.options import load, merge, to_dict

__all__ = ["TRAINER_OPTIONS", "DPOptions", "FairOptions", "StandardOptions", "trainer_options"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs" / "trainer"


@dataclass(frozen=True)
class StandardOptions:
    """``trainer=standard``: the model's own fit; the recipe applies to torch models."""

    name: str
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float


@dataclass(frozen=True)
class DPOptions(StandardOptions):
    """``trainer=dp``: DP-SGD through Opacus (torch models)."""

    target_epsilon: float | None
    target_delta: float | None
    noise_multiplier: float | None
    max_grad_norm: float
    accountant: str
    grad_sample_mode: str
    poisson_sampling: bool


@dataclass(frozen=True)
class FairOptions(StandardOptions):
    """``trainer=fair``: fairlearn mitigation (reductions or post-processing)."""

    method: str
    constraint: str
    tolerance: float | None
    sensitive: str | list[str] | None
    objective: str
    grid_size: int
    max_iter: int
    seed: int | None
    postprocess_fraction: float


#: Trainer name -> its options.
TRAINER_OPTIONS: dict[str, type] = {
    "standard": StandardOptions,
    "dp": DPOptions,
    "fair": FairOptions,
}


@functools.cache
def _shipped(name: str) -> dict[str, Any]:
    return OmegaConf.to_container(OmegaConf.load(CONFIG_DIR / f"{name}.yaml"), resolve=True)


def trainer_options(trainer_cfg: Mapping[str, Any], key: str = "trainer") -> dict[str, Any]:
    """The complete, checked options of the trainer ``trainer_cfg["name"]`` (default
    ``standard``): the shipped ``configs/trainer/<name>.yaml`` with ``trainer_cfg`` merged in.

    Raises
    ------
    ConfigError
        For an unknown trainer, an unknown key or a value of the wrong type.
    """
    from trustbench.training import TRAINERS

    name = str(trainer_cfg.get("name") or "standard")
    TRAINERS.get(name)
    merged = merge(_shipped(name), {**trainer_cfg, "name": name})
    return to_dict(load(TRAINER_OPTIONS[name], merged, key))
