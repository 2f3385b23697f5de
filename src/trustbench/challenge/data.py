"""A challenge's data: the public parts the kit ships and the hidden parts only scoring sees.

:func:`prepare` derives every part from the challenge config alone (the dataset ships with the
package, the split is seeded), so the organizer's scorer and the kit agree without a file
passing between them; the hidden manifest (row ids and fingerprints, written under the
organizer's root, never into a kit) lets the scorer check that it derived the same data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from trustbench import data as data_module
from trustbench.challenge.config import ChallengeConfig
from trustbench.challenge.encoding import InputSchema
from trustbench.data.task import Split, TaskData
from trustbench.errors import DataError

__all__ = ["ChallengeData", "prepare"]


@dataclass
class ChallengeData:
    """Public and hidden parts of one challenge's data.

    Attributes
    ----------
    task : TaskData
        The dataset as loaded (its ``train`` split is public with labels).
    dev, test : Split
        The dataset's test split cut in two: ``dev`` (public inputs, hidden labels) and the
        hidden ``test``.
    sample : numpy.ndarray
        Positions in ``dev`` of the public sample every submission predicts.
    schema : InputSchema
    """

    task: TaskData
    dev: Split
    test: Split
    sample: np.ndarray
    schema: InputSchema

    def phase_task(self, phase: str) -> TaskData:
        """The TaskData a phase is scored on: the public train split (the members of the
        privacy audit), ``dev`` (phase ``dev``) or the hidden ``test`` (phase ``final``) as the
        in-distribution test split, and the hidden ``ood`` split."""
        scored = self.dev if phase == "dev" else self.test
        splits = {"train": self.task.train, "test": scored}
        if self.task.ood is not None:
            splits["ood"] = self.task.ood
        digest = hashlib.sha256(
            f"{self.task.fingerprint}:{phase}:".encode() + scored.row_id.astype("<i8").tobytes()
        ).hexdigest()
        metadata = {**self.task.metadata, "challenge_phase": phase}
        return replace(self.task, splits=splits, fingerprint=digest, metadata=metadata)

    def manifest(self) -> dict:
        """Row ids and fingerprints of every part (the hidden manifest)."""
        return {
            "dataset_fingerprint": self.task.fingerprint,
            "rows": {
                "train": self.task.train.row_id.tolist(),
                "dev": self.dev.row_id.tolist(),
                "test": self.test.row_id.tolist(),
                "ood": [] if self.task.ood is None else self.task.ood.row_id.tolist(),
                "sample": self.sample.tolist(),
            },
            "phases": {p: self.phase_task(p).fingerprint for p in ("dev", "final")},
        }

    def sample_inputs(self) -> np.ndarray:
        """The public sample, encoded."""
        return self.schema.encode(self.dev.subset(self.sample).X)


def prepare(cfg: ChallengeConfig) -> ChallengeData:
    """Load the challenge's dataset and cut its test split into public dev and hidden test."""
    options = {k: v for k, v in cfg.dataset.items() if k != "name"}
    task = data_module.load(cfg.dataset["name"], seed=cfg.seed, **options)
    if task.ood is None or len(task.ood) == 0:
        raise DataError(
            f"challenge '{cfg.name}': dataset '{task.name}' has no ood split; a challenge scores "
            "generalization on a held-out site or scanner"
        )
    n = len(task.test)
    order = np.random.default_rng([cfg.seed, 7]).permutation(n)
    n_dev = max(cfg.splits.sample_rows, round(cfg.splits.dev_fraction * n))
    if not 0 < n_dev < n:
        raise DataError(
            f"challenge.splits: {n} test rows cannot give {n_dev} dev rows and a hidden test part"
        )
    dev = task.test.subset(np.sort(order[:n_dev]))
    test = task.test.subset(np.sort(order[n_dev:]))
    sample = np.arange(min(cfg.splits.sample_rows, len(dev)))
    return ChallengeData(task, dev, test, sample, InputSchema.from_task(task))


def write_manifest(data: ChallengeData, root: Path) -> Path:
    """Write the hidden manifest under the organizer's ``root`` (``hidden/manifest.json``)."""
    path = Path(root) / "hidden" / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data.manifest(), indent=1))
    return path


def check_manifest(data: ChallengeData, root: Path) -> None:
    """Refuse to score on data other than the kit's (a changed dataset or split)."""
    path = Path(root) / "hidden" / "manifest.json"
    if not path.is_file():
        return
    if json.loads(path.read_text()) != json.loads(json.dumps(data.manifest())):
        raise DataError(
            f"{path}: the data derived now differ from those the kit was built from (another "
            "dataset version or split); rebuild the kit or score with the original version"
        )


def public_frame(split: Split, schema: InputSchema, target: str | None) -> pd.DataFrame:
    """A split as the kit's CSV: row id, raw features, sensitive attributes, site, label."""
    frame = pd.DataFrame({"row_id": split.row_id})
    if schema.kind == "tabular":
        frame = pd.concat([frame, split.X.reset_index(drop=True)], axis=1)
    for name in split.sensitive.columns:
        frame[f"sensitive_{name}"] = split.sensitive[name].astype(str).to_numpy()
    if split.site is not None:
        frame["site"] = np.asarray(split.site).astype(str)
    if target is not None:
        frame[target] = [schema.classes[int(k)] for k in split.y]
    return frame
