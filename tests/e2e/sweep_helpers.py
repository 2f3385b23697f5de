"""Helpers for sweep tests: run the real `trustbench` command, read what landed in the store."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow

#: Overrides that make one job cost about a second of work.
TINY = [
    "suite.bootstrap.n_resamples=50",
    "suite.explainability.n_rows=20",
    "tracking.log_model=false",
]


def trustbench(
    args: list[str], cwd: Path, timeout: int = 600, **kwargs
) -> subprocess.CompletedProcess:
    """Run the `trustbench` command (as `python -m trustbench.run`) in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "trustbench.run", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        **kwargs,
    )


def runs_by_experiment(uri: str) -> dict[str, list]:
    """Every run in the store, grouped by experiment name."""
    client = mlflow.MlflowClient(tracking_uri=uri)
    grouped = {}
    for experiment in client.search_experiments():
        grouped[experiment.name] = client.search_runs(
            [experiment.experiment_id], max_results=10_000
        )
    return grouped


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def mlflow_server(
    workdir: Path, backend_uri: str | None = None, startup_timeout: float = 120
) -> Iterator[str]:
    """A local MLflow tracking server on 127.0.0.1 (SQLite backend by default); yields its URI."""
    port = free_port()
    backend_uri = backend_uri or f"sqlite:///{workdir}/server.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            backend_uri,
            "--artifacts-destination",
            str(workdir / "server-artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start (exit code {process.poll()})")
            time.sleep(0.5)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
