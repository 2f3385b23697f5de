"""Faults that must lose nothing: a job of a sweep stopped by SIGTERM, an artifact store that
cannot be written. The real ``trustbench`` command in a subprocess, each bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
from tests.e2e.sweep_helpers import runs_by_experiment, trustbench

from trustbench.errors import ConfigError
from trustbench.tracking import relog
from trustbench.tracking.store import open_existing_store

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")

#: Three mlp jobs on two joblib workers: the first trains for ever until it is stopped; the
#: third starts only when a worker is free. Only the performance suite runs: the test is
#: about the jobs, and the fixed cost of a sweep (imports, workers, store) is most of a minute.
SWEEP = [
    "-m",
    "hydra/launcher=joblib",
    "hydra.launcher.n_jobs=2",
    "experiment=smoke",
    "model=mlp",
    "trainer.epochs=100000,2,3",
    "suite.bootstrap.n_resamples=50",
    *(f"suite.{s}.enabled=false" for s in ("explainability", "privacy", "fairness")),
    *(f"suite.{s}.enabled=false" for s in ("generalization", "uncertainty")),
    "tracking.experiment=sigterm",
]


def _running_long_job(uri: str):
    """The long job's run once it is RUNNING, else None; the store is read only once the
    sweep has created it (never migrated by this reader)."""
    try:
        client = open_existing_store(uri)
    except ConfigError:  # not created yet
        return None
    experiment = client.get_experiment_by_name("sigterm")
    runs = client.search_runs([experiment.experiment_id]) if experiment else []
    running = [
        r
        for r in runs
        if r.info.status == "RUNNING" and r.data.params.get("trainer.epochs") == "100000"
    ]
    return running[0] if running else None


def test_sigterm_to_one_joblib_worker_stops_its_job_only(tmp_path: Path):
    """Before, the stopped job's Terminated reached joblib, which tore the sweep down (rc 1,
    three tracebacks, a sibling's run left RUNNING, the remaining jobs never started)."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    sweep = subprocess.Popen(
        [sys.executable, "-m", "trustbench.run", *SWEEP],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        target = None
        while target is None:
            assert sweep.poll() is None, sweep.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the long job never opened its run"
            time.sleep(0.2)
            target = _running_long_job(uri)
        worker = int(target.data.tags["trustbench.pid"])  # each run names its process
        assert worker != sweep.pid  # a joblib worker, not the launching process
        os.kill(worker, signal.SIGTERM)
        _, stderr = sweep.communicate(timeout=120)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.communicate()
    assert sweep.returncode == 1  # a job did not finish: the sweep is not a success
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "trustbench: stopped by SIGTERM" in stderr
    runs = runs_by_experiment(uri)["sigterm"]
    status = {r.data.params["trainer.epochs"]: r.info.status for r in runs}
    assert status == {"100000": "KILLED", "2": "FINISHED", "3": "FINISHED"}, status
    (killed,) = [r for r in runs if r.info.status == "KILLED"]
    assert killed.info.run_id == target.info.run_id
    assert killed.data.tags["trustbench.error"] == "killed" and not killed.data.metrics
    assert all("performance/accuracy" in r.data.metrics for r in runs if r is not killed)
    saved = sorted(p.parent.name for p in tmp_path.glob("multirun/*/*/*/artifacts"))
    assert saved == ["1", "2"]  # each finished job's artifacts, in its own job folder


def test_unwritable_artifact_store_loses_nothing_and_the_run_relogs(tmp_path: Path):
    """Before, the run ended FAILED with a traceback and its report and artifacts were lost."""
    (tmp_path / "mlruns").write_text("")  # the artifact root cannot be a folder: OSError
    out = trustbench(
        [
            "experiment=smoke",
            "suite.bootstrap.n_resamples=50",
            "suite.explainability.enabled=false",
            "suite.privacy.enabled=false",
        ],
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 1, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    (line,) = [x for x in out.stderr.splitlines() if x.startswith("trustbench: error:")]
    (folder,) = list((tmp_path / "outputs").glob("*/*/artifacts"))
    assert "NotADirectoryError" in line and "nothing is lost" in line
    assert f"python -m trustbench.relog {folder}" in line
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    (failed,) = runs_by_experiment(uri)["smoke"]
    assert failed.info.status == "FAILED"
    assert (folder / "trust_report.json").is_file() and (folder / "predictions.parquet").is_file()

    (tmp_path / "mlruns").unlink()  # the cause fixed
    run_id = relog(folder)  # into the store and experiment the run was logging to
    client = mlflow.MlflowClient(tracking_uri=uri)
    new = client.get_run(run_id)
    assert new.info.status == "FINISHED" and "performance/accuracy" in new.data.metrics
    assert "trust_report.json" in {a.path for a in client.list_artifacts(run_id)}
