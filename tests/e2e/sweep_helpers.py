"""Helpers for sweep tests: run the real `trustbench` command, read what landed in the store."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
from tests.child_services import on_stop, service_process

#: Overrides that make one job cost about a second of work.
TINY = [
    "suite.data.enabled=false",  # the store races are the point, not the data audit
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
    """A local MLflow tracking server on 127.0.0.1 (SQLite backend by default); yields its URI.

    The server runs in its own process group, stopped with its workers when the block ends,
    fails or is interrupted (SIGINT, SIGTERM, SIGHUP: :mod:`tests.child_services`).
    """
    port = free_port()
    backend_uri = backend_uri or f"sqlite:///{workdir}/server.db"
    command = [
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
    ]
    with service_process(
        command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as process:
        uri = f"http://127.0.0.1:{port}"
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


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def postgres_available() -> str | None:
    """Why a throwaway PostgreSQL cluster cannot be started here, or None when it can."""
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        return "PostgreSQL server binaries (initdb, pg_ctl) not found"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser"
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "psycopg2 not installed (pip install 'trustbench[postgres]')"
    return None


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields a SQLAlchemy URI (psycopg2 driver).

    Its data live in a fresh folder under the system temp dir owned by the server's user
    (pytest's own temp dirs are private to root, which PostgreSQL will not run as).
    """
    root = Path(tempfile.mkdtemp(prefix="trustbench-pg-"))
    data = root / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()

    def stop() -> None:
        """``pg_ctl stop``, then SIGKILL to the postmaster if it is still there; the folder
        removed. Safe to call twice (once by the block, once by an interrupted session)."""
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres_user(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=60,
            )
        _kill_postmaster(data)
        shutil.rmtree(root, ignore_errors=True)

    with on_stop(stop):
        subprocess.run(
            _as_postgres_user(["initdb", "-D", str(data), "-U", "postgres", "--auth=trust"]),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -h 127.0.0.1 -k {data}"
        subprocess.run(
            _as_postgres_user(
                ["pg_ctl", "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"


def postmaster_pid(data: Path) -> int | None:
    """The pid of a cluster's running postmaster (first line of ``postmaster.pid``), or None."""
    try:
        return int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _kill_postmaster(data: Path) -> None:
    """SIGKILL the postmaster whose pid file is in ``data``, if it still runs (its backends
    exit when it is gone); a pid that another program reuses is left alone."""
    pid = postmaster_pid(data)
    if pid is None:
        return
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"postgres" in command:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
