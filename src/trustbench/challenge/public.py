"""What a participant may know of a challenge: its public facts, written into the kit.

The scorer builds a :class:`PublicChallenge` from the challenge config and its data; the kit
writes it to ``challenge.json`` beside the public sample and dev inputs; the participant's
validator reads it back from the kit. So validation runs every check the scorer runs (the
same expected input, architectures, size limit and sandbox limits) without the challenge's
data, which for a real cohort only the organizer holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trustbench.challenge import architectures
from trustbench.challenge.submission import ChallengeInput
from trustbench.errors import ConfigError

__all__ = ["KIT_FILE", "PublicChallenge", "find_kit"]

KIT_FILE = "challenge.json"


@dataclass
class PublicChallenge:
    """The public facts of a challenge, and its public sample and dev inputs (encoded).

    ``encode`` turns raw feature frames into the input tensor (the scorer's suites pass
    frames); the validator sends the kit's arrays as they are.
    """

    name: str
    title: str
    classes: list[str]
    expected: ChallengeInput
    dims: dict[str, dict[str, int]]
    sandbox: dict[str, Any]
    sample: np.ndarray
    dev: np.ndarray
    encode: Callable[[Any], np.ndarray] | None = None

    @classmethod
    def from_config(cls, cfg: Any, data: Any) -> PublicChallenge:
        """From a :class:`~trustbench.challenge.config.ChallengeConfig` and its data."""
        import dataclasses

        schema = data.schema
        shape, n_classes = tuple(int(s) for s in schema.shape), len(schema.classes)
        dims = {name: architectures.dims_for(name, shape, n_classes) for name in cfg.architectures}
        expected = ChallengeInput(
            challenge=cfg.name,
            input_name="X",
            dtype="float32",
            shape=shape,
            n_classes=n_classes,
            sample_rows=len(data.sample),
            formats=tuple(cfg.formats),
            architectures={n: architectures.expected_shapes(n, **d) for n, d in dims.items()},
            max_mb=float(cfg.limits.max_mb),
        )
        return cls(
            cfg.name,
            cfg.title,
            list(schema.classes),
            expected,
            dims,
            dataclasses.asdict(cfg.sandbox),
            data.sample_inputs(),
            schema.encode(data.dev.X),
            schema.encode,
        )

    def to_json(self) -> dict[str, Any]:
        """``challenge.json``: everything but the arrays (they are ``data/*.npy``)."""
        e = self.expected
        return {
            "name": self.name,
            "title": self.title,
            "classes": self.classes,
            "input": {"name": e.input_name, "dtype": e.dtype, "shape": list(e.shape)},
            "sample_rows": e.sample_rows,
            "formats": list(e.formats),
            "architectures": {n: {"dims": self.dims[n]} for n in self.dims},
            "max_mb": e.max_mb,
            "sandbox": self.sandbox,
        }

    @classmethod
    def from_kit(cls, kit: Path) -> PublicChallenge:
        """Read ``challenge.json`` and the public arrays of a kit folder."""
        kit = Path(kit)
        try:
            facts = json.loads((kit / KIT_FILE).read_text())
            sample = np.load(kit / "data" / "sample_X.npy", allow_pickle=False)
            dev = np.load(kit / "data" / "dev_X.npy", allow_pickle=False)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"kit {kit}: not a readable challenge kit ({exc})") from None
        dims = {
            n: {k: int(v) for k, v in a["dims"].items()} for n, a in facts["architectures"].items()
        }
        expected = ChallengeInput(
            challenge=facts["name"],
            input_name=facts["input"]["name"],
            dtype=facts["input"]["dtype"],
            shape=tuple(facts["input"]["shape"]),
            n_classes=len(facts["classes"]),
            sample_rows=int(facts["sample_rows"]),
            formats=tuple(facts["formats"]),
            architectures={n: architectures.expected_shapes(n, **d) for n, d in dims.items()},
            max_mb=float(facts["max_mb"]),
        )
        return cls(
            facts["name"], facts["title"], list(facts["classes"]), expected, dims,
            dict(facts["sandbox"]), sample, dev,
        )  # fmt: skip


def find_kit(folder: Path, given: str | None = None) -> Path | None:
    """The kit a submission is validated against: ``kit=`` if given, else the nearest parent
    of the submission folder (or the working directory's ``kit/``) holding ``challenge.json``."""
    if given:
        return Path(given)
    folder = Path(folder).resolve()
    for parent in (folder, *folder.parents):
        if (parent / KIT_FILE).is_file():
            return parent
    here = Path.cwd() / "kit"
    return here if (here / KIT_FILE).is_file() else None
