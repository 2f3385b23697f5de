import os

import pytest
from omegaconf import OmegaConf

from trustbench.errors import ConfigError
from trustbench.threads import available_cores, busy_cores, resolve_threads


def test_explicit_threads_win():
    assert resolve_threads(3, launcher=None) == 3
    with pytest.raises(
        ConfigError, match="threads must be 'auto' or a positive integer; received 0"
    ):
        resolve_threads(0, launcher=None)


def test_auto_divides_cores_among_joblib_workers(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # an idle machine
    cores = available_cores()
    assert resolve_threads("auto", launcher=None) == cores
    joblib = OmegaConf.create({"n_jobs": 4})
    assert resolve_threads("auto", launcher=joblib) == max(1, cores // 4)
    assert resolve_threads("auto", launcher=OmegaConf.create({"n_jobs": -1})) == 1


def test_auto_takes_the_cpus_a_cluster_launcher_grants():
    ray = OmegaConf.create({"ray": {"init": {}, "remote": {"num_cpus": 3}}})
    assert resolve_threads("auto", launcher=ray) == 3
    slurm = OmegaConf.create({"cpus_per_task": 8, "nodes": 1})
    assert resolve_threads("auto", launcher=slurm) == 8


def test_the_torch_cap_waits_for_torch_and_applies_when_a_torch_model_loads_it():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from trustbench.threads import limit_threads\n"
        "limit_threads(1)\n"
        "assert 'torch' not in sys.modules  # a scikit-learn run never loads it\n"
        "from trustbench.models import TorchClassifier\n"
        "import torch\n"
        "assert torch.get_num_threads() == 1, torch.get_num_threads()\n"
        "limit_threads(2)  # torch loaded: capped at once\n"
        "assert torch.get_num_threads() == 2, torch.get_num_threads()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]


def test_auto_leaves_the_cores_other_work_keeps_busy(monkeypatch):
    monkeypatch.setattr("trustbench.threads.available_cores", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", lambda: (3.4, 2.0, 1.0))
    assert busy_cores() == 3
    assert resolve_threads("auto", launcher=None) == 5
    assert resolve_threads("auto", launcher=OmegaConf.create({"n_jobs": 2})) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (30.0, 30.0, 30.0))  # overloaded: one thread
    assert busy_cores() == 8 and resolve_threads("auto", launcher=None) == 1
    assert resolve_threads(4, launcher=None) == 4  # an explicit count is kept
    ray = OmegaConf.create({"ray": {"init": {}, "remote": {"num_cpus": 3}}})
    assert resolve_threads("auto", launcher=ray) == 3  # a grant is kept


def test_busy_cores_is_zero_without_a_load_average(monkeypatch):
    def missing():
        raise OSError("no load average")

    monkeypatch.setattr(os, "getloadavg", missing)
    assert busy_cores() == 0
