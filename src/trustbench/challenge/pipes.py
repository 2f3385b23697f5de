"""The host's side of a worker: its pipes (writes and reads with a deadline), a bounded tail of
its log, and its processes (by host uid)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from collections import deque

__all__ = [
    "LogTail",
    "PipeClosed",
    "PipeTimeout",
    "kill_uid",
    "process_count",
    "processes_of",
    "read_exact",
    "send_all",
]

CHUNK = 1 << 20


class PipeTimeout(Exception):
    """The deadline passed before the transfer was complete."""


class PipeClosed(Exception):
    """The other end closed the pipe (the worker is gone)."""


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise PipeTimeout
    return remaining


def send_all(fd: int, data: bytes, deadline: float) -> None:
    """Write all of ``data`` to the non-blocking ``fd`` before ``deadline`` (monotonic)."""
    view, offset = memoryview(data), 0
    while offset < len(view):
        _, writable, _ = select.select([], [fd], [], _remaining(deadline))
        if not writable:
            continue
        try:
            offset += os.write(fd, view[offset : offset + CHUNK])
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise PipeClosed from None


def read_exact(fd: int, size: int, deadline: float) -> bytearray:
    """Exactly ``size`` bytes from ``fd`` before ``deadline``, read into one buffer."""
    buffer = bytearray(size)
    view, offset = memoryview(buffer), 0
    while offset < size:
        readable, _, _ = select.select([fd], [], [], _remaining(deadline))
        if not readable:
            continue
        got = os.readv(fd, [view[offset : offset + CHUNK]])
        if got == 0:
            raise PipeClosed
        offset += got
    return buffer


class LogTail(threading.Thread):
    """Drain a pipe, keeping only its last ``lines`` lines, each cut to ``width`` characters
    (non-printable characters become spaces). Memory stays bounded whatever the worker writes."""

    def __init__(self, fd: int, lines: int, width: int = 200) -> None:
        super().__init__(daemon=True)
        self.fd, self.width = fd, width
        self.lines: deque[str] = deque(maxlen=max(1, int(lines)))
        self._partial = b""
        self._lock = threading.Lock()

    def run(self) -> None:
        try:
            while chunk := os.read(self.fd, 65536):
                self._feed(chunk)
        except OSError:
            pass
        if self._partial:
            self._push(self._partial)

    def _feed(self, chunk: bytes) -> None:
        parts = (self._partial + chunk).split(b"\n")
        for part in parts[:-1]:
            self._push(part)
        self._partial = parts[-1][: self.width * 4]

    def _push(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace")
        text = "".join(c if c.isprintable() else " " for c in text).strip()
        if text:
            with self._lock:
                self.lines.append(text[: self.width])

    def text(self) -> str:
        """The kept lines joined by `` | ``."""
        with self._lock:
            return " | ".join(self.lines)


def processes_of(uid: int) -> dict[int, int]:
    """Host pid -> thread count of every live (not zombie) process of host ``uid``."""
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid != uid:
                    continue
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
                if state not in (b"Z", b"X"):
                    found[int(entry.name)] = len(os.listdir(f"/proc/{entry.name}/task"))
            except (OSError, IndexError):
                continue
    return found


def process_count(uid: int) -> int:
    """Processes and threads of host ``uid`` (what RLIMIT_NPROC counts)."""
    return sum(processes_of(uid).values())


def kill_uid(uid: int, timeout: float = 2.0) -> bool:
    """SIGKILL every process of host ``uid`` until none is left; whether none is."""
    deadline = time.monotonic() + timeout
    while pids := processes_of(uid):
        if time.monotonic() > deadline:
            return False
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)
    return True
