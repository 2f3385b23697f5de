"""An unusable tracking store is one line naming it, what is wrong and the fix, before training.

Before: a URI under /proc (FileNotFoundError), below a file (FileExistsError), a read-only
store (PermissionError on the lock, or SQLAlchemy's "attempt to write a readonly database"
while the run was created), a truncated or overwritten ``mlflow.db`` (sqlite3.DatabaseError:
"file is not a database", "database disk image is malformed") were tracebacks from
``trustbench`` (rc 1) and ``trustbench-leaderboard`` (rc 1), and a leaderboard pointed at a
folder that does not exist printed MLflow's traceback.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import compose_config

from trustbench import experiment
from trustbench.errors import ConfigError
from trustbench.leaderboard.fetch import fetch_runs
from trustbench.tracking import prepare_experiment
from trustbench.tracking.store import open_existing_store

#: A run that fails at once if it gets past the store: every suite off.
FAST = [
    "experiment=smoke",
    *(
        f"suite.{s}.enabled=false"
        for s in (
            "performance",
            "fairness",
            "generalization",
            "uncertainty",
            "explainability",
            "privacy",
        )
    ),
]


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    """A store with the experiment "trustbench", made once for the module."""
    folder = tmp_path_factory.mktemp("good")
    prepare_experiment(f"sqlite:///{folder}/mlflow.db", "trustbench")
    return folder / "mlflow.db"


def damaged(good: Path, folder: Path, how: str) -> Path:
    """A copy of the good store, damaged as ``how`` says."""
    path = folder / f"{how}.db"
    shutil.copyfile(good, path)
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 3]
    elif how == "header":
        data[:32] = b"garbage garbage garbage garbage!"
    elif how == "pages":  # the header intact, the schema's pages overwritten
        data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    return path


EXPECTED = {
    "truncated": r"is truncated: \d+ bytes, but its SQLite header says \d+ pages of 4096 bytes",
    "header": r"is not an SQLite database \(it starts with b'garbage garbage ', expected",
    "pages": r"the store's database cannot be used \(.*(malformed|not a database).*\)",
}


@pytest.fixture
def no_training(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the store was checked")

    monkeypatch.setattr(experiment, "train", forbidden)


@pytest.mark.parametrize("how", sorted(EXPECTED))
def test_damaged_store_is_one_line_for_writers_and_readers(good_store, tmp_path, how):
    path = damaged(good_store, tmp_path, how)
    uri = f"sqlite:///{path}"
    before = path.read_bytes()
    for open_store in (lambda: prepare_experiment(uri, "trustbench"), lambda: fetch_runs(uri, [])):
        with pytest.raises(ConfigError, match=EXPECTED[how]) as info:
            open_store()
        assert str(info.value).startswith(f"tracking uri {uri}: ")
        assert "\n" not in str(info.value) and "restore it from a backup" in str(info.value)
    assert path.read_bytes() == before, "a damaged store was written to"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("/proc/trustbench/mlflow.db", r"is under /proc, the kernel's process file system"),
        ("{tmp}/a_file/mlflow.db", r"a_file is a file, not a folder, so .* cannot be created"),
        ("{tmp}/a_file/deeper/mlflow.db", r"a_file is a file, not a folder"),
        ("{tmp}/a_folder", r"a_folder is a folder, not a database file"),
    ],
)
def test_impossible_store_path_fails_before_training(tmp_path, no_training, where, expected):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder").mkdir()
    uri = f"sqlite:///{where.format(tmp=tmp_path)}"
    cfg = compose_config([*FAST, f"tracking.uri={uri}"])
    with pytest.raises(ConfigError, match=expected) as info:
        experiment.run_experiment(cfg)
    assert "point tracking.uri at a file in a writable folder" in str(info.value)


def test_reader_on_a_missing_folder_store_creates_nothing(tmp_path):
    missing = tmp_path / "mlrnus"
    with pytest.raises(ConfigError, match=r"no MLflow store at .*mlrnus \(no such folder\)"):
        open_existing_store(str(missing))
    with pytest.raises(ConfigError, match="no MLflow store at"):
        fetch_runs(f"sqlite:///{tmp_path}/mlfow.db", ["trustbench"])
    assert not list(tmp_path.iterdir()), "a reader created files"


def _unprivileged(command: list[str]) -> list[str]:
    """``command`` run so that file modes bind it (root: without its override capabilities)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a chmod cannot make a store read-only")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]


def _error_lines(commands: list[list[str]], cwd: Path) -> list[tuple[list[str], str]]:
    """Run console commands (``python -m ...``) at once; assert each exits with code 2 and
    return each one's stderr lines and stdout."""
    processes = [
        subprocess.Popen(
            _unprivileged([sys.executable, "-m", *command]),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        for command in commands
    ]
    results = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 2, stderr[-3000:]
            results.append((stderr.strip().splitlines(), stdout))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


def _read_only(path: Path) -> None:
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH | (stat.S_IXUSR if path.is_dir() else 0))


def test_read_only_store_is_one_line_from_the_command(good_store, tmp_path):
    stores = {}
    for what in ("folder", "file"):
        folder = tmp_path / what
        folder.mkdir()
        stores[what] = folder / "mlflow.db"
        shutil.copyfile(good_store, stores[what])
        _read_only(stores[what])
    _read_only(tmp_path / "folder")  # "file": only the database is read-only
    commands = [
        ["trustbench.run", *FAST, f"tracking.uri=sqlite:///{stores[what]}"] for what in stores
    ]
    try:
        (folder_lines, folder_out), (file_lines, file_out) = _error_lines(commands, tmp_path)
    finally:
        for database in stores.values():
            database.parent.chmod(0o755)
            database.chmod(0o644)
    assert len(folder_lines) == 1 and len(file_lines) == 1, (folder_lines, file_lines)
    assert f"the store's folder {tmp_path / 'folder'} is read-only" in folder_lines[0]
    assert f"the store {stores['file']} is read-only (a run writes to it)" in file_lines[0]
    for what, line in (("folder", folder_lines[0]), ("file", file_lines[0])):
        assert line.startswith(f"trustbench: error: tracking uri sqlite:///{stores[what]}: ")
        assert "chmod u+w" in line
    assert "[2/4] training" not in folder_out + file_out


def test_commands_say_it_in_one_line(good_store, tmp_path):
    """Both console commands, and a sweep (the store is prepared by Hydra's callback)."""
    truncated = damaged(good_store, tmp_path, "truncated")
    header = damaged(good_store, tmp_path, "header")
    cases = [
        (["trustbench.run", *FAST, f"tracking.uri=sqlite:///{truncated}"], "is truncated"),
        (
            ["trustbench.run", "-m", *FAST, "seed=0,1", f"tracking.uri=sqlite:///{header}"],
            "is not an SQLite database",
        ),
        (
            ["trustbench.leaderboard.cli", f"tracking_uri=sqlite:///{header}"],
            "is not an SQLite database",
        ),
        (["trustbench.leaderboard.cli", f"tracking_uri={tmp_path}/mlrnus"], "no such folder"),
    ]
    results = _error_lines([command for command, _ in cases], tmp_path)
    for (command, expected), (lines, stdout) in zip(cases, results, strict=True):
        assert len(lines) == 1 and expected in lines[0], (command, lines)
        assert lines[0].startswith(("trustbench: error: ", "trustbench-leaderboard: error: "))
        assert "[2/4] training" not in stdout and "Traceback" not in stdout
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["header.db", "truncated.db"]
    assert not (tmp_path / "mlrnus").exists()
