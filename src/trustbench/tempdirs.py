"""Temporary folders that a killed process does not leak.

A folder made with ``tempfile.TemporaryDirectory`` is removed when its block ends, normally
or by an exception, but not when the process is killed with SIGKILL (``kill -9``, the
out-of-memory killer, a cluster's hard limit). So every temporary folder trustbench makes is
named after the process that owns it,
``trustbench-<kind>-<host>-<pid>-<start>-<random>`` in the system temp folder, and the next
trustbench process that makes one first removes the folders whose owner is gone: made on this
host, by a process that no longer runs (or whose pid now belongs to a process started at
another time), and owned by the same user. Folders of running processes, of other hosts
sharing the temp folder and of other users are left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "trustbench-"
#: ``trustbench-<kind>-<host>-<pid>-<start>-<random>``; kind is lower-case letters and dashes.
_NAME = re.compile(
    r"^trustbench-(?P<kind>[a-z]+(?:-[a-z]+)*)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)-"
)
_swept = False


def host_token() -> str:
    """8 hex digits naming this host (a hash of its host name) in a folder name."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3 onwards of ``/proc/<pid>/stat`` (state first); None where unreadable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[-1].split()  # the command name may hold spaces and ')'


def process_start(pid: int) -> int:
    """When process ``pid`` started, in clock ticks since boot (``/proc/<pid>/stat``); 0 when
    unknown (not Linux, or no such process).

    With the pid it tells a process apart from a later one that was given the same pid.
    """
    fields = _proc_stat(pid)
    try:
        return int(fields[19]) if fields else 0  # field 22 of proc(5); fields[0] is field 3
    except (IndexError, ValueError):
        return 0


def process_alive(pid: int, start: int = 0) -> bool:
    """True when process ``pid`` runs on this host and, where ``start`` is known (not 0), is
    the process that started then (not a later one given the same pid).

    A zombie (exited, not yet reaped by its parent) is not alive.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    fields = _proc_stat(pid)
    if fields is None:  # not Linux: the pid exists, which is all that can be told
        return not Path("/proc/self/stat").exists()
    if fields[0] in ("Z", "X"):
        return False
    if start:
        try:
            return int(fields[19]) == start
        except (IndexError, ValueError):
            return True
    return True


def _remove(path: Path) -> None:
    """Remove a folder tree, making read-only folders inside it (a sandbox's) writable first."""

    def retry(function, name, _exc) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(name), stat.S_IRWXU)
            function(name)

    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IRWXU)
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:  # pragma: no cover - Python 3.10 and 3.11
        shutil.rmtree(path, onerror=retry)


def remove_stale_temp_dirs(root: Path | str | None = None) -> list[Path]:
    """Remove the ``trustbench-*`` folders in ``root`` (the system temp folder by default)
    whose owning process is gone; returns the folders removed.

    A folder is removed only when its name says it was made on this host, its process is no
    longer alive (:func:`process_alive`) and it belongs to the current user. Folders whose name
    carries no owner (made by older trustbench versions) are left alone.
    """
    root = Path(root if root is not None else tempfile.gettempdir())
    me, host, removed = os.geteuid(), host_token(), []
    try:
        entries = list(root.glob(f"{PREFIX}*"))
    except OSError:
        return removed
    for path in entries:
        match = _NAME.match(path.name)
        if match is None or match["host"] != host:
            continue
        try:
            info = path.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != me:
            continue
        if process_alive(int(match["pid"]), int(match["start"])):
            continue
        _remove(path)
        if not path.exists():
            removed.append(path)
    if removed:
        log.info(
            "removed %d temporary folder(s) left by killed trustbench processes in %s",
            len(removed),
            root,
        )
    return removed


def make_temp_dir(kind: str) -> Path:
    """A new private folder ``trustbench-<kind>-<host>-<pid>-<start>-<random>`` in the system
    temp folder; the caller removes it.

    The first call in a process removes the folders killed processes left behind
    (:func:`remove_stale_temp_dirs`).

    Parameters
    ----------
    kind : str
        What the folder is for, lower-case letters and dashes (``"log"``, ``"sandbox"``).
    """
    if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", kind):
        raise ValueError(
            f"temporary folder kind {kind!r}: expected lower-case letters and dashes, "
            f"such as 'log' or 'sandbox'"
        )
    global _swept
    if not _swept:
        _swept = True
        remove_stale_temp_dirs()
    pid = os.getpid()
    prefix = f"{PREFIX}{kind}-{host_token()}-{pid}-{process_start(pid)}-"
    return Path(tempfile.mkdtemp(prefix=prefix))


@contextlib.contextmanager
def temp_dir(kind: str) -> Iterator[Path]:
    """A :func:`make_temp_dir` folder for the block, removed when the block ends."""
    path = make_temp_dir(kind)
    try:
        yield path
    finally:
        _remove(path)
