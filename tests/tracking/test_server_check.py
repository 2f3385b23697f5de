"""A tracking URI with no server behind it fails in one line within seconds.

Before: ``trustbench tracking.uri=http://127.0.0.1:5999`` (nothing listening) spent about
277 s in MLflow's HTTP retries, then printed a 120-line traceback; ``trustbench-leaderboard``
did the same. Now the server is asked first (``GET /health``, a few seconds, no retries) by
every entry point that opens a store (:func:`~trustbench.tracking.prepare_experiment`, the
sweep callback, :func:`~trustbench.tracking.store.open_existing_store`).
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from trustbench.errors import ConfigError
from trustbench.tracking import prepare_experiment
from trustbench.tracking import server_check as sc
from trustbench.tracking.store import open_existing_store

LIMIT_S = 15.0
#: The cheapest run that gets as far as the store (suites off, synthetic data).
FAST = [
    "experiment=smoke",
    *(
        f"suite.{s}.enabled=false"
        for s in (
            "data",
            "performance",
            "fairness",
            "generalization",
            "uncertainty",
            "explainability",
            "privacy",
        )
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _http(answers: dict[str, tuple[int, str, bytes]]) -> Iterator[str]:
    """A local HTTP server answering ``GET path`` with ``(status, content type, body)``
    (404 for other paths); yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, kind, body = answers.get(self.path, (404, "text/html", b"<h1>nope</h1>"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _silent_listener() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


def test_nothing_listening_fails_fast_naming_uri_reason_and_fix():
    uri = f"http://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        prepare_experiment(uri, "trustbench")
    assert time.monotonic() - start < LIMIT_S
    assert _one_line(info.value) == (
        f"tracking uri {uri}: no MLflow server answers (connection refused: nothing listens on "
        f"that port); start one (mlflow server --backend-store-uri sqlite:///mlflow.db --host "
        f"127.0.0.1 --port {uri.rsplit(':', 1)[1]}), or use the default local store "
        "sqlite:///mlflow.db"
    )


def test_reader_of_a_dead_server_fails_fast_too():
    uri = f"http://127.0.0.1:{_free_port()}/"
    start = time.monotonic()
    with pytest.raises(ConfigError, match="connection refused"):
        open_existing_store(uri)
    assert time.monotonic() - start < LIMIT_S


def test_server_that_never_answers_is_a_timeout(monkeypatch):
    monkeypatch.setattr(sc, "TIMEOUT_S", 1.0)
    with _silent_listener() as uri:
        start = time.monotonic()
        with pytest.raises(ConfigError) as info:
            prepare_experiment(uri, "trustbench")
        assert time.monotonic() - start < LIMIT_S
    assert "no answer within 1 s (timeout)" in _one_line(info.value)
    assert "mlflow server" in str(info.value)


def test_a_web_server_that_is_not_mlflow_is_named_as_such():
    with _http({}) as uri:
        with pytest.raises(ConfigError) as info:
            prepare_experiment(uri, "trustbench")
    text = _one_line(info.value)
    assert text.startswith(f"tracking uri {uri}: the server there is not an MLflow tracking")
    assert "GET /health answered 404" in text and "`mlflow server`" in text


def test_an_mlflow_server_passes():
    with _http({"/health": (200, "text/plain", b"OK")}) as uri:
        sc.check_server(uri)
    # behind a prefix or a proxy without /health: the REST API answering JSON is enough
    answer = (200, "application/json", b'{"experiments": []}')
    with _http({sc.REST_PROBE: answer}) as uri:
        sc.check_server(uri)
    with _http({sc.REST_PROBE: (401, "text/plain", b"auth")}) as uri:
        sc.check_server(uri)  # credentials: MLflow's to send


def test_local_stores_are_not_probed(tmp_path):
    for uri in (f"sqlite:///{tmp_path}/x.db", str(tmp_path), "file:///tmp/x", "databricks"):
        sc.check_server(uri)


def test_password_never_printed():
    port = _free_port()
    with pytest.raises(ConfigError) as info:
        sc.check_server(f"http://me:s3cret@127.0.0.1:{port}")
    assert "s3cret" not in str(info.value) and "me:***@" in str(info.value)


def test_postgres_nothing_listening_fails_fast():
    pytest.importorskip("psycopg2")
    uri = f"postgresql+psycopg2://u:pw@127.0.0.1:{_free_port()}/mlflow"
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        prepare_experiment(uri, "trustbench")
    assert time.monotonic() - start < LIMIT_S
    text = _one_line(info.value)
    assert "the database server cannot be reached (connection refused" in text
    assert "pw@" not in text and "sqlite:///mlflow.db" in text


def _command(module: str, args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    return out, time.monotonic() - start


def test_trustbench_command_with_dead_server_is_one_line(tmp_path):
    port = _free_port()
    out, seconds = _command(
        "trustbench.run", [*FAST, f"tracking.uri=http://127.0.0.1:{port}"], tmp_path
    )
    assert out.returncode == 2, out.stderr[-3000:]
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith(
        f"trustbench: error: tracking uri http://127.0.0.1:{port}: no MLflow server answers "
        "(connection refused"
    )
    assert "Traceback" not in out.stderr
    # the whole command, imports and data loading included (before: 277 s of retries)
    assert seconds < 60, seconds


def test_sweep_with_dead_server_stops_before_any_job(tmp_path):
    port = _free_port()
    out, _ = _command(
        "trustbench.run",
        ["-m", *FAST, "seed=0,1", f"tracking.uri=http://127.0.0.1:{port}"],
        tmp_path,
    )
    assert out.returncode != 0
    assert "no MLflow server answers (connection refused" in out.stderr
    assert "Traceback" not in out.stderr and "Launching" not in out.stdout + out.stderr


def test_leaderboard_with_dead_server_is_one_line(tmp_path):
    port = _free_port()
    out, seconds = _command(
        "trustbench.leaderboard.cli", [f"tracking_uri=http://127.0.0.1:{port}"], tmp_path
    )
    assert out.returncode == 2, out.stderr[-3000:]
    assert out.stderr.strip().splitlines() == [
        f"trustbench-leaderboard: error: tracking uri http://127.0.0.1:{port}: no MLflow server "
        "answers (connection refused: nothing listens on that port); start one (mlflow server "
        f"--backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port {port}), or use the "
        "default local store sqlite:///mlflow.db"
    ]
    assert seconds < 60, seconds
