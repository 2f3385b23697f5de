"""``trustbench -m``: one MLflow run per job, all in the configured experiment, none in Default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mlflow
from tests.conftest import SMALL


def test_multirun_logs_one_run_per_job(tmp_path: Path):
    command = [
        sys.executable,
        "-m",
        "trustbench.run",
        "-m",
        "model=logreg,mlp",
        "seed=0,1",
        *SMALL,
        "suite.bootstrap.n_resamples=50",
        "tracking.experiment=sweep-test",
        "tracking.log_model=false",
    ]
    out = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("sweep-test")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 4
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert {(r.data.params["model.name"], r.data.params["seed"]) for r in runs} == {
        ("logreg", "0"),
        ("logreg", "1"),
        ("mlp", "0"),
        ("mlp", "1"),
    }
    assert len({r.data.tags["trustbench.run_identity"] for r in runs}) == 4
    default = client.get_experiment_by_name("Default")
    assert default is None or not client.search_runs([default.experiment_id])
    job_dirs = [p for p in (tmp_path / "multirun").glob("*/*/*") if p.is_dir()]
    assert len(job_dirs) == 4  # one output folder per job, none shared
    # one comparison table at the end, no per-job summary table
    assert out.stdout.count("sweep of 4 jobs") == 1, out.stdout[-3000:]
    both = out.stdout + out.stderr
    assert "trustbench · heart" not in both and "; trust card " in both  # jobs: one line each
    rows = [line.split()[0] for line in out.stdout.splitlines() if line.lstrip().startswith("#")]
    assert rows == ["#0", "#1", "#2", "#3"]  # job order; labels may fold onto more lines
    assert {r.info.run_name for r in runs} == {
        f"heart-{m}-standard-s{s}" for m in ("logreg", "mlp") for s in (0, 1)
    }
