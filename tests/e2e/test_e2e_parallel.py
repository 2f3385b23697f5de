"""Parallel sweeps lose nothing (docs/scale-out.md), and interrupted sweeps resume.

The store and experiment are created once before the sweep fans out; every job starts its
run with the experiment's id. These tests count the runs that land and check that none
landed in "Default".
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
from tests.e2e.sweep_helpers import (
    TINY,
    mlflow_server,
    postgres_available,
    postgres_cluster,
    runs_by_experiment,
    trustbench,
)

from trustbench.threads import available_cores

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")

# 8 jobs on 4 workers: two waves per worker, so every worker starts a run on a store another
# worker is writing; the soak test (test_e2e_soak.py) repeats the race 10 rounds over
EIGHT = ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=4", "seed=range(8)", *TINY]


def _check_runs(uri: str, experiment: str, n_jobs: int = 8) -> None:
    grouped = runs_by_experiment(uri)
    runs = grouped.get(experiment, [])
    assert len(runs) == n_jobs, {name: len(r) for name, r in grouped.items()}
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert sorted(int(r.data.params["seed"]) for r in runs) == list(range(n_jobs))
    assert all("performance/accuracy" in r.data.metrics for r in runs)
    assert not grouped.get("Default"), "runs landed in the Default experiment"


@pytest.mark.slow
def test_eight_jobs_four_workers_new_sqlite_store(tmp_path: Path):
    out = trustbench([*EIGHT, "tracking.experiment=parallel"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-4000:]
    _check_runs(f"sqlite:///{tmp_path}/mlflow.db", "parallel")
    runs = runs_by_experiment(f"sqlite:///{tmp_path}/mlflow.db")["parallel"]
    cores = available_cores()
    assert {r.data.params["training.threads"] for r in runs} == {str(max(1, cores // 4))}


@pytest.mark.slow
def test_eight_jobs_four_workers_tracking_server(tmp_path: Path):
    with mlflow_server(tmp_path) as uri:
        out = trustbench(
            [*EIGHT, f"tracking.uri={uri}", "tracking.experiment=served"], cwd=tmp_path
        )
        assert out.returncode == 0, out.stderr[-4000:]
        _check_runs(uri, "served")


@pytest.mark.slow
@pytest.mark.skipif(postgres_available() is not None, reason=str(postgres_available()))
def test_eight_jobs_four_workers_postgres_backed_server(tmp_path: Path):
    with postgres_cluster() as backend, mlflow_server(tmp_path, backend_uri=backend) as uri:
        out = trustbench(
            [*EIGHT, f"tracking.uri={uri}", "tracking.experiment=postgres"], cwd=tmp_path
        )
        assert out.returncode == 0, out.stderr[-4000:]
        _check_runs(uri, "postgres")


def test_two_commands_started_together_on_a_new_sqlite_store_both_finish(tmp_path: Path):
    """Two plain `trustbench` commands (no sweep, no callback) on one new store: both runs land.

    Before the store lock both migrated the new schema and one died with
    ``duplicate column name: step``; its run never existed.
    """
    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "trustbench.run", "experiment=smoke", f"seed={seed}"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (0, 1)
    ]
    errors = [c.communicate(timeout=300)[1] for c in commands]
    assert [c.returncode for c in commands] == [0, 0], [e[-3000:] for e in errors]
    grouped = runs_by_experiment(f"sqlite:///{tmp_path}/mlflow.db")
    runs = grouped.get("smoke", [])
    assert sorted(r.data.params["seed"] for r in runs) == ["0", "1"], grouped
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert not grouped.get("Default"), "runs landed in the Default experiment"


def test_resume_skips_finished_and_reruns_failed(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    first = trustbench(["-m", "seed=0,1", *TINY], cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment_id = client.get_experiment_by_name("trustbench").experiment_id
    runs = {r.data.params["seed"]: r for r in client.search_runs([experiment_id])}
    client.set_terminated(runs["1"].info.run_id, "FAILED")  # as if seed 1's job had crashed

    second = trustbench(["-m", "seed=0,1,2", "resume=true", *TINY], cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    after = client.search_runs([experiment_id])
    assert len(after) == 4  # seed 0 skipped; seed 1 run again; seed 2 new
    finished = sorted(r.data.params["seed"] for r in after if r.info.status == "FINISHED")
    assert finished == ["0", "1", "2"]
    assert [r.info.run_id for r in after if r.data.params["seed"] == "0"] == [runs["0"].info.run_id]


def test_killed_job_is_marked_killed_never_finished(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    # prepare the store first so the job reaches training quickly
    warm = trustbench(["seed=0", *TINY], cwd=tmp_path)
    assert warm.returncode == 0, warm.stderr[-3000:]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trustbench.run",
            "model=mlp",
            "trainer.epochs=100000",
            "seed=1",
            *TINY,
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = mlflow.MlflowClient(tracking_uri=uri)
        experiment_id = client.get_experiment_by_name("trustbench").experiment_id
        deadline = time.monotonic() + 120
        while not [r for r in client.search_runs([experiment_id]) if r.info.status == "RUNNING"]:
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the job never opened its run"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)  # it stops within a second or two whatever it was doing
    finally:
        if process.poll() is None:  # never leave a 100000-epoch job running behind the suite
            process.kill()
            process.wait()
    runs = client.search_runs([experiment_id])
    assert {r.info.status for r in runs} == {"FINISHED", "KILLED"}
    killed = [r for r in runs if r.info.status == "KILLED"]
    assert len(killed) == 1
    assert killed[0].data.params["seed"] == "1"  # the config is logged when the run opens
    assert not killed[0].data.metrics  # no half-logged numbers
    assert killed[0].data.tags["trustbench.error"] == "killed"


def test_submitit_launcher_runs_jobs_in_separate_processes(tmp_path: Path):
    """The submitit path (as on SLURM), run locally: one process per job, all runs land."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    out = trustbench(
        ["-m", "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10", "seed=0,1", *TINY],
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    runs = runs_by_experiment(f"sqlite:///{tmp_path}/mlflow.db")
    assert sorted(r.data.params["seed"] for r in runs["trustbench"]) == ["0", "1"]
    assert {r.info.status for r in runs["trustbench"]} == {"FINISHED"}
    assert not runs.get("Default")


@pytest.mark.parametrize(
    ("launcher", "plugin"),
    [
        ("slurm", "hydra_plugins.hydra_submitit_launcher"),
        ("ray_cluster", "hydra_plugins.hydra_ray_launcher"),
    ],
)
def test_cluster_launcher_presets_compose(launcher, plugin):
    pytest.importorskip(plugin)
    from hydra import compose, initialize_config_module

    with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
        cfg = compose(
            config_name="config", overrides=[f"hydra/launcher={launcher}"], return_hydra_config=True
        )
    target = cfg.hydra.launcher._target_
    assert ("Slurm" in target) if launcher == "slurm" else ("Ray" in target)


@pytest.mark.slow
def test_ray_launcher_four_jobs_on_local_ray(tmp_path: Path):
    """Runs in the optional environment (pip install '.[ray]'): a local Ray instance, no dashboard."""
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    out = trustbench(
        [
            "-m",
            "hydra/launcher=ray",
            "+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init._node_ip_address=127.0.0.1",
            "+hydra.launcher.ray.init.include_dashboard=false",
            "+hydra.launcher.ray.remote.num_cpus=1",
            "seed=range(4)",
            *TINY,
        ],
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    runs = runs_by_experiment(f"sqlite:///{tmp_path}/mlflow.db")
    assert sorted(r.data.params["seed"] for r in runs["trustbench"]) == ["0", "1", "2", "3"]
    assert {r.info.status for r in runs["trustbench"]} == {"FINISHED"}
    assert {r.data.params["training.threads"] for r in runs["trustbench"]} == {
        "1"
    }  # ray.remote.num_cpus
    assert not runs.get("Default")
