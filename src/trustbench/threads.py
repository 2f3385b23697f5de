"""Thread budgets: parallel jobs must not oversubscribe the cores they share.

BLAS/OpenMP pools (scikit-learn, NumPy) and torch's intra-op pool each default to every
core; four joblib workers on four cores would then run sixteen busy threads.

torch is not imported here (a scikit-learn run never loads it): :func:`limit_threads` caps
torch's pool when torch is already loaded, and remembers the cap for
:func:`apply_torch_threads`, which the module that brings torch in for a model
(:mod:`trustbench.models.torch_classifier`) calls when it is imported.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from omegaconf import OmegaConf
from threadpoolctl import threadpool_limits

from trustbench.errors import ConfigError


def available_cores() -> int:
    """Cores this process may run on (respects cgroup/SLURM CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _launcher_config():
    """The current Hydra launcher config, or None outside a Hydra job."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return HydraConfig.get().launcher
    except (ImportError, ValueError):  # not inside a Hydra job
        return None


def launcher_job_cpus(launcher: Any) -> int | None:
    """CPUs a launcher grants each job, where it says: Ray's ``ray.remote.num_cpus`` or
    submitit's ``cpus_per_task``; None when the launcher does not say."""
    if launcher is None:
        return None
    ray_cpus = OmegaConf.select(launcher, "ray.remote.num_cpus", default=None)
    cpus = (
        ray_cpus
        if ray_cpus is not None
        else OmegaConf.select(launcher, "cpus_per_task", default=None)
    )
    return int(cpus) if cpus is not None and int(cpus) > 0 else None


def launcher_workers(launcher: Any) -> int:
    """Jobs that run at once on this machine under a joblib-style launcher (``n_jobs``), else 1."""
    n_jobs = OmegaConf.select(launcher, "n_jobs", default=None) if launcher is not None else None
    if n_jobs is None:
        return 1
    n_jobs = int(n_jobs)
    return available_cores() if n_jobs < 0 else max(1, n_jobs)


def busy_cores() -> int:
    """Cores other work keeps busy: the one-minute load average, rounded, at most every core
    (0 where the platform has no load average)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0
    return min(available_cores(), max(0, round(load)))


def resolve_threads(setting: Any, launcher: Any = "current") -> int:
    """Threads per job.

    An explicit positive int is used as is. ``"auto"``: the CPUs the launcher grants each job
    (Ray ``ray.remote.num_cpus``, submitit ``cpus_per_task``) when it says, else the cores
    other work leaves free (available cores less :func:`busy_cores`) // jobs running at once
    (joblib ``n_jobs``), at least 1. A busy machine gets fewer threads: on 2 cores with a busy
    process on each, a HistGradientBoosting fit took 3.3x and an MLP epoch 1.5x as long with 2
    threads as with 1, while idle 2 threads made the fit 1.4x faster
    (``scripts/bench_scaling.py``, ``threads``).
    """
    if setting in (None, "auto"):
        launcher = _launcher_config() if launcher == "current" else launcher
        granted = launcher_job_cpus(launcher)
        if granted is not None:
            return granted
        free = available_cores() - busy_cores()
        return max(1, free // launcher_workers(launcher))
    try:
        threads = int(setting)
    except (TypeError, ValueError):
        threads = 0
    if threads < 1:
        raise ConfigError(f"threads must be 'auto' or a positive integer; received {setting!r}")
    return threads


#: The cap of the last :func:`limit_threads` call, for torch when it is imported later.
_TORCH_THREADS: int | None = None


def limit_threads(threads: int) -> None:
    """Cap BLAS/OpenMP pools and torch's intra-op pool at ``threads`` for this process.

    torch is capped now if it is loaded, else by :func:`apply_torch_threads` once it is.
    """
    global _TORCH_THREADS
    threadpool_limits(limits=threads)
    _TORCH_THREADS = int(threads)
    apply_torch_threads()


def apply_torch_threads() -> None:
    """Cap torch's intra-op pool at the last :func:`limit_threads` value, if torch is loaded
    and a cap was set (no-op otherwise; never imports torch)."""
    torch = sys.modules.get("torch")
    if torch is not None and _TORCH_THREADS is not None:
        torch.set_num_threads(_TORCH_THREADS)
