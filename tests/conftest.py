"""Shared fixtures: compose the real Hydra config, shrunk so that a full run takes seconds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import pytest
from hydra import compose, initialize_config_module
from omegaconf import DictConfig

# Services tests start stop when pytest stops, however it stops (SIGTERM, SIGINT, SIGHUP):
# the hooks install the signal handlers and stop what is left (loky workers included).
from tests.child_services import (  # noqa: F401  (pytest hooks, found by name)
    pytest_configure,
    pytest_sessionfinish,
    pytest_unconfigure,
)

from trustbench.experiment import ExperimentResult, run_experiment

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


def run_logged(
    overrides: list[str], tmp: Path
) -> tuple[ExperimentResult, mlflow.entities.Run, Path]:
    """Run the shrunk experiment with ``overrides`` into a fresh store under ``tmp`` (also the
    working directory); return the result, its MLflow run and a local copy of its artifacts."""
    cfg = compose_config(overrides, tracking_dir=tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        result = run_experiment(cfg)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp}/mlflow.db")
    run = client.get_run(result.run_id)
    local = Path(client.download_artifacts(result.run_id, "", str(tmp / "artifacts")))
    return result, run, local


@pytest.fixture
def make_config() -> Callable[..., DictConfig]:
    return compose_config


def assert_every_key_registered(keys) -> None:
    """Every logged metric key (interval bounds aside) resolves to a registered metric whose
    direction and range are declared, and no logged value lies outside that range."""
    from trustbench.metrics import REGISTRY

    items = keys.items() if hasattr(keys, "items") else ((k, None) for k in keys)
    unresolved, outside = [], []
    for key, value in items:
        if key.endswith(("/ci_low", "/ci_high")):
            continue
        found = REGISTRY.resolve(key)
        if found is None:
            unresolved.append(key)
        elif value is not None and not found.spec.contains(float(value)):
            outside.append((key, value, (found.spec.lower, found.spec.upper)))
    assert not unresolved, f"keys matching no registered template: {unresolved[:10]}"
    assert not outside, f"values outside their registered range: {outside[:10]}"


def trustbench_error_lines(args: list[str], cwd: Path) -> list[str]:
    """Run ``trustbench <args>`` in a subprocess; assert exit code 2 and return its stderr lines."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "trustbench.run", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    return out.stderr.strip().splitlines()
