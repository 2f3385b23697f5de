"""Heavy libraries load when a run needs them: the command line, ``--help`` and a config error
load no torch (most of them none of pandas, pyarrow, scipy, scikit-learn), and a scikit-learn
run never loads torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import SMALL

HEAVY = ("torch", "scipy", "pandas", "pyarrow", "sklearn", "mlflow", "matplotlib")
#: Prints, as the process exits, which of HEAVY it loaded.
REPORT_LOADED = (
    "import atexit, json, sys\n"
    f"atexit.register(lambda: print('LOADED', json.dumps([m for m in {HEAVY!r} "
    "if m in sys.modules])))\n"
)


def loaded_by(code: str, cwd: Path | None = None, timeout: float = 120) -> tuple[int, list[str]]:
    """Run ``code`` in a fresh interpreter; its exit status and the HEAVY modules it loaded."""
    out = subprocess.run(
        [sys.executable, "-c", REPORT_LOADED + code],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("LOADED ")]
    assert lines, out.stdout[-2000:] + out.stderr[-3000:]
    return out.returncode, json.loads(lines[-1].removeprefix("LOADED "))


def command(args: list[str]) -> str:
    """Code that runs ``trustbench <args>`` in process."""
    return f"sys.argv = ['trustbench', *{args!r}]\nfrom trustbench.run import main\nmain()\n"


def test_importing_the_command_loads_no_heavy_library():
    assert loaded_by("import trustbench.run") == (0, [])


@pytest.mark.parametrize(
    ("args", "status"),
    [(["--help"], 0), (["model=nosuch"], 2), (["model.nosuch=1"], 2)],
)
def test_help_and_a_bad_override_load_no_heavy_library(args, status, tmp_path):
    assert loaded_by(command(args), cwd=tmp_path) == (status, [])


def test_a_config_error_loads_no_torch(tmp_path):
    status, loaded = loaded_by(command(["seed=abc"]), cwd=tmp_path)
    assert status == 2
    assert "torch" not in loaded


def test_public_names_load_on_first_use():
    code = (
        "import trustbench\n"
        "assert 'pandas' not in sys.modules\n"
        "import trustbench.models\n"
        "assert 'torch' not in sys.modules\n"
        "assert {'data', 'score', 'tracking', 'TrustReport'} <= set(dir(trustbench))\n"
        "from trustbench.report import TrustReport\n"
        "assert trustbench.TrustReport is TrustReport and callable(trustbench.score)\n"
        "assert callable(trustbench.data.load) and callable(trustbench.tracking.log)\n"
        "from trustbench.models.torch_classifier import TorchClassifier\n"
        "assert trustbench.models.TorchClassifier is TorchClassifier\n"
        "for module, name in ((trustbench, 'nosuch'), (trustbench.models, 'nosuch')):\n"
        "    try:\n"
        "        getattr(module, name)\n"
        "    except AttributeError:\n"
        "        pass\n"
        "    else:\n"
        "        raise AssertionError(name)\n"
    )
    status, loaded = loaded_by(code)
    assert status == 0 and "torch" in loaded


def test_a_default_logreg_run_loads_no_torch(tmp_path):
    """The whole default run (heart, logreg, every suite, the model logged) without torch."""
    overrides = [*SMALL, f"tracking.uri=sqlite:///{tmp_path}/mlflow.db", "tracking.experiment=lazy"]
    code = command(overrides) + (
        "import mlflow\n"
        f"client = mlflow.MlflowClient('sqlite:///{tmp_path}/mlflow.db')\n"
        "(run,) = client.search_runs([client.get_experiment_by_name('lazy').experiment_id])\n"
        "assert run.info.status == 'FINISHED', run.data.tags\n"
        "assert 'performance/accuracy' in run.data.metrics\n"
        "assert run.data.params['model.name'] == 'logreg'\n"
    )
    status, loaded = loaded_by(code, cwd=tmp_path, timeout=300)
    assert status == 0
    assert "torch" not in loaded and "sklearn" in loaded
