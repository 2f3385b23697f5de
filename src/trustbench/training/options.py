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

from trustbench.errors import ConfigError
from trustbench.options import at_least, checked, load, merge, to_dict, within

__all__ = [
    "TRAINER_OPTIONS",
    "DPOptions",
    "FairOptions",
    "StandardOptions",
    "check_device",
    "trainer_options",
]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs" / "trainer"


@dataclass(frozen=True)
class StandardOptions:
    """``trainer=standard``: the model's own fit; the recipe applies to torch models."""

    name: str
    epochs: int = checked(at_least(1))
    batch_size: int = checked(at_least(1))
    lr: float = checked(within(0.0))
    weight_decay: float = checked(within(0.0, closed="[)"))


@dataclass(frozen=True)
class DPOptions(StandardOptions):
    """``trainer=dp``: DP-SGD through Opacus (torch models)."""

    target_epsilon: float | None = checked(within(0.0))
    target_delta: float | None = checked(within(0.0, 1.0))  # null = 1 / (10 n_train)
    noise_multiplier: float | None = checked(within(0.0))
    max_grad_norm: float = checked(within(0.0))
    accountant: str
    grad_sample_mode: str
    poisson_sampling: bool

    def check_fields(self, key: str) -> None:
        """Exactly one of ``target_epsilon`` (noise calibrated) and ``noise_multiplier``."""
        if (self.target_epsilon is None) == (self.noise_multiplier is None):
            raise ConfigError(
                f"trainer 'dp' needs exactly one of {key}.target_epsilon and "
                f"{key}.noise_multiplier (the other null); received target_epsilon="
                f"{self.target_epsilon}, noise_multiplier={self.noise_multiplier}"
            )


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
    seed: int | None = checked(at_least(0))
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


def check_device(device: Any, key: str = "device") -> str:
    """``device`` if the run can use it: ``auto``, ``cpu``, or a CUDA (``cuda``, ``cuda:N``)
    or ``mps`` device that this machine has.

    Raises
    ------
    ConfigError
        For another value, or a GPU that torch cannot see (no CUDA build, no GPU visible, a
        device index beyond the count), naming the fix (``device=auto`` or ``device=cpu``).
    """
    expected = "'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps'"
    if device in ("auto", "cpu"):
        return device
    if not isinstance(device, str):
        raise ConfigError(f"{key}: expected {expected}, got {device!r}.")
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        parsed = None
    if parsed is None or parsed.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"{key}: expected {expected}, got {device!r}.")
    fix = "use device=auto (the GPU when there is one) or device=cpu"
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            build = "built without CUDA" if torch.version.cuda is None else "no GPU visible"
            raise ConfigError(
                f"{key}: '{device}' needs a CUDA GPU, but torch.cuda.is_available() is False "
                f"(torch {torch.__version__}, {build}); {fix}."
            )
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise ConfigError(
                f"{key}: '{device}' names GPU {parsed.index}, but torch sees {count} "
                f"(cuda:0 to cuda:{count - 1}); {fix}."
            )
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            f"{key}: '{device}' needs Apple's MPS, which torch cannot use here; {fix}."
        )
    return device
