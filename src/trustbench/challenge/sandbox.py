"""Run a submitted model in a separate, unprivileged, isolated worker process.

Every load and every query of a submission goes through a :class:`Sandbox`: it stages private
copies of the model and the worker's modules (:mod:`~trustbench.challenge.staging`), starts
:mod:`~trustbench.challenge.worker` under bubblewrap (no network, not even the host's
loopback; a read-only view of only what it needs plus a private ``/tmp``; an unprivileged uid
without capabilities; CPU, memory, process and file-size limits: the command line and why,
:mod:`~trustbench.challenge.isolation`) and queries it over pipes, each request under a
wall-clock limit. A reply over ``max_output_mb`` is refused before it is read (inputs go in
batches whose expected replies stay well below it); probabilities must be finite, of shape
``(n, K)``, in [0, 1], rows summing to 1 within 1e-4; logits and gradients finite and of the
expected shape. On a timeout, an oversized reply or a dead worker the whole worker is
killed. Every failure raises :class:`SandboxError`: one line, with the last
``log_tail_lines`` lines of the worker's stderr (each cut to 200 characters). Only inputs
enter the worker (labels never do); only numeric arrays come back (``allow_pickle=False``).

Without bubblewrap, or where it cannot build a sandbox, :class:`Sandbox` refuses to start
unless ``allow_unisolated=True``: the worker is then a plain child process with the same
rlimits, clean environment, timeouts and checks, but the host's network and files, and
:attr:`Sandbox.isolated` is ``False`` (the caller records it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trustbench.challenge.isolation import (
    Launch,
    SandboxLimits,
    describe_exit,
    isolation_available,
    launch_mode,
    probe,
)
from trustbench.challenge.pipes import (
    LogTail,
    PipeClosed,
    PipeTimeout,
    kill_uid,
    read_exact,
    send_all,
)
from trustbench.challenge.staging import stage, worker_files
from trustbench.challenge.worker import (
    ARRAY,
    ERROR,
    FORMATS,
    HEADER,
    OP,
    READY,
    decode_array,
    encode_array,
    frame,
)

__all__ = ["Sandbox", "SandboxError", "SandboxLimits", "isolation_available", "launch_mode"]


class SandboxError(Exception):
    """A submission's model could not be loaded or queried; ``reason`` is one line a team may see."""

    def __init__(self, reason: str) -> None:
        reason = " ".join(str(reason).split())
        super().__init__(reason)
        self.reason = reason


class Sandbox:
    """A submitted model loaded in an isolated worker; query it with :meth:`predict_proba`,
    :meth:`forward` and :meth:`vjp` (see the module docstring for the isolation).

    Parameters
    ----------
    model_path : path
        The submitted ONNX or safetensors file (copied to a private staging directory).
    fmt : ``"onnx"`` or ``"safetensors"``
    architecture : str, optional
        For safetensors: an architecture of :mod:`trustbench.challenge.architectures`.
    dims : mapping, optional
        For safetensors: the architecture's dimensions (``in_features``, ``n_classes``, ...).
    limits : SandboxLimits
    allow_unisolated : bool
        Run without isolation where bubblewrap is unavailable (recorded as :attr:`isolated`).
    n_classes : int, optional
        The expected width of ``predict_proba``; default the architecture's ``n_classes``, or
        the ONNX output's static width, or the width of the first reply.

    A context manager (or :meth:`start` / :meth:`close`). Once started: ``isolated``,
    ``isolation`` (one line), ``host_uid`` (-1: the caller's), ``startup_seconds``, ``info``.
    """

    #: the module run inside, and the formats it accepts
    worker_module = "trustbench.challenge.worker"
    formats: tuple[str, ...] = FORMATS

    def __init__(
        self,
        model_path: str | os.PathLike,
        fmt: str,
        architecture: str | None = None,
        dims: Mapping[str, int] | None = None,
        limits: SandboxLimits = SandboxLimits(),  # noqa: B008 (frozen)
        allow_unisolated: bool = False,
        n_classes: int | None = None,
    ) -> None:
        if fmt not in self.formats:
            raise SandboxError(f"format must be one of {list(self.formats)}; received '{fmt}'")
        if fmt == "safetensors" and (architecture is None or dims is None):
            raise SandboxError("a safetensors model needs its architecture and dims")
        self.model_path = Path(model_path)
        self.fmt = fmt
        self.architecture = architecture
        self.dims = dict(dims or {})
        self.limits = limits
        self.allow_unisolated = allow_unisolated
        self.n_classes = n_classes if n_classes is not None else self.dims.get("n_classes")
        self.isolated: bool | None = None
        self.isolation = ""
        self.host_uid = -1
        self.startup_seconds = float("nan")
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen | None = None
        self._log: LogTail | None = None
        self._staging: Path | None = None
        self._broken: str | None = None
        self._lock = threading.Lock()  # one request at a time on the pipes

    # -- life cycle -----------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _code_files(self) -> dict[str, Path | str]:
        """Path inside the staged code folder -> source file, or the text of a stub."""
        return worker_files()

    def _worker_args(self, model_path: str) -> list[str]:
        args = [model_path, self.fmt]
        if self.fmt == "safetensors":
            args += [str(self.architecture), json.dumps(self.dims)]
        return args

    @property
    def model_name(self) -> str:
        """The model's file name inside the sandbox."""
        return f"model.{self.fmt}"

    def start(self) -> Sandbox:
        """Stage the files, start the worker, wait until the model is loaded."""
        if self._proc is not None:
            return self
        mode, description, bwrap, features = probe()
        if mode is None and not self.allow_unisolated:
            raise SandboxError(
                f"no isolation available ({description}); refusing to run a submission "
                "unisolated (allow_unisolated=True overrides, and must be recorded)"
            )
        self.isolated = mode is not None
        self.isolation = description if self.isolated else f"none ({description})"
        self._broken = None
        if not self.model_path.is_file():
            raise SandboxError(f"model file not found: {self.model_path.name}")
        self._staging = stage(self.model_path, self.model_name, self._code_files())
        code, model_dir = self._staging / "code", self._staging / "model"
        launch = Launch(mode, bwrap, features, self.limits, self._staging, code, model_dir)
        self.host_uid = launch.host_uid
        argv = launch.worker_argv(
            self.worker_module, self._worker_args(launch.model_path(self.model_name))
        )
        started = time.perf_counter()
        try:
            self._proc = launch.popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            self.close()
            raise SandboxError(f"the worker could not be started: {exc}") from None
        self._log = LogTail(self._proc.stderr.fileno(), self.limits.log_tail_lines)
        self._log.start()
        os.set_blocking(self._proc.stdin.fileno(), False)
        try:
            kind, payload = self._receive("start-up", self.limits.startup_seconds, 1 << 16)
            if kind == ERROR:
                self._fail(f"the model could not be loaded: {payload.decode('utf-8', 'replace')}")
            if kind != READY:
                self._fail("the worker did not report ready (protocol error)")
            self.info = json.loads(payload)
        except SandboxError:
            self.close()
            raise
        except ValueError:
            self.close()
            raise SandboxError("the worker's ready message is not valid JSON") from None
        self.startup_seconds = time.perf_counter() - started
        if self.n_classes is None and isinstance(self.info.get("n_classes"), int):
            self.n_classes = self.info["n_classes"]
        return self

    def close(self) -> None:
        """End the worker (end of input, then SIGKILL after 2 s) and remove the staged files."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
            self._kill(proc)  # what is left, if anything
            proc.stdout.close()
            if self._log is not None:
                self._log.join(timeout=2)
            proc.stderr.close()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def _kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL bwrap (its sandbox dies with it) and, under a sandbox's own host uid, every
        process left of that uid; returns once they are gone."""
        if proc.poll() is None:  # not reaped yet: its process group is still its own
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if self.host_uid >= 0:
            kill_uid(self.host_uid)

    def log_tail(self) -> str:
        """The last lines of the worker's stderr, joined by `` | ``."""
        return self._log.text() if self._log is not None else ""

    # -- failures -------------------------------------------------------------------------
    def _exit_cause(self) -> str:
        proc = self._proc
        if proc is None:
            return "the worker is not running"
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            return "the worker stopped answering"
        return describe_exit(code, self.limits, sandboxed=bool(self.isolated))

    def _fail(self, reason: str) -> None:
        """Stop the worker and raise :class:`SandboxError` with ``reason`` and the log tail."""
        if self._proc is not None:
            self._kill(self._proc)
        self._raise(reason)

    def _raise(self, reason: str) -> None:
        self._broken = reason
        if self._log is not None:
            self._log.join(timeout=1)
        tail = self.log_tail()
        raise SandboxError(f"{reason}; worker log: {tail}" if tail else reason)

    # -- transport ------------------------------------------------------------------------
    def _transfer(self, op: str, fn, *args):
        """Run a pipe transfer; a timeout or a closed pipe stops the worker and raises."""
        try:
            return fn(*args)
        except PipeTimeout:
            limits = self.limits
            seconds = limits.startup_seconds if op == "start-up" else limits.wall_seconds
            self._fail(
                f"the model did not answer '{op}' within {seconds:g} s (wall-clock limit); "
                "the worker was stopped"
            )
        except PipeClosed:
            self._raise(f"{self._exit_cause()} during '{op}'")

    def _receive(self, op: str, seconds: float, cap: int) -> tuple[bytes, bytes]:
        deadline = time.monotonic() + seconds
        out = self._proc.stdout.fileno()
        head = self._transfer(op, read_exact, out, HEADER.size, deadline)
        kind, length = HEADER.unpack(bytes(head))
        if kind not in (ARRAY, ERROR, READY):
            self._fail(f"the worker broke the protocol during '{op}'")
        if kind != ARRAY:
            cap = min(cap, 1 << 16)
        if length > cap:
            self._fail(
                f"model output refused: the reply to '{op}' is {length / 2**20:.1f} MB, over "
                f"the {cap / 2**20:g} MB cap; the worker was stopped"
            )
        return kind, bytes(self._transfer(op, read_exact, out, length, deadline))

    def call(self, op: str, *arrays: np.ndarray) -> np.ndarray:
        """One request: ``op`` on ``arrays`` (sent whole), its reply array, unchecked.

        Raises
        ------
        SandboxError
            On an error reply, a timeout, a dead worker or a reply over the cap.
        """
        with self._lock:
            return self._call(op, arrays)

    def _call(self, op: str, arrays: tuple[np.ndarray, ...]) -> np.ndarray:
        if self._proc is None:
            raise SandboxError(self._broken or "the sandbox is not started")
        if self._broken:
            raise SandboxError(f"the sandbox is no longer usable: {self._broken}")
        data = frame(OP, op.encode("ascii")) + b"".join(
            frame(ARRAY, encode_array(a)) for a in arrays
        )
        deadline = time.monotonic() + self.limits.wall_seconds
        self._transfer(op, send_all, self._proc.stdin.fileno(), data, deadline)
        cap = int(self.limits.max_output_mb * (1 << 20))
        kind, payload = self._receive(op, max(0.0, deadline - time.monotonic()), cap)
        if kind == ERROR:
            text = payload.decode("utf-8", "replace")
            if text.startswith("out of memory"):  # the worker exits after reporting it
                self._fail(
                    f"the worker ran out of memory (limit {self.limits.memory_mb} MB) during '{op}'"
                )
            raise SandboxError(f"the model failed on '{op}': {text}")
        try:
            return decode_array(payload)
        except (ValueError, TypeError, EOFError) as exc:
            self._fail(f"model output refused: '{op}' did not return a numeric array ({exc})")
            raise  # unreachable: _fail raises

    # -- queries --------------------------------------------------------------------------
    def _rows(self, X: np.ndarray, out_values: int) -> int:
        """Rows per request so that neither it nor its reply (``out_values`` float64 values a
        row) exceeds half the output cap, and at most ``batch_rows``."""
        budget = int(self.limits.max_output_mb * (1 << 20)) // 2
        row = max(int(np.prod(X.shape[1:])) * 4, out_values * 8, 1)
        return max(1, min(int(self.limits.batch_rows), budget // row))

    @staticmethod
    def _inputs(X: Any) -> np.ndarray:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf" or X.ndim < 2:
            raise SandboxError(
                f"inputs must be a numeric array with a batch axis; received {X.dtype} {X.shape}"
            )
        return np.ascontiguousarray(X, dtype=np.float32)

    def _expected(self, op: str, chunk: np.ndarray, out: np.ndarray) -> tuple[int, ...]:
        if op == "vjp":
            return chunk.shape
        if self.n_classes is None and out.ndim == 2 and out.shape[1] >= 2:
            self.n_classes = int(out.shape[1])  # nobody said: the first reply's width
        return (len(chunk), int(self.n_classes or 2))

    def _batched(self, op: str, X: np.ndarray, *extra: np.ndarray) -> np.ndarray:
        """``op`` over ``X`` (and row-aligned ``extra`` arrays) in batches, checked finite and
        of the expected shape; float64."""
        out_values = int(np.prod(X.shape[1:])) if op == "vjp" else int(self.n_classes or 16)
        rows = self._rows(X, out_values)
        parts = []
        for start in range(0, len(X), rows):
            chunk = X[start : start + rows]
            out = self.call(op, chunk, *(e[start : start + rows] for e in extra))
            shape = self._expected(op, chunk, out)
            if out.shape != shape:
                raise SandboxError(
                    f"model output refused: '{op}' returned shape {out.shape}; expected {shape}"
                )
            out = out.astype(np.float64, copy=False)
            bad = int(out.size - np.isfinite(out).sum())
            if bad:
                raise SandboxError(
                    f"model output refused: '{op}' returned {bad} NaN or infinite values"
                )
            parts.append(out)
        empty = np.zeros(X.shape if op == "vjp" else (0, int(self.n_classes or 0)))
        return np.concatenate(parts) if parts else empty

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, K)``, float64, checked: in [0, 1], rows summing to 1."""
        proba = self._batched("predict_proba", self._inputs(X))
        low, high = proba.min(initial=0.0), proba.max(initial=0.0)
        if low < -1e-6 or high > 1 + 1e-6:
            raise SandboxError(
                "model output refused: 'predict_proba' must return probabilities in [0, 1]; "
                f"received values in [{low:.4g}, {high:.4g}]"
            )
        sums = proba.sum(axis=1)
        if len(sums) and np.abs(sums - 1).max() > 1e-4:
            raise SandboxError(
                "model output refused: 'predict_proba' rows must sum to 1; received row sums "
                f"in [{sums.min():.4g}, {sums.max():.4g}]"
            )
        return np.clip(proba, 0.0, 1.0)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits ``(n, K)`` of a safetensors model (float32)."""
        return self._batched("forward", self._inputs(X)).astype(np.float32)

    def vjp(self, X: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
        """Input gradient of ``sum(logits * grad_out)`` (a safetensors model), shaped like ``X``."""
        X = self._inputs(X)
        grad_out = np.ascontiguousarray(grad_out, dtype=np.float32)
        if grad_out.ndim != 2 or len(grad_out) != len(X):
            raise SandboxError(
                f"vjp: grad_out must have shape ({len(X)}, K); received {grad_out.shape}"
            )
        return self._batched("vjp", X, grad_out).astype(np.float32)
