"""``python -m pytest`` stopped midway (SIGTERM, SIGINT) leaves no service running.

Before: a session killed with SIGTERM died at once, so no ``finally`` and no fixture teardown
ran, and the PostgreSQL cluster, the MLflow server (its own session, so a Ctrl-C never
reached it) and loky workers kept running. Here a pytest subprocess runs a small test file
whose session fixture starts a service the way :mod:`tests.e2e.sweep_helpers` does (its own
process group, with a grandchild like a server's workers), a registered cleanup like the
PostgreSQL cluster's ``pg_ctl stop``, loky workers and a plain ``Popen`` child (a sweep a
test started); once every pid is written, the test sends the signal and checks that every
one of them is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tests.e2e.sweep_helpers import postgres_available

REPO = Path(__file__).resolve().parents[2]

INNER = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    from pathlib import Path

    import pytest
    from tests.child_services import on_stop, service_process

    PIDS = Path(os.environ["PIDS_FILE"])
    SLEEP = [sys.executable, "-c", "import time; time.sleep(600)"]
    PARENT = [sys.executable, "-c",
              "import subprocess, sys, time; c = subprocess.Popen(%r); "
              "print(c.pid, flush=True); time.sleep(600)" % (SLEEP,)]


    @pytest.fixture(scope="session")
    def service():
        with service_process(PARENT, stdout=subprocess.PIPE, text=True) as process:
            grandchild = int(process.stdout.readline())
            cleanup = subprocess.Popen(SLEEP, start_new_session=True)  # stopped by a callback
            with on_stop(lambda: (cleanup.kill(), cleanup.wait())):
                yield {"service": process.pid, "grandchild": grandchild, "cleanup": cleanup.pid}


    def test_runs_until_stopped(service):
        from joblib.externals.loky import get_reusable_executor

        executor = get_reusable_executor(max_workers=2)
        ran = {f.result() for f in [executor.submit(os.getpid) for _ in range(8)]}
        workers = sorted(ran | set(executor._processes))  # every worker, busy or not
        popen = subprocess.Popen(SLEEP)  # a plain child, like a sweep a test started
        PIDS.write_text(json.dumps({**service, "loky": workers, "popen": popen.pid}))
        time.sleep(600)
    """
)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, waiting for a parent that never reaps it, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(path: Path, process: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text():
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "the inner test never started its services"
        time.sleep(0.2)
    return json.loads(path.read_text())


def _start_inner(tmp_path: Path, body: str) -> tuple[subprocess.Popen, Path]:
    (tmp_path / "test_inner.py").write_text(body)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    pids = tmp_path / "pids.json"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "tests.child_services",
            "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
            "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py"),
        ],
        cwd=REPO,
        env={**os.environ, "PIDS_FILE": str(pids), "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # only the signal this test sends reaches it
    )  # fmt: skip
    return process, pids


def _stop_and_check(process: subprocess.Popen, signum: int, pids: list[int]) -> str:
    assert all(_alive(pid) for pid in pids), pids
    process.send_signal(signum)
    try:
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # never leave it behind, whatever failed
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in pids if _alive(pid)]
    for pid in left:  # clean up after a failure, then report it
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"still running after {signal.Signals(signum).name}: {left}\n{out[-3000:]}"
    return out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_midway_stops_every_service(tmp_path: Path, signum: int):
    process, pids_file = _start_inner(tmp_path, INNER)
    found = _wait_for(pids_file, process, timeout=120)
    assert len(found["loky"]) >= 1
    pids = [found["service"], found["grandchild"], found["cleanup"], found["popen"], *found["loky"]]
    out = _stop_and_check(process, signum, pids)
    assert process.returncode != 0
    assert "KeyboardInterrupt" in out or "Interrupted" in out or "!!!" in out, out[-2000:]


SERVERS = textwrap.dedent(
    """
    import json, os, subprocess, time
    from pathlib import Path

    from tests.e2e.sweep_helpers import mlflow_server, postgres_cluster


    def pgrep(*args):
        found = subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout
        return [int(pid) for pid in found.split()]


    def test_runs_until_stopped(tmp_path):
        with postgres_cluster() as backend, mlflow_server(tmp_path, backend_uri=backend) as uri:
            pg_port = backend.rsplit(":", 1)[1].split("/")[0]
            (master,) = pgrep("-f", "--", f"mlflow server .*--port {uri.rsplit(':', 1)[1]}")
            pids = {
                "postgres": pgrep("-f", "--", f"-p {pg_port} -h 127.0.0.1"),
                "server": pgrep("-g", str(os.getpgid(master))),  # the server and its workers
            }
            Path(os.environ["PIDS_FILE"]).write_text(json.dumps(pids))
            time.sleep(600)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(postgres_available() is not None, reason=str(postgres_available()))
def test_sigterm_midway_stops_postgres_and_the_mlflow_server(tmp_path: Path):
    """The real services: a PostgreSQL cluster and an MLflow server on it, then SIGTERM."""
    process, pids_file = _start_inner(tmp_path, SERVERS)
    found = _wait_for(pids_file, process, timeout=300)
    assert found["postgres"] and len(found["server"]) > 1, found  # master and workers
    pids = [*found["postgres"], *found["server"]]
    _stop_and_check(process, signal.SIGTERM, pids)
