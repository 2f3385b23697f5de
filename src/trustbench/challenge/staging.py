"""A sandbox's private staging folder: copies of the model and of the worker's own modules.

The worker imports only :data:`WORKER_SOURCES` (six small files) under docstring-only package
``__init__`` files (:data:`STUB_PACKAGES`), so the harness itself (tracking, data, suites) is
never imported inside the sandbox, and nothing else of the package is visible there.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from trustbench.tempdirs import make_temp_dir

__all__ = ["STUB_PACKAGES", "WORKER_SOURCES", "stage", "worker_files"]

PACKAGE = Path(__file__).resolve().parent.parent  # the trustbench package directory
#: the worker's own modules (relative to the trustbench package)
WORKER_SOURCES = (
    "challenge/worker.py",
    "challenge/architectures.py",
    "models/mlp.py",
    "models/cnn.py",
    "registry.py",
    "errors.py",
)
#: packages that get a docstring-only ``__init__`` inside the sandbox
STUB_PACKAGES = ("trustbench", "trustbench/challenge", "trustbench/models")


def worker_files() -> dict[str, Path | str]:
    """Path inside the code folder -> the source file to copy, or the text of a stub."""
    files: dict[str, Path | str] = {
        f"{pkg}/__init__.py": '"""Worker-side stub of the package."""\n' for pkg in STUB_PACKAGES
    }
    for rel in WORKER_SOURCES:
        files[f"trustbench/{rel}"] = PACKAGE / rel
    return files


def stage(model: Path, model_name: str, files: Mapping[str, Path | str]) -> Path:
    """A new staging folder holding ``code/`` (``files``) and ``model/<model_name>``.

    The folder is 0711 (a sandbox's host uid may pass through it, not list it); the copies
    are world-readable and read-only, as the worker sees them. The caller removes it.
    """
    staging = make_temp_dir("sandbox")
    staging.chmod(0o711)
    code, model_dir = staging / "code", staging / "model"
    for rel, source in files.items():
        target = code / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        else:
            target.write_text(source)
    model_dir.mkdir()
    shutil.copyfile(model, model_dir / model_name)
    for directory in (code, model_dir):
        for path in directory.rglob("*"):
            path.chmod(0o555 if path.is_dir() else 0o444)
        directory.chmod(0o555)
    return staging
