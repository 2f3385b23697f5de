"""The reference-output cache is never silently wrong and never unbounded.

Before: an entry was one ``.npz`` under a key without any software version, loaded without a
check (a tampered file of the same shape was used as it was), the folder grew by one file
per configuration and seed for ever, and a folder that could not be written failed the
privacy suite after the reference models had been trained.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tests.privacy.cache_worker import outputs

from trustbench.errors import ConfigError
from trustbench.privacy import cache
from trustbench.privacy import reference as ref
from trustbench.suites.config import section_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def count_fits(monkeypatch):
    """How many times reference models are trained (scikit-learn path)."""
    calls = []
    real = ref._train_sklearn
    monkeypatch.setattr(ref, "_train_sklearn", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("reference_*.npz"))


def test_entry_holds_a_checksum_and_the_software(tmp_path, count_fits):
    first = outputs(tmp_path)
    second = outputs(tmp_path)
    assert (first.cached, second.cached, len(count_fits)) == (False, True, 1)
    np.testing.assert_array_equal(first.phi, second.phi)
    (entry,) = _entries(tmp_path)
    meta = json.loads(entry.with_suffix(".json").read_text())
    assert meta["sha256"] == cache.array_digest({"logp": first.logp, "phi": first.phi})
    assert meta["software"] == cache.software()
    assert set(cache.LIBRARIES) | {"trustbench", "trustbench_source"} <= set(meta["software"])


def test_tampered_entry_of_the_same_shape_is_recomputed(tmp_path, count_fits):
    first = outputs(tmp_path)
    (entry,) = _entries(tmp_path)
    with np.load(entry) as stored:
        logp, phi = stored["logp"], stored["phi"] + 0.5  # plausible, wrong numbers
    np.savez(entry, logp=logp, phi=phi)
    again = outputs(tmp_path)
    assert not again.cached and len(count_fits) == 2
    np.testing.assert_array_equal(again.phi, first.phi)
    (note,) = again.cache_notes
    assert str(entry) in note and "SHA-256 differs" in note and "recomputing" in note
    assert outputs(tmp_path).cached and len(count_fits) == 2  # the rewritten entry is good


@pytest.mark.parametrize("damage", ["truncated", "no_checksum", "wrong_shape"])
def test_damaged_entry_is_a_warning_and_a_recompute(tmp_path, count_fits, damage):
    first = outputs(tmp_path)
    (entry,) = _entries(tmp_path)
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:100])
    elif damage == "no_checksum":
        entry.with_suffix(".json").unlink()
    else:
        np.savez(entry, logp=first.logp[:, :10], phi=first.phi[:, :10])
    again = outputs(tmp_path)
    assert not again.cached and len(count_fits) == 2 and len(again.cache_notes) == 1
    np.testing.assert_array_equal(again.phi, first.phi)


def test_key_holds_the_trustbench_and_library_versions(tmp_path, monkeypatch, count_fits):
    outputs(tmp_path)
    assert outputs(tmp_path).cached
    for name in ("trustbench", "trustbench_source", "scikit-learn", "torch", "numpy"):
        changed = {**cache.software(), name: "another"}
        with monkeypatch.context() as mp:
            mp.setattr(cache, "software", lambda changed=changed: changed)
            assert not outputs(tmp_path).cached, f"{name} is not in the key"
    assert len(count_fits) == 6 and len(_entries(tmp_path)) == 6


def test_least_recently_used_entries_go_beyond_the_budget(tmp_path, count_fits):
    outputs(tmp_path, seed=0)
    (a,) = _entries(tmp_path)
    one_entry = sum(p.stat().st_size for p in tmp_path.iterdir())
    budget_mb = 2.5 * one_entry / 2**20  # room for two entries, not three
    outputs(tmp_path, seed=1, cache_max_mb=budget_mb)
    (b,) = set(_entries(tmp_path)) - {a}
    now = time.time()
    for entry, age in ((a, 200), (b, 100)):  # a written before b
        for path in (entry, entry.with_suffix(".json")):
            os.utime(path, (now - age, now - age))
    assert outputs(tmp_path, seed=0, cache_max_mb=budget_mb).cached  # a used again: now newest
    new = outputs(tmp_path, seed=2, cache_max_mb=budget_mb)
    assert not new.cached and new.cache_notes == []
    (c,) = set(_entries(tmp_path)) - {a, b}
    assert set(_entries(tmp_path)) == {a, c}  # b, the least recently used, went
    assert not b.with_suffix(".json").exists() and a.with_suffix(".json").exists()
    for seed in range(3, 7):  # however many configurations run, the folder stays in budget
        outputs(tmp_path, seed=seed, cache_max_mb=budget_mb)
        assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= budget_mb * 2**20
    assert len(_entries(tmp_path)) == 2 and len(list(tmp_path.iterdir())) == 4


def test_an_entry_larger_than_the_budget_is_not_stored_and_zero_is_off(tmp_path, count_fits):
    out = outputs(tmp_path, cache_max_mb=1e-6)
    assert "exceed suite.privacy.cache_max_mb=1e-06; not cached" in out.cache_notes[0]
    assert not list(tmp_path.iterdir())
    off = outputs(tmp_path, cache_max_mb=0)
    assert off.cache_notes == [] and not list(tmp_path.iterdir())


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), "big"])
def test_budget_is_checked_with_the_config(value):
    with pytest.raises(ConfigError, match=r"suite\.privacy\.cache_max_mb: expected"):
        section_config("privacy", {"cache_max_mb": value})
    assert section_config("privacy", {}).cache_max_mb == cache.DEFAULT_MAX_MB


def _unprivileged(command: list[str]) -> list[str]:
    """``command`` run so that file modes bind it: as is, or, for root, without the
    capabilities that let root write anywhere (``setpriv`` from util-linux)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a chmod cannot make a folder read-only")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]


def _worker(folder: Path) -> dict:
    out = subprocess.run(
        _unprivileged([sys.executable, "-m", "tests.privacy.cache_worker", str(folder)]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _read_only(folder: Path) -> None:
    for path in folder.iterdir():
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def test_read_only_folder_runs_uncached_with_a_warning(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    _read_only(folder)
    try:
        result = _worker(folder)
    finally:
        folder.chmod(0o755)
    assert result["cached"] is False
    (note,) = result["notes"]
    assert f"cache folder {folder} cannot be written (Permission denied" in note
    assert "used uncached" in note and "suite.privacy.cache_dir" in note
    assert not list(folder.iterdir())
    np.testing.assert_array_equal(result["phi"], outputs(None).phi)


def test_read_only_folder_still_serves_its_verified_entries(tmp_path):
    folder = tmp_path / "cache"
    outputs(folder)
    _read_only(folder)
    try:
        result = _worker(folder)
    finally:
        folder.chmod(0o755)
    assert result["cached"] is True and result["notes"] == []


def test_cache_folder_under_a_file_runs_uncached_with_a_warning(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    out = outputs(tmp_path / "file" / "cache")
    assert not out.cached and "cannot be written" in out.cache_notes[0]
    np.testing.assert_array_equal(out.phi, outputs(None).phi)
