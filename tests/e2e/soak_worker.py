"""The child process of the soak test: one ``trustbench`` run through the package's Python API
(:func:`trustbench.experiment.run_experiment`, what the ``trustbench`` command calls), in a
module of its own so that ``multiprocessing`` can import it in each child."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

#: What the forkserver imports once, so that each child starts in milliseconds, not seconds.
PRELOAD = [
    "trustbench.experiment",
    "trustbench.tracking",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.tracking.rest_store",
    __name__,
]


def context() -> Any:
    """A "forkserver" context: each child is a separate process forked from a fresh server
    that imported trustbench and MLflow once (nothing of the test process is inherited)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def run_one(config: dict[str, Any], folder: str, barrier: Any) -> None:
    """Wait for the other processes of the round, run ``config`` and write its run id to
    ``folder/run_<seed>.json``; an exception ends the process with a traceback and code 1."""
    from trustbench.experiment import run_experiment

    os.chdir(folder)  # the run's local files stay in the round's folder
    barrier.wait(timeout=120)  # the processes of a round reach the store at the same moment
    result = run_experiment(config)
    seed = int(config["seed"])
    Path(folder, f"run_{seed}.json").write_text(json.dumps({"run_id": result.run_id}))
