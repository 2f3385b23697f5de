"""A bad seed or a launcher whose plugin is missing is one line before Hydra starts anything.

Before: ``trustbench -m seed=0,abc`` created the tracking store and launched the sweep before
its job failed, and ``trustbench hydra/launcher=ray`` without the ``[ray]`` extra printed
Hydra's "Could not find 'hydra/launcher/ray'" and its config search path, with no word of
what to install.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
from tests.conftest import trustbench_error_lines

from trustbench.errors import ConfigError, TrustbenchError
from trustbench.run import LAUNCHER_PLUGINS, check_launcher_overrides, check_seed_overrides

RAY_MISSING = importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["seed=abc"], "seed: expected an integer, got 'abc'."),
        (["-m", "seed=0,abc"], "seed: expected an integer, got 'abc'."),
        (["seed=1.5"], "seed: expected an integer, got 1.5."),
        (["seed=true"], "seed: expected an integer, got True."),
        (
            ["seed=-1"],
            "seed: expected an integer in [0, 2**32 - 1] (numpy and scikit-learn seeds), got -1.",
        ),
    ],
)
def test_bad_seed_is_refused_naming_seed(args, expected):
    with pytest.raises(ConfigError) as info:
        check_seed_overrides(args)
    assert str(info.value) == expected


@pytest.mark.parametrize(
    "args", [["seed=3"], ["-m", "seed=0,1,2"], ["-m", "seed=range(5)"], ["seed=${oc.env:S,0}"], []]
)
def test_good_seeds_pass(args):
    check_seed_overrides(args)


@pytest.mark.parametrize("args", [["seed=abc"], ["-m", "seed=0,abc", "model=logreg"]])
def test_cli_bad_seed_is_one_line_before_any_store_or_job(tmp_path, args):
    lines = trustbench_error_lines(args, tmp_path)
    assert lines == ["trustbench: error: seed: expected an integer, got 'abc'."]
    assert not (tmp_path / "mlflow.db").exists()  # refused before the store was created
    assert not (tmp_path / "multirun").exists()


def test_launcher_names_match_the_extras_in_pyproject():
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    for name, (module, extra) in LAUNCHER_PLUGINS.items():
        package = module.rsplit(".", 1)[1].replace("_", "-")
        assert any(d.startswith(package) for d in extras[extra]), (name, extra)


@pytest.mark.skipif(not RAY_MISSING, reason="the Ray launcher plugin is installed here")
@pytest.mark.parametrize(
    "args",
    [
        ["hydra/launcher=ray"],
        ["-m", "hydra/launcher=ray", "seed=0,1"],
        ["-m", "hydra/launcher=ray_cluster"],
    ],
)
def test_ray_launcher_without_the_extra_says_what_to_install(args):
    with pytest.raises(TrustbenchError) as info:
        check_launcher_overrides(args)
    value = next(a for a in args if a.startswith("hydra/launcher=")).split("=")[1]
    assert str(info.value) == (
        f"hydra/launcher={value}: the launcher's Hydra plugin (hydra-ray-launcher) is not "
        'installed; install the [ray] extra: pip install -e ".[ray]" (from a checkout; else '
        'pip install "trustbench[ray]")'
    )


@pytest.mark.skipif(not RAY_MISSING, reason="the Ray launcher plugin is installed here")
@pytest.mark.parametrize("args", [["hydra/launcher=ray"], ["-m", "hydra/launcher=ray"]])
def test_cli_ray_launcher_without_the_extra_is_one_line(tmp_path, args):
    lines = trustbench_error_lines(args, tmp_path)
    assert len(lines) == 1 and re.fullmatch(
        r"trustbench: error: hydra/launcher=ray: .*pip install -e \"\.\[ray\]\".*", lines[0]
    )
    assert "Could not find" not in lines[0]


def test_installed_and_unknown_launchers_pass():
    check_launcher_overrides(["-m", "hydra/launcher=joblib"])  # a core dependency
    check_launcher_overrides(["hydra/launcher=basic", "model=logreg"])
    check_launcher_overrides(["hydra/launcher=nope"])  # Hydra names the valid choices
