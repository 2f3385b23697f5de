"""Shared fixtures: compose the real Hydra config, shrunk so that a full run takes seconds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import DictConfig

#: Overrides that keep every suite on but make a run fast.
SMALL = [
    "suite.bootstrap.n_resamples=200",
    "suite.explainability.n_rows=60",
    "trainer.epochs=5",
]


def compose_config(
    overrides: list[str] | None = None, tracking_dir: Path | None = None
) -> DictConfig:
    """The shipped config with ``SMALL`` and ``overrides`` applied (later overrides win)."""
    extra = list(SMALL) + list(overrides or [])
    if tracking_dir is not None:
        extra.append(f"tracking.uri=sqlite:///{tracking_dir}/mlflow.db")
    with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
        return compose(config_name="config", overrides=extra)


@pytest.fixture
def make_config() -> Callable[..., DictConfig]:
    return compose_config
