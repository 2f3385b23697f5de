"""Thread budgets: parallel jobs must not oversubscribe the cores they share.

BLAS/OpenMP pools (scikit-learn, NumPy) and torch's intra-op pool each default to every
core; four joblib workers on four cores would then run sixteen busy threads.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from threadpoolctl import threadpool_limits

from trustbench.errors import ConfigError


def available_cores() -> int:
    """Cores this process may run on (respects cgroup/SLURM CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def launcher_workers() -> int:
    """Jobs that run at once on this machine under the current Hydra launcher (1 if unknown)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        launcher = HydraConfig.get().launcher
    except (ImportError, ValueError):  # not inside a Hydra job
        return 1
    n_jobs = launcher.get("n_jobs") if hasattr(launcher, "get") else None
    if n_jobs is None:
        return 1
    n_jobs = int(n_jobs)
    return available_cores() if n_jobs < 0 else max(1, n_jobs)


def resolve_threads(setting: Any, workers: int | None = None) -> int:
    """Threads per job: an explicit positive int, or ``"auto"`` = available cores // workers."""
    if setting in (None, "auto"):
        workers = launcher_workers() if workers is None else workers
        return max(1, available_cores() // max(1, workers))
    try:
        threads = int(setting)
    except (TypeError, ValueError):
        threads = 0
    if threads < 1:
        raise ConfigError(f"threads must be 'auto' or a positive integer; received {setting!r}")
    return threads


def limit_threads(threads: int) -> None:
    """Cap BLAS/OpenMP pools and torch's intra-op pool at ``threads`` for this process."""
    threadpool_limits(limits=threads)
    torch.set_num_threads(threads)
