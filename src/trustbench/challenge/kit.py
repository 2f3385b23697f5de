"""The participant kit: public data, the input schema, a manifest template, one working example
submission per accepted format, and a README.

The kit reads only the public parts of :class:`~trustbench.challenge.data.ChallengeData`; the
hidden manifest goes to the organizer's root, never into the kit.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch
import yaml

from trustbench.challenge import export
from trustbench.challenge.baselines import sklearn_baseline, torch_baseline
from trustbench.challenge.config import ChallengeConfig
from trustbench.challenge.data import ChallengeData, prepare, public_frame, write_manifest
from trustbench.challenge.public import KIT_FILE, PublicChallenge
from trustbench.errors import ConfigError

log = logging.getLogger("trustbench.challenge")

__all__ = ["build_kit"]

README = Path(__file__).with_name("kit_readme.md")


def _write_data(data: ChallengeData, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    schema, task = data.schema, data.task
    np.save(folder / "train_X.npy", schema.encode(task.train.X), allow_pickle=False)
    np.save(folder / "train_y.npy", task.train.y.astype(np.int64), allow_pickle=False)
    np.save(folder / "dev_X.npy", schema.encode(data.dev.X), allow_pickle=False)
    np.save(folder / "sample_X.npy", data.sample_inputs(), allow_pickle=False)
    public_frame(task.train, schema, task.target).to_csv(folder / "train.csv", index=False)
    public_frame(data.dev, schema, None).to_csv(folder / "dev.csv", index=False)


def _template(cfg: ChallengeConfig, data: ChallengeData) -> dict:
    return {
        "team": "Your team name",
        "challenge": cfg.name,
        "format": cfg.formats[0],
        "model": "model.onnx",
        "input": {"name": "X", "dtype": "float32", "shape": [None, *data.schema.shape]},
        "seed": 0,
        "licence": "CC-BY-4.0",
        "sample_predictions": "sample_predictions.npy",
        "description": "One line on what the model is and how it was trained.",
        "selected": False,
    }


def _examples(cfg: ChallengeConfig, data: ChallengeData, folder: Path) -> list[Path]:
    schema = data.schema
    X = schema.encode(data.task.train.X)
    y = data.task.train.y
    sample = data.sample_inputs()
    made = []
    if "onnx" in cfg.formats:
        target = folder / "onnx_baseline"
        target.mkdir(parents=True, exist_ok=True)
        if schema.kind == "tabular":
            model = sklearn_baseline(schema, X, y, cfg.seed)
            export.sklearn_to_onnx(model, X.shape[1], target / "model.onnx", sample=X[:256])
            proba = model.predict_proba(sample)
            what = "scikit-learn: impute, standardise, one-hot, logistic regression"
        else:
            module, _ = torch_baseline(schema, cfg.architectures[0], X, y, cfg.seed)
            export.torch_to_onnx(module, torch.as_tensor(sample), target / "model.onnx")
            with torch.no_grad():
                proba = torch.softmax(module(torch.as_tensor(sample)), dim=1).numpy()
            what = f"torch {cfg.architectures[0]} exported to ONNX"
        export.write_submission(
            target, team="Example team (ONNX)", format="onnx", model_file="model.onnx",
            challenge=cfg.name, sample_inputs=sample, sample_predictions=proba,
            description=f"Kit baseline: {what}",
        )  # fmt: skip
        made.append(target)
    if "safetensors" in cfg.formats and cfg.architectures:
        name = cfg.architectures[0]
        target = folder / "safetensors_baseline"
        target.mkdir(parents=True, exist_ok=True)
        module, _ = torch_baseline(schema, name, X, y, cfg.seed)
        export.save_safetensors(module, target / "model.safetensors")
        with torch.no_grad():
            proba = torch.softmax(module(torch.as_tensor(sample)), dim=1).numpy()
        export.write_submission(
            target, team="Example team (safetensors)", format="safetensors",
            model_file="model.safetensors", architecture=name, challenge=cfg.name,
            sample_inputs=sample, sample_predictions=proba,
            description=f"Kit baseline: {name} trained by trustbench's torch recipe",
        )  # fmt: skip
        made.append(target)
    return made


def _readme(cfg: ChallengeConfig, data: ChallengeData) -> str:
    schema, box = data.schema, cfg.sandbox
    ranking = cfg.ranking.get("metrics") or []
    limits = (
        f"At most {cfg.limits.per_day} scored submissions a day (UTC) and {cfg.limits.total} in "
        f"all per phase and team. Phases: "
        + "; ".join(f"`{k}` {p.opens} to {p.closes} ({p.board} board)" for k, p in cfg.phases.items())
        + ". The final board counts each team's "
        + ("latest valid submission." if cfg.final_selection == "last" else
           "submission marked `selected: true` (else its latest valid one).")
    )  # fmt: skip
    scoring = (
        "Every submission is scored by trustbench's suites (performance, fairness across "
        f"{', '.join(data.task.sensitive_names)}, generalization to the held-out site, "
        "uncertainty, explainability, privacy). The boards rank on: "
        + ", ".join(f"`{m}`" for m in ranking)
        + " (see the metric catalogue for each one's definition and direction)."
    )
    encoding = schema.to_dict()["encoding"].capitalize() + "."
    return README.read_text().format(
        title=cfg.title,
        name=cfg.name,
        target=data.task.target,
        sample_rows=len(data.sample),
        shape=str([None, *schema.shape]),
        n_classes=len(schema.classes),
        classes=", ".join(f"`{c}`" for c in schema.classes),
        formats=", ".join(cfg.formats),
        architectures=", ".join(f"`{a}`" for a in cfg.architectures) or "none",
        ood_what="site" if schema.kind == "tabular" else "scanner",
        encoding=encoding,
        max_mb=f"{cfg.limits.max_mb:g}",
        sandbox=f"{box.memory_mb} MB of memory, {box.wall_seconds:g} s per request, no network",
        limits=limits,
        scoring=scoring,
    )


def build_kit(cfg: ChallengeConfig, output: Path, root: Path) -> list[Path]:
    """Write the kit into ``output`` and the hidden manifest under ``root``; returns the
    example submission folders."""
    output, root = Path(output), Path(root)
    if output.exists() and any(output.iterdir()):
        raise ConfigError(f"output: {output} exists and is not empty; choose a new folder")
    if output.resolve() == root.resolve() or root.resolve().is_relative_to(output.resolve()):
        raise ConfigError(
            f"output: the kit folder {output} must not hold the organizer's root {root}"
        )
    data = prepare(cfg)
    write_manifest(data, root)
    _write_data(data, output / "data")
    (output / "schema.json").write_text(json.dumps(data.schema.to_dict(), indent=1))
    public = PublicChallenge.from_config(cfg, data).to_json()
    (output / KIT_FILE).write_text(json.dumps(public, indent=1))
    (output / "submission.yaml").write_text(
        "# Submission manifest: copy next to your model and fill in.\n"
        + yaml.safe_dump(_template(cfg, data), sort_keys=False)
    )
    (output / "README.md").write_text(_readme(cfg, data))
    made = _examples(cfg, data, output / "examples")
    log.info("kit for %s written to %s (%d example submissions)", cfg.name, output, len(made))
    return made
