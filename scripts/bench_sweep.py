"""Sweep throughput: runs per minute of the default run with 1, 2 and 4 joblib workers, and the
fixed cost per run (imports, store preparation, MLflow logging) as a share of its time.

    python scripts/bench_sweep.py [--jobs 8] [--workers 1 2 4]

Writes results/bench/sweep.json. Every sweep runs the real `trustbench -m` command into a new
SQLite store in a temporary folder; the per-phase breakdown comes from in-process runs of the
same default config (after one warm-up run that creates the store).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_io import write_result

OUT = Path(__file__).resolve().parent.parent / "results" / "bench" / "sweep.json"


def import_seconds(repeats: int = 3) -> float:
    """Wall time of a fresh interpreter importing what a job imports (median)."""
    code = "import trustbench.run, trustbench.experiment, mlflow.sklearn"
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def phase_breakdown(repeats: int = 3) -> dict[str, float]:
    """Median seconds per phase of the default run, logged to a warm SQLite store."""
    from hydra import compose, initialize_config_module

    from trustbench.experiment import run_experiment

    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
                cfg = compose(config_name="config")
            run_experiment(cfg)  # warm-up: creates the store (schema migration) once
            samples = [run_experiment(cfg).timings for _ in range(repeats)]
        finally:
            os.chdir(cwd)
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def sweep(workers: int, jobs: int) -> dict[str, float]:
    """Wall time of `trustbench -m` over ``jobs`` seeds with ``workers`` joblib workers."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "trustbench.run",
            "-m",
            "hydra/launcher=joblib",
            f"hydra.launcher.n_jobs={workers}",
            f"seed=range({jobs})",
        ]
        start = time.perf_counter()
        subprocess.run(command, cwd=tmp, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        import mlflow

        client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp}/mlflow.db")
        experiment = client.get_experiment_by_name("trustbench")
        landed = len(client.search_runs([experiment.experiment_id], max_results=10_000))
    return {
        "workers": workers,
        "jobs": jobs,
        "runs_landed": landed,
        "seconds": round(seconds, 2),
        "runs_per_minute": round(60 * jobs / seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    imports = import_seconds()
    phases = phase_breakdown()
    fixed = imports + phases.get("store", 0.0) + phases["log"]
    total = imports + sum(phases.values())
    sweeps = [sweep(w, args.jobs) for w in args.workers]
    base = sweeps[0]["runs_per_minute"]
    for row in sweeps:
        row["speedup_vs_first"] = round(row["runs_per_minute"] / base, 2)
    result = {
        "benchmark": "sweep throughput (default run: heart, logreg, all five suites, model logged)",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "per_run_seconds": {
            "import": round(imports, 3),
            **{k: round(v, 3) for k, v in phases.items()},
        },
        "fixed_cost_seconds": round(fixed, 3),
        "fixed_cost_share": round(fixed / total, 3),
        "sweeps": sweeps,
    }
    write_result(OUT, result)


if __name__ == "__main__":
    main()
