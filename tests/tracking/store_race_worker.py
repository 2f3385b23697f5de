"""Child processes of the store tests, in a module of its own so ``multiprocessing`` can
import it in each child."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

PRELOAD = ["trustbench.tracking", "mlflow.store.tracking.sqlalchemy_store", __name__]


def context() -> Any:
    """A "forkserver" context: children are separate processes forked from a fresh server
    process that imported trustbench and MLflow once, so nothing of the test process is
    inherited (as with "spawn") and starting four of them does not cost four imports."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def create_store_and_log(folder: str, index: int, barrier: Any) -> None:
    """Go through :func:`trustbench.tracking.prepare_experiment` on the store ``folder/mlflow.db``
    at the same moment as the other processes, then log one FINISHED run with metric ``index``."""
    import mlflow

    from trustbench.tracking import prepare_experiment, tracked_run

    uri = f"sqlite:///{Path(folder, 'mlflow.db')}"
    barrier.wait(timeout=60)  # every process reaches the new store at once
    experiment_id = prepare_experiment(uri, "race")
    with tracked_run(uri, experiment_id, run_name=f"worker-{index}"):
        mlflow.log_metric("index", float(index))


def hold_lock(uri: str, held: Any) -> None:
    """Take the store lock of ``uri``, say so through ``held`` and keep it until killed."""
    from trustbench.tracking.store import store_lock

    with store_lock(uri):
        held.set()
        time.sleep(120)
