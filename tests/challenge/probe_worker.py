"""A probe run through the real sandbox launch (same bwrap options, same framing as the worker).

Each operation takes one uint8 array holding its text argument and tries one thing a hostile
submission might; it returns an array, or fails, and the failure comes back as the worker's
one-line error text.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import numpy as np

from trustbench.challenge.worker import serve


def _text(arg: np.ndarray) -> str:
    return np.asarray(arg, dtype=np.uint8).tobytes().decode()


def _bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8).copy()


def whoami(arg: np.ndarray) -> np.ndarray:
    """uid, gid, effective capabilities, pid inside."""
    status = open("/proc/self/status").read()
    caps = int(
        next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff")), 16
    )
    return np.array([os.getuid(), os.getgid(), caps, os.getpid()], dtype=np.int64)


def userns(arg: np.ndarray) -> np.ndarray:
    """Try to create a user namespace (the way to regain capabilities)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return np.array([1])


def connect(arg: np.ndarray) -> np.ndarray:
    host, port = _text(arg).rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=2):
        return np.array([1])


def read(arg: np.ndarray) -> np.ndarray:
    with open(_text(arg), "rb") as f:
        return _bytes(f.read())


def write(arg: np.ndarray) -> np.ndarray:
    with open(_text(arg), "wb") as f:
        f.write(b"written by the probe")
    return np.array([1])


def listdir(arg: np.ndarray) -> np.ndarray:
    return _bytes("\n".join(sorted(os.listdir(_text(arg)))).encode())


def alloc(arg: np.ndarray) -> np.ndarray:
    block = np.ones(int(_text(arg)) * 2**20 // 8)
    return np.array([block.sum()])


def spin(arg: np.ndarray) -> np.ndarray:
    x = 0
    while True:
        x += 1


def sleep(arg: np.ndarray) -> np.ndarray:
    time.sleep(3600)
    return np.array([0])


def threads(arg: np.ndarray) -> np.ndarray:
    """How many of ``arg`` threads could be started."""
    stop = threading.Event()
    started = []
    try:
        for _ in range(int(_text(arg))):
            t = threading.Thread(target=stop.wait)
            t.start()
            started.append(t)
    except RuntimeError:
        pass
    stop.set()
    for t in started:
        t.join()
    return np.array([len(started)])


def forks(arg: np.ndarray) -> np.ndarray:
    """How many of ``arg`` child processes could be forked."""
    children = []
    try:
        for _ in range(int(_text(arg))):
            pid = os.fork()
            if pid == 0:
                time.sleep(5)
                os._exit(0)
            children.append(pid)
    except OSError:
        pass
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return np.array([len(children)])


def big_file(arg: np.ndarray) -> np.ndarray:
    """Write ``arg`` MB to a file in /tmp."""
    with open("/tmp/big", "wb") as f:
        for _ in range(int(_text(arg))):
            f.write(b"\0" * 2**20)
    return np.array([1])


HANDLERS = {
    f.__name__: f
    for f in (
        whoami,
        userns,
        connect,
        read,
        write,
        listdir,
        alloc,
        spin,
        sleep,
        threads,
        forks,
        big_file,
    )
}

if __name__ == "__main__":
    raise SystemExit(serve(HANDLERS, {"format": "probe"}))
