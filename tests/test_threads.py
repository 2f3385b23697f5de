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
