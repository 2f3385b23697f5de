"""Run identity and provenance: what makes two runs "the same experiment"."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

#: Top-level config keys that say where or how a run is recorded, not what it computes.
NON_IDENTITY_KEYS = ("tracking", "hydra", "run_name", "resume", "threads")


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}} -> {"a.b": 1}``; lists stay as values."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def run_identity(config: Mapping[str, Any], fingerprint: str, version: str) -> str:
    """sha256 (first 16 hex) of the resolved config minus tracking keys, the data fingerprint
    and the trustbench version. Equal identities mean the same computation."""
    kept = {k: v for k, v in config.items() if k not in NON_IDENTITY_KEYS}
    payload = json.dumps(
        {"config": kept, "fingerprint": fingerprint, "version": version},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def api_run_config(run: Mapping[str, Any]) -> dict[str, Any]:
    """The config of a run scored through the Python API, read from ``report.run``.

    A CLI run's params are its resolved config; an API run has none, so the leaderboard would
    see every API run as one configuration. This gives it the params the board groups by, in
    the CLI's layout: ``model.name`` (the user's ``model_name`` or the estimator's class),
    ``model.params`` (the recipe hash, :func:`trustbench.models.describe.describe_model`; left
    out when the user named the model: the name alone is its identity), ``dataset.name``,
    ``trainer.name`` (when a training record names one) and ``seed`` (the board's seed axis).

    Parameters
    ----------
    run : mapping
        ``report.run`` of a :class:`~trustbench.report.TrustReport` from ``trustbench.score``.

    Returns
    -------
    dict
        Nested like a resolved config (``{"model": {"name": ...}, ...}``).
    """
    described = dict(run.get("model_identity") or {})
    name = str(described.get("name") or run.get("model") or run.get("model_class") or "model")
    model: dict[str, Any] = {"name": name}
    if described.get("source", "default") != "user" and described.get("params_hash"):
        model["params"] = str(described["params_hash"])
    config: dict[str, Any] = {"model": model, "dataset": {"name": str(run.get("dataset", ""))}}
    trainer = (run.get("training") or {}).get("trainer")
    if trainer:
        config["trainer"] = {"name": str(trainer)}
    config["seed"] = run.get("seed", 0)
    return config


def api_run_tags(run: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """Tags of an API run: its identity (``trustbench.run_identity``, as a CLI run's, from
    :func:`api_run_config`), the model's class and its readable recipe."""
    described = dict(run.get("model_identity") or {})
    tags = {
        "trustbench.run_identity": run_identity(
            config, str(run.get("fingerprint", "")), str(run.get("trustbench_version", ""))
        ),
        "trustbench.model_class": str(described.get("class") or run.get("model_class", "")),
    }
    if described.get("summary"):
        tags["trustbench.model_summary"] = str(described["summary"])[:4000]
    return tags


def trustbench_version() -> str:
    try:
        return metadata.version("trustbench")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    """The commit of the trustbench source tree when it is a git checkout, else None."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def package_versions(
    names: tuple[str, ...] = (
        "numpy",
        "pandas",
        "scikit-learn",
        "torch",
        "opacus",
        "fairlearn",
        "captum",
        "mlflow",
        "hydra-core",
    ),
) -> dict[str, str]:
    """Installed versions of the libraries a run's numbers depend on."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
