"""Soak: 4 separate processes at once into a new SQLite store, and into one tracking server,
10 rounds each, lose nothing (issue 18: two commands on a new store lost a run 5 times of 5).

Each round starts 4 processes released together by a barrier; each runs one experiment
through :func:`trustbench.experiment.run_experiment` (what the ``trustbench`` command runs
after parsing its arguments), so every process creates or opens the store itself, as
separate ``trustbench`` commands do. SQLite: a new store per round (the creation and
migration race). Server: one ``mlflow server`` on 127.0.0.1 for the whole test and a new
experiment per round (the experiment-creation race). Every run must exist, be FINISHED,
carry its seed, and none may land in "Default". Bounded: loopback only, the server started
and stopped (its whole process group) by a fixture, every child joined or killed.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from omegaconf import OmegaConf
from tests.conftest import compose_config
from tests.e2e.soak_worker import context, run_one
from tests.e2e.sweep_helpers import mlflow_server, runs_by_experiment

PROCESSES = 4
ROUNDS = 10
#: The cheapest real run: synthetic data, logistic regression, one small suite.
FASTEST = [
    "experiment=smoke",
    "threads=1",
    "suite.bootstrap.n_resamples=40",
    *(
        f"suite.{s}.enabled=false"
        for s in ("data", "fairness", "generalization", "uncertainty", "explainability", "privacy")
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """An ``mlflow server`` on 127.0.0.1 and a free port for the module; stopped (process
    group, SIGTERM then SIGKILL) when the tests end, fail or are interrupted (Ctrl-C, or
    SIGTERM, which is turned into KeyboardInterrupt while the server runs)."""
    previous = signal.getsignal(signal.SIGTERM)

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        with mlflow_server(tmp_path_factory.mktemp("server")) as uri:
            yield uri
    finally:
        signal.signal(signal.SIGTERM, previous)


def _round(uri: str, experiment: str, folder: Path) -> None:
    """Run PROCESSES experiments (seeds 0..PROCESSES-1) at once into ``uri``."""
    folder.mkdir(parents=True, exist_ok=True)
    ctx = context()
    barrier = ctx.Barrier(PROCESSES)
    configs = [
        OmegaConf.to_container(
            compose_config(
                [
                    *FASTEST,
                    f"seed={seed}",
                    f"tracking.uri={uri}",
                    f"tracking.experiment={experiment}",
                ]
            ),
            resolve=True,
        )
        for seed in range(PROCESSES)
    ]
    workers = [ctx.Process(target=run_one, args=(c, str(folder), barrier)) for c in configs]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join(timeout=300)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
    assert [w.exitcode for w in workers] == [0] * PROCESSES, f"{experiment}: a process failed"


def _check(uri: str, experiment: str, folder: Path) -> None:
    grouped = runs_by_experiment(uri)
    runs = grouped.get(experiment, [])
    assert sorted(int(r.data.params["seed"]) for r in runs) == list(range(PROCESSES)), grouped
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert all("performance/accuracy" in r.data.metrics for r in runs)
    ids = {json.loads(p.read_text())["run_id"] for p in folder.glob("run_*.json")}
    assert ids == {r.info.run_id for r in runs}  # each process's run is the one in the store
    assert not grouped.get("Default"), "runs landed in the Default experiment"


@pytest.mark.slow
def test_four_processes_into_new_sqlite_stores_lose_nothing(tmp_path: Path):
    for r in range(ROUNDS):
        folder = tmp_path / f"round{r}"
        uri = f"sqlite:///{folder}/mlflow.db"
        _round(uri, "soak", folder)
        _check(uri, "soak", folder)


@pytest.mark.slow
def test_four_processes_into_one_tracking_server_lose_nothing(server: str, tmp_path: Path):
    for r in range(ROUNDS):
        _round(server, f"soak{r}", tmp_path / f"round{r}")
        _check(server, f"soak{r}", tmp_path / f"round{r}")
    experiments = {e.name for e in mlflow.MlflowClient(tracking_uri=server).search_experiments()}
    assert {f"soak{r}" for r in range(ROUNDS)} <= experiments
