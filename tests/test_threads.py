import pytest
from omegaconf import OmegaConf

from trustbench.errors import ConfigError
from trustbench.threads import available_cores, resolve_threads


def test_explicit_threads_win():
    assert resolve_threads(3, launcher=None) == 3
    with pytest.raises(
        ConfigError, match="threads must be 'auto' or a positive integer; received 0"
    ):
        resolve_threads(0, launcher=None)


def test_auto_divides_cores_among_joblib_workers():
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
