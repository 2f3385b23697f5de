"""Services that tests start (an MLflow server, a PostgreSQL cluster, loky workers) stop
when pytest stops, however it stops.

Before: ``python -m pytest`` killed midway (SIGTERM, or SIGINT/Ctrl-C while a server ran in
its own session) left the PostgreSQL cluster, the MLflow server and its workers, and loky
workers running. Now:

- a service is started by :func:`service_process` in its own process group
  (``start_new_session=True``) and stopped, group and all, in a ``finally``; it is also in a
  registry that :func:`stop_all` empties, so that a second signal or an unusual exit path
  still stops it;
- cleanups that are not a process group (``pg_ctl stop`` of a cluster) register with
  :func:`on_stop`;
- SIGTERM and SIGHUP raise ``KeyboardInterrupt`` (as SIGINT does), so pytest unwinds: the
  ``with`` blocks and yield fixtures around a service run their ``finally`` and teardown;
  a second signal stops every registered service at once and exits;
- at the end of the session (and at exit) the reusable loky executor, if one was started,
  is shut down with its workers killed; after an interruption every process still running
  below pytest (a sweep a test started, and its joblib workers) is stopped too.

:mod:`tests.conftest` imports the pytest hooks below; ``-p tests.child_services`` loads
them alone (as ``test_child_services.py`` does for the pytest it interrupts).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

#: Signals turned into KeyboardInterrupt while pytest runs (SIGINT already is one).
SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_lock = threading.RLock()
_groups: dict[int, subprocess.Popen] = {}
_cleanups: dict[int, Callable[[], None]] = {}
_ids = itertools.count()
_previous: dict[int, Any] = {}
_interrupted = False


def stop_process_group(process: subprocess.Popen, grace_s: float = 20) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started:
    SIGTERM to its process group, then, after ``grace_s`` or once the leader is gone, SIGKILL
    to what is left of the group (a server's workers that outlived their master)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)


@contextmanager
def service_process(
    command: list[str], grace_s: float = 20, **popen: Any
) -> Iterator[subprocess.Popen]:
    """``subprocess.Popen(command)`` in its own process group, registered for
    :func:`stop_all`, and stopped (:func:`stop_process_group`) when the block ends for any
    reason."""
    process = subprocess.Popen(command, start_new_session=True, **popen)
    with _lock:
        _groups[process.pid] = process
    try:
        yield process
    finally:
        try:
            stop_process_group(process, grace_s)
        finally:
            with _lock:
                _groups.pop(process.pid, None)


@contextmanager
def on_stop(cleanup: Callable[[], None]) -> Iterator[None]:
    """Register ``cleanup`` for :func:`stop_all` while the block runs (and call it when the
    block ends: a cleanup must be safe to call twice)."""
    key = next(_ids)
    with _lock:
        _cleanups[key] = cleanup
    try:
        yield
    finally:
        with _lock:
            _cleanups.pop(key, None)
        cleanup()


def stop_loky() -> None:
    """Shut down the reusable loky executor (joblib's process pool) and kill its workers,
    when one was started; never starts one."""
    module = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(module, "_executor", None) if module is not None else None
    if executor is not None:
        with contextlib.suppress(Exception):
            executor.shutdown(wait=True, kill_workers=True)


def stop_all(grace_s: float = 5, interrupted: bool = False) -> None:
    """Stop every registered service now: cleanups, then process groups, then loky; after an
    interruption also every process still running below this one."""
    with _lock:
        cleanups = list(_cleanups.values())
        groups = list(_groups.values())
        _cleanups.clear()
        _groups.clear()
    for cleanup in cleanups:
        with contextlib.suppress(Exception):
            cleanup()
    for process in groups:
        stop_process_group(process, grace_s)
    stop_loky()
    if interrupted or _interrupted:
        stop_descendants(grace_s)


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below ``pid`` (default: this one), from ``/proc``, parents first."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":  # a zombie is gone already
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], list(children.get(root, []))
    while todo:
        child = todo.pop(0)
        out.append(child)
        todo.extend(children.get(child, []))
    return out


def stop_descendants(grace_s: float = 5) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``, to every process below this one (a sweep a
    test started with ``Popen`` and its workers): what an interrupted session leaves."""
    import time

    found = descendants()
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(p in descendants() for p in found):
        time.sleep(0.1)
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _interrupt(signum: int, frame: Any) -> None:
    """First signal: unwind as Ctrl-C does. A second one: stop everything and exit."""
    global _interrupted
    if _interrupted:
        stop_all(grace_s=2, interrupted=True)
        os._exit(128 + signum)
    _interrupted = True
    raise KeyboardInterrupt(f"pytest stopped by signal {signal.Signals(signum).name}")


def install() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt (main thread only) and stop every
    registered service at exit."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        if signum not in _previous:
            _previous[signum] = signal.signal(signum, _interrupt)
    atexit.register(stop_all)


def uninstall() -> None:
    """Restore the signal handlers :func:`install` replaced."""
    for signum, handler in list(_previous.items()):
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signum, handler)
        _previous.pop(signum, None)


def pytest_configure(config: Any) -> None:
    """Pytest hook: install the handlers for the whole session."""
    install()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Pytest hook, after pytest's own (which tears the session's fixtures down): stop
    whatever is left, loky included (and, when the session was interrupted, any process a
    test started and left running)."""
    stop_all(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)


def pytest_unconfigure(config: Any) -> None:
    """Pytest hook: restore the signal handlers."""
    uninstall()
