"""The command line that starts a worker in a fresh bubblewrap sandbox, and its limits.

One launch is ``python -I -S -c LAUNCHER <spec> bwrap <options> -- python -I -S -B -c BOOT ...``:

1. the *launcher* (a few lines of Python on the host, between fork and exec) sets the rlimits,
   and, when the host runs as root, drops to a fresh unprivileged host uid (one per sandbox,
   :data:`HOST_UID_BASE` plus a random offset). A bind source that uid cannot reach (the
   Python installation under a 0700 ``/root``, say) is first bind-mounted, in a private mount
   namespace of the launcher only, onto a directory of the sandbox's staging folder that it
   can reach;
2. ``bwrap`` then runs unprivileged and builds the sandbox in a new user namespace::

     --unshare-all --unshare-user     own net, pid, ipc, uts, cgroup and (required) user ns
     --disable-userns                 no nested user namespace (where bwrap has it: >= 0.8)
     --die-with-parent --new-session  dies with the host; no terminal (TIOCSTI) injection
     --cap-drop ALL --uid 65534 --gid 65534 --hostname sandbox
     --clearenv --setenv HOME /tmp --setenv TMPDIR /tmp --setenv LANG C.UTF-8
       --setenv {OMP,MKL,OPENBLAS}_NUM_THREADS 1
     --size <tmp_mb> --tmpfs /tmp     first, so that binds below /tmp land on top of it
     --ro-bind /usr/lib /usr/lib (and /usr/lib64; /lib, /lib64 bound or --symlink'ed as on
       the host), --ro-bind <python installation>, --ro-bind <site-packages>
     --ro-bind <staging>/code /opt/trustbench --ro-bind <staging>/model /model
     --proc /proc --dev /dev --remount-ro / --chdir /tmp
3. *boot* puts the bound site-packages and the worker's staged modules on ``sys.path`` (``-I
   -S``: no environment, no ``site``, no user directory) and runs the worker module.

Why the fresh uid: the kernel never applies ``RLIMIT_NPROC`` to the host's root user (a
sandbox uid mapped to host root is exempt), so a worker running as root on the host could
fork without bound. Under its own uid the count is exactly the sandbox's processes and
threads. A host that is not root runs bwrap as itself; the limit is then its current process
count plus ``max_processes``. Where the private mount namespace is refused, a root host falls
back to bwrap as root: ``RLIMIT_NPROC`` is then not enforced (the pid namespace still ends
every process of the sandbox with it), and :func:`launch_mode` says so.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import signal
import site
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustbench.challenge.pipes import process_count
from trustbench.tempdirs import make_temp_dir

__all__ = ["Launch", "SandboxLimits", "isolation_available", "launch_mode"]

SANDBOX_UID = 65534  # uid and gid inside the sandbox ("nobody")
HOST_UID_BASE = 2_000_000_000  # host uid of a sandbox started by root: base + random offset
CODE_MOUNT = "/opt/trustbench"
MODEL_MOUNT = "/model"
SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/lib", "/lib64")
ENVIRONMENT = {
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
LAUNCH_FAILED = 125  # the launcher's exit status when it cannot set the sandbox up

OWN_UID = "own-uid"  # root host: a fresh unprivileged host uid per sandbox
SAME_USER = "same-user"  # non-root host: bwrap as the calling user
AS_ROOT = "as-root"  # root host without a private mount namespace: RLIMIT_NPROC not enforced

_LAUNCHER = """
import json, os, resource as R, sys
spec = json.loads(sys.argv[1])
def fail(what, errno):
    sys.stderr.write("sandbox launcher: " + what + ": " + os.strerror(errno) + "\\n")
    os._exit(125)  # LAUNCH_FAILED
if spec["mounts"]:  # CLONE_NEWNS 0x20000; MS_PRIVATE 0x40000, MS_REC 0x4000, MS_BIND 0x1000
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
    if libc.unshare(0x20000) != 0:
        fail("unshare(CLONE_NEWNS)", ctypes.get_errno())
    if libc.mount(b"none", b"/", None, 0x40000 | 0x4000, None) != 0:
        fail("making the mounts private", ctypes.get_errno())
    for src, dst in spec["mounts"]:
        if libc.mount(src.encode(), dst.encode(), None, 0x1000 | 0x4000, None) != 0:
            fail("bind " + src, ctypes.get_errno())
def limit(which, soft, hard):
    cur = R.getrlimit(which)[1]
    if cur != R.RLIM_INFINITY:
        soft, hard = min(soft, cur), min(hard, cur)
    R.setrlimit(which, (soft, hard))
cpu, mem, nproc, fsize = spec["limits"]
limit(R.RLIMIT_CPU, cpu, cpu + 1)
limit(R.RLIMIT_AS, mem, mem)
limit(R.RLIMIT_FSIZE, fsize, fsize)
limit(R.RLIMIT_CORE, 0, 0)
if nproc > 0:
    limit(R.RLIMIT_NPROC, nproc, nproc)
if spec["uid"] >= 0:
    os.setgroups([])
    os.setgid(spec["uid"])
    os.setuid(spec["uid"])
os.execv(sys.argv[2], sys.argv[2:])
"""

_BOOT = (
    "import runpy, sys; sys.path[:0] = sys.argv[1].split('\\n'); module = sys.argv[2]; "
    "sys.argv = [module, *sys.argv[3:]]; "
    "runpy.run_module(module, run_name='__main__', alter_sys=True)"
)


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one worker (the names of a challenge's ``sandbox:`` section).

    Attributes
    ----------
    cpu_seconds : CPU time of the worker over its whole life (all requests together).
    memory_mb : address space of each process in the sandbox.
    max_processes : processes and threads of the sandbox.
    max_file_mb : largest file the worker may write (in its private ``/tmp``).
    wall_seconds : wall-clock limit of one request (one batch).
    startup_seconds : wall-clock limit of starting the worker and loading the model.
    max_output_mb : largest reply accepted; inputs are sent in batches well below it.
    log_tail_lines : lines of the worker's stderr kept for an error message.
    batch_rows : most rows per request.
    tmp_mb : size of the private ``/tmp``.
    """

    cpu_seconds: int = 600
    memory_mb: int = 4096
    max_processes: int = 64
    max_file_mb: int = 64
    wall_seconds: float = 60.0
    startup_seconds: float = 60.0
    max_output_mb: float = 64.0
    log_tail_lines: int = 5
    batch_rows: int = 65536
    tmp_mb: int = 256

    @classmethod
    def from_options(cls, options: Any) -> SandboxLimits:
        """From a mapping or a dataclass with (some of) these field names."""
        values = options if isinstance(options, Mapping) else vars(options)
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def python_paths() -> tuple[str, list[str], list[str]]:
    """(the real interpreter, its installation directories, site-packages for sys.path)."""
    python = os.path.realpath(sys.executable)
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    roots.add(os.path.dirname(os.path.dirname(python)))
    sites = []
    for path in site.getsitepackages():
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in sites:
            sites.append(real)
    return python, sorted(roots), sites


def _outermost(paths: list[str]) -> list[str]:
    """``paths`` without those inside another one, parents first."""
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _reachable_by_others(path: str) -> bool:
    """Whether a user that is neither owner nor group can reach and list ``path``."""
    target = Path(path)
    listable = stat.S_IROTH | stat.S_IXOTH
    if os.stat(target).st_mode & listable != listable:
        return False
    return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in target.parents)


class Launch:
    """How to start one program in a fresh sandbox (``mode`` ``None``: unisolated).

    Parameters
    ----------
    mode : :data:`OWN_UID`, :data:`SAME_USER`, :data:`AS_ROOT` or ``None``
    bwrap : path of bwrap, and ``features``, the options it offers
    limits : SandboxLimits
    staging : the sandbox's private staging folder (mount points go in ``staging/mnt``)
    code, model_dir : staged worker modules and model folder, bound read-only, or ``None``
    """

    def __init__(
        self,
        mode: str | None,
        bwrap: str | None,
        features: frozenset[str],
        limits: SandboxLimits,
        staging: Path,
        code: Path | None = None,
        model_dir: Path | None = None,
    ) -> None:
        self.mode, self.bwrap, self.features, self.limits = mode, bwrap, features, limits
        self.staging, self.code, self.model_dir = staging, code, model_dir
        self.python, self.roots, self.sites = python_paths()
        self.host_uid = HOST_UID_BASE + secrets.randbelow(1_000_000) if mode == OWN_UID else -1
        self.mounts: list[tuple[str, str]] = []

    # -- paths as the worker sees them ------------------------------------------------------
    def code_path(self) -> str:
        return CODE_MOUNT if self.mode else str(self.code)

    def model_path(self, name: str) -> str:
        return f"{MODEL_MOUNT}/{name}" if self.mode else str(self.model_dir / name)

    def worker_argv(self, module: str, args: list[str]) -> list[str]:
        """The worker's command line inside the sandbox."""
        paths = "\n".join([self.code_path(), *self.sites])
        return [self.python, "-I", "-S", "-B", "-c", _BOOT, paths, module, *args]

    # -- the command ----------------------------------------------------------------------
    def _source(self, path: str) -> str:
        """A path bwrap can bind from: in :data:`OWN_UID` mode, one the fresh uid can reach."""
        if self.mode != OWN_UID or _reachable_by_others(path):
            return path
        point = self.staging / "mnt" / str(len(self.mounts))
        point.mkdir(parents=True, mode=0o755)
        self.mounts.append((path, str(point)))
        return str(point)

    def bwrap_options(self) -> list[str]:
        """Namespaces, identity, environment, the read-only binds, ``/tmp``, ``/proc``, ``/dev``."""
        args = ["--unshare-all", "--unshare-user"]  # net, pid, ipc, uts, cgroup + user (required)
        if "--disable-userns" in self.features:
            args.append("--disable-userns")  # no nested user namespaces inside
        args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox"]
        args.append("--clearenv")
        for key, value in ENVIRONMENT.items():
            args += ["--setenv", key, value]
        # the private /tmp first: a bind whose host path lies under /tmp (a virtual environment
        # in a temporary folder) must land on top of it, not be hidden by it
        args += ["--size", str(int(self.limits.tmp_mb) << 20), "--tmpfs", "/tmp"]
        libraries = [p for p in SYSTEM_LIBRARIES if os.path.isdir(p) and not os.path.islink(p)]
        for path in _outermost(libraries + self.roots + self.sites):
            args += ["--ro-bind", self._source(path), path]
        for path in SYSTEM_LIBRARIES:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
        if self.code is not None:
            args += ["--ro-bind", str(self.code), CODE_MOUNT]
        if self.model_dir is not None:
            args += ["--ro-bind", str(self.model_dir), MODEL_MOUNT]
        args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
        return args

    def _nproc(self) -> int:
        """RLIMIT_NPROC: 0 (unset) where the worker runs as host root, which it would not bind."""
        if self.mode == OWN_UID:
            return self.limits.max_processes
        if os.geteuid() == 0:
            return 0
        return process_count(os.getuid()) + self.limits.max_processes

    def command(self, argv: list[str]) -> list[str]:
        """The full host command line that runs ``argv`` in the sandbox."""
        inner = [self.bwrap, *self.bwrap_options(), "--", *argv] if self.mode else argv
        mb = 1 << 20
        spec = {
            "limits": [
                int(self.limits.cpu_seconds),
                int(self.limits.memory_mb) * mb,
                self._nproc(),
                int(self.limits.max_file_mb) * mb,
            ],
            "uid": self.host_uid,
            "mounts": self.mounts,
        }
        return [self.python, "-I", "-S", "-c", _LAUNCHER, json.dumps(spec), *inner]

    def popen(self, argv: list[str], **kwargs: Any) -> subprocess.Popen:
        """Start ``argv`` in the sandbox (a new session, so the whole group can be killed)."""
        return subprocess.Popen(
            self.command(argv),
            env={"LANG": "C.UTF-8"} if self.mode else dict(ENVIRONMENT),
            cwd=str(self.staging),
            start_new_session=True,
            **kwargs,
        )


def describe_exit(code: int, limits: SandboxLimits, sandboxed: bool) -> str:
    """One line for a worker's exit status (bwrap reports a signal as 128 + its number)."""
    from trustbench.challenge.worker import EXIT_LOAD_FAILED, EXIT_OUT_OF_MEMORY

    if sandboxed and code > 128:
        code = -(code - 128)
    if code == -signal.SIGXCPU:
        return f"the worker was killed at its CPU-time limit ({limits.cpu_seconds} s)"
    if code == -signal.SIGKILL:
        return "the worker was killed by SIGKILL (CPU-time hard limit, or the kernel)"
    if code == -signal.SIGXFSZ:
        return f"the worker wrote a file over its limit ({limits.max_file_mb} MB)"
    if code == EXIT_OUT_OF_MEMORY:
        return f"the worker ran out of memory (limit {limits.memory_mb} MB)"
    if code == EXIT_LOAD_FAILED:
        return "the worker could not load the model"
    if code == LAUNCH_FAILED:
        return "the sandbox could not be set up"
    if code < 0:
        try:
            return f"the worker was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"the worker was killed by signal {-code}"
    return f"the worker exited with status {code}"


# -- what this host offers ----------------------------------------------------------------
def _bwrap_features(bwrap: str) -> frozenset[str]:
    try:
        text = subprocess.run(
            [bwrap, "--help"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(re.findall(r"--[a-z][a-z0-9-]+", text))


def _try(mode: str, bwrap: str, features: frozenset[str]) -> str | None:
    """Start an empty sandbox in ``mode``; ``None`` when it works, else the reason."""
    staging = make_temp_dir("sandbox")
    try:
        staging.chmod(0o711)
        launch = Launch(mode, bwrap, features, SandboxLimits(), staging)
        proc = launch.popen(
            [launch.python, "-I", "-S", "-c", "pass"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            return "an empty sandbox did not start within 30 s"
        if proc.returncode == 0:
            return None
        lines = err.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        return lines[-1][:200]
    except OSError as exc:
        return str(exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def probe() -> tuple[str | None, str, str | None, frozenset[str]]:
    """(mode or ``None``, a one-line description, bwrap path, bwrap's options); cached."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, "bubblewrap (bwrap) is not installed", None, frozenset()
    features = _bwrap_features(bwrap)
    missing = {"--unshare-all", "--unshare-user", "--cap-drop", "--clearenv", "--size"} - features
    if missing:
        return None, f"bwrap lacks the options {sorted(missing)} (too old)", None, frozenset()
    modes = (OWN_UID, AS_ROOT) if os.geteuid() == 0 else (SAME_USER,)
    reasons = []
    for mode in modes:
        reason = _try(mode, bwrap, features)
        if reason is None:
            return mode, _DESCRIPTIONS[mode], bwrap, features
        reasons.append(f"{mode}: {reason}")
    return None, "bwrap cannot build a sandbox here (" + "; ".join(reasons) + ")", None, frozenset()


_DESCRIPTIONS = {
    OWN_UID: "bubblewrap, a fresh unprivileged host uid per sandbox",
    SAME_USER: "bubblewrap, as the calling user (its other processes count towards max_processes)",
    AS_ROOT: "bubblewrap as root without a private mount namespace: max_processes not enforced",
}


def isolation_available() -> str | None:
    """``None`` when bubblewrap can isolate a worker here, else a one-line reason.

    Checked once per process by starting an empty sandbox with the real options.
    """
    mode, description, _, _ = probe()
    return None if mode else description


def launch_mode() -> tuple[str | None, str]:
    """(:data:`OWN_UID` / :data:`SAME_USER` / :data:`AS_ROOT` / ``None``, a description)."""
    mode, description, _, _ = probe()
    return mode, description
