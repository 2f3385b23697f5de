"""The organizer's declared recipe for the privacy audit's reference models.

A submitted model arrives trained, with no recipe the harness could repeat, so reference-model
attacks (LiRA offline, RMIA) cannot clone it. The challenge declares a recipe instead
(``reference_recipe: {model: logreg}``: a model config of ``configs/model/`` trained as the
standard trainer trains it); the audit trains K models of that recipe on halves of the
population pool (public train rows and hidden rows of the same distribution) and reads the
submission's outputs against theirs. The result says how far the submission's outputs separate
its training rows from rows it never saw, relative to what models of the declared recipe give:
a lower bound on the submission's leakage, exact only when its recipe is the declared one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from trustbench.data.task import TaskData
from trustbench.errors import ConfigError
from trustbench.registry import unknown_name_message

CONFIGS = Path(__file__).resolve().parent.parent / "configs"

__all__ = ["build_recipe", "check_recipe"]


def _models() -> list[str]:
    return sorted(p.stem for p in (CONFIGS / "model").glob("*.yaml"))


def check_recipe(recipe: Mapping[str, Any]) -> None:
    """Refuse a recipe that names an unknown model or holds an unknown key."""
    unknown = set(recipe) - {"model"}
    if unknown:
        raise ConfigError(
            f"challenge.reference_recipe: unknown key(s) {sorted(unknown)}; expected "
            "{model: <name>} with a model of configs/model/"
        )
    name = recipe.get("model")
    if name not in _models():
        raise ConfigError(
            "challenge.reference_recipe.model: "
            + unknown_name_message("model", str(name), _models())
        )


def build_recipe(recipe: Mapping[str, Any], task: TaskData, seed: int) -> Any:
    """An unfitted model of the declared recipe for ``task`` (the standard trainer's recipe)."""
    from trustbench.models import build_model

    check_recipe(recipe)
    model_cfg = OmegaConf.to_container(
        OmegaConf.load(CONFIGS / "model" / f"{recipe['model']}.yaml")
    )
    trainer = OmegaConf.to_container(OmegaConf.load(CONFIGS / "trainer" / "standard.yaml"))
    return build_model(model_cfg, task.features, seed=seed, recipe=trainer, device="cpu")
