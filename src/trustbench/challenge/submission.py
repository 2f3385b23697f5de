"""The challenge submission format, and the checks run on a submission before anything is loaded.

A submission is a folder::

    submission.yaml            the manifest (below)
    model.onnx                 or model.safetensors: the model, named by ``model``
    sample_predictions.npy     the model's probabilities on the kit's public sample inputs
    README.md, LICENSE         optional plain-text files (README*, LICENSE*, LICENCE*, NOTICE*,
                               CITATION*, with no suffix or .md/.txt/.rst)

Files may sit at most one sub-folder deep. Anything else is refused: unknown files, hidden
files, symbolic and hard links (never followed), fifos and devices, names other than letters,
digits, ``.``, ``_`` and ``-``, and any file that is a pickle (by content or suffix: pickle,
joblib, cloudpickle, ``torch.save`` archives, ``.pt``/``.pth``/``.pkl``/``.joblib``/``.ckpt``),
a ``torch.export`` archive (``.pt2``), an MLflow model folder (``MLmodel``), a native
executable or a script. The manifest::

    team: "Ünïcode & <any> name"   # 1-64 characters, no control characters
    challenge: heart-2025           # the challenge's name
    format: onnx                    # or safetensors
    model: model.onnx
    architecture: tabular_mlp_v1    # safetensors only: an architecture the challenge defines
    input: {name: X, dtype: float32, shape: [null, 12]}   # null is the batch dimension
    seed: 0
    licence: Apache-2.0             # an SPDX-like licence expression
    sample_predictions: sample_predictions.npy
    description: optional free text
    selected: true                  # optional: the team's pick for the final board

An ONNX model must embed its weights (no external data), use only the standard operator
domains (ai.onnx, ai.onnx.ml), take one input matching ``input`` with a free batch dimension
and return ``probabilities`` of shape (batch, n_classes). A safetensors file's header must
describe its bytes exactly and hold exactly the architecture's state dict (keys and shapes).

:func:`check_submission` runs every check and raises :class:`SubmissionError` listing all
problems at once, one line each. It reads bytes only (:mod:`~trustbench.challenge.folder`,
:mod:`~trustbench.challenge.formats`, :mod:`~trustbench.challenge.onnx_checks`):
no file is unpickled, no model is loaded or run, no link is followed. Loading and running the
model happens later, in the sandboxed worker.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from trustbench.challenge import formats, onnx_checks
from trustbench.challenge.folder import read_all, scan
from trustbench.challenge.manifest import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    check_team,
    manifest_fields,
    parse_manifest,
)
from trustbench.errors import ConfigError, TrustbenchError

FORMATS = ("onnx", "safetensors")
DOC_STEMS = ("README", "LICENSE", "LICENCE", "NOTICE", "CITATION")
DOC_SUFFIXES = ("", ".md", ".txt", ".rst")
MAX_DOC_BYTES = 1_000_000


class SubmissionError(TrustbenchError):
    """A submission folder fails its checks; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str], folder: str | os.PathLike[str] | None = None) -> None:
        self.problems = list(problems)
        self.folder = folder
        where = f"Submission {formats.show(str(folder), 200)}" if folder else "Submission"
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"{where} has {len(self.problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class ChallengeInput:
    """What a challenge expects of a submission; built by the challenge config.

    Parameters
    ----------
    challenge : str
        The challenge's name, which the manifest's ``challenge`` must equal.
    input_name, dtype : str
        The model input's name and numpy dtype name (``"float32"``).
    shape : tuple of int
        The input shape without the batch dimension (``(12,)``, or ``(1, 28, 28)``).
    n_classes : int
        Columns of the probability output.
    sample_rows : int
        Rows of the kit's public sample inputs, hence of ``sample_predictions``.
    formats : tuple of str
        Accepted model formats, among ``"onnx"`` and ``"safetensors"``.
    architectures : mapping
        Architecture name -> expected safetensors state dict (key -> shape).
    max_mb : float
        Size limit of the whole folder, in MB (10**6 bytes).
    """

    challenge: str
    input_name: str
    dtype: str
    shape: tuple[int, ...]
    n_classes: int
    sample_rows: int
    formats: tuple[str, ...] = FORMATS
    architectures: Mapping[str, Mapping[str, tuple[int, ...]]] = field(
        default_factory=dict, hash=False
    )
    max_mb: float = 50.0

    def __post_init__(self) -> None:
        shapes = {
            name: MappingProxyType({str(k): tuple(int(d) for d in s) for k, s in sd.items()})
            for name, sd in dict(self.architectures).items()
        }
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        object.__setattr__(self, "formats", tuple(self.formats))
        object.__setattr__(self, "architectures", MappingProxyType(shapes))
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown or not self.formats:
            raise ConfigError(
                f"ChallengeInput.formats must be a non-empty subset of {FORMATS}; "
                f"received {self.formats}"
            )
        if "safetensors" in self.formats and not self.architectures:
            raise ConfigError(
                "ChallengeInput.formats includes safetensors, so architectures "
                "must name at least one architecture; received none"
            )
        try:
            np.dtype(self.dtype)
        except TypeError as err:
            raise ConfigError(
                f"ChallengeInput.dtype must be a numpy dtype name; received {self.dtype!r}"
            ) from err
        if any(d <= 0 for d in self.shape) or self.n_classes < 2 or self.sample_rows < 1:
            raise ConfigError(
                f"ChallengeInput needs positive shape dims, n_classes >= 2 and "
                f"sample_rows >= 1; received shape={self.shape}, "
                f"n_classes={self.n_classes}, sample_rows={self.sample_rows}"
            )
        if not self.max_mb > 0:
            raise ConfigError(f"ChallengeInput.max_mb must be positive; received {self.max_mb}")

    @property
    def max_bytes(self) -> int:
        """The folder's size limit in bytes."""
        return int(self.max_mb * 1_000_000)


@dataclass(frozen=True)
class Submission:
    """A submission that passed every check: the parsed manifest and the resolved paths.

    ``sha256`` hashes the folder's content: the sorted (relative POSIX path, file bytes) pairs,
    each length-prefixed (:func:`folder_sha256`). It ignores timestamps and permissions, so a
    copy of the folder has the same hash, and it covers exactly the bytes that were checked.
    """

    folder: Path
    team: str
    challenge: str
    format: str
    model: Path
    architecture: str | None
    input_name: str
    input_dtype: str
    input_shape: tuple[int | None, ...]
    seed: int
    licence: str
    sample_predictions: Path
    description: str | None
    selected: bool
    files: tuple[str, ...]
    sha256: str
    sample_probabilities: np.ndarray = field(repr=False, compare=False)


def folder_sha256(files: Mapping[str, bytes]) -> str:
    """sha256 over the sorted (relative path, bytes) pairs, each part length-prefixed."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        for part in (rel.encode("utf-8", "surrogateescape"), files[rel]):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
    return digest.hexdigest()


def check_submission(folder: str | os.PathLike[str], expected: ChallengeInput) -> Submission:
    """Check a submission folder against a challenge without loading anything from it.

    Raises
    ------
    SubmissionError
        Listing every problem found, one line each.
    """
    root = Path(os.path.abspath(folder))
    problems: list[str] = []
    found, names = scan(root, expected.max_bytes, problems)
    if found is None:
        raise SubmissionError(problems, root)
    files = read_all(root, found, problems)
    fields, claimed = manifest_fields(files.get(MANIFEST), names, expected, problems)
    roles = {MANIFEST: "manifest"}
    for key in ("model", "sample_predictions"):
        rel = fields.get(key)
        if rel in files:
            roles[rel] = key
        elif rel is not None and rel not in names:
            listed = ", ".join(sorted(files)) or "none"
            problems.append(
                f"{MANIFEST}: {key} names {formats.show(rel)}, which is not a file "
                f"in the folder (files: {listed}); copy it in or fix the name."
            )
    proba = None
    for rel in sorted(files):
        role = roles.get(rel) or ("doc" if _is_doc(rel) else None)
        if role is None and (claimed is None or rel in claimed):
            role = "claimed"  # its manifest line already says what to fix: check content only
        if role == "model" and "format" not in fields:
            continue  # the format line already says what to fix
        if role == "model":
            problems.extend(_model_problems(rel, files[rel], fields, expected))
        elif role == "sample_predictions":
            proba = _predictions(rel, files[rel], expected, problems)
        elif role != "manifest":
            problems.extend(_other_problems(rel, files[rel], role))
    if problems:
        raise SubmissionError(problems, root)
    return Submission(
        folder=root,
        team=fields["team"],
        challenge=fields["challenge"],
        format=fields["format"],
        model=root / fields["model"],
        architecture=fields.get("architecture"),
        input_name=fields["input"]["name"],
        input_dtype=fields["input"]["dtype"],
        input_shape=tuple(fields["input"]["shape"]),
        seed=fields["seed"],
        licence=fields["licence"],
        sample_predictions=root / fields["sample_predictions"],
        description=fields.get("description"),
        selected=fields.get("selected", False),
        files=tuple(sorted(files)),
        sha256=folder_sha256(files),
        sample_probabilities=proba,
    )


def read_team(folder: str | os.PathLike[str]) -> str | None:
    """The team a folder's manifest names, read without the other checks (to record a refused
    submission); ``None`` when the manifest is missing, not a regular file or names no team."""
    root = Path(os.path.abspath(folder))
    try:
        st = os.lstat(root / MANIFEST)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_MANIFEST_BYTES:
        return None
    doc = parse_manifest(read_all(root, {MANIFEST: st}, []).get(MANIFEST), set(), [])
    team, line = check_team(doc.get("team"), None) if doc else (None, "no manifest")
    return None if line else team


def _is_doc(rel: str) -> bool:
    stem, dot, suffix = rel.partition(".")
    return "/" not in rel and stem.upper() in DOC_STEMS and dot + suffix.lower() in DOC_SUFFIXES


def _other_problems(rel: str, data: bytes, role: str | None) -> list[str]:
    line = formats.refusal(rel, data)
    if line or role == "claimed":
        return [line] if line else []
    if role != "doc":
        return [
            f"{rel}: is not part of a submission, which holds {MANIFEST}, the model, the "
            f"sample predictions and optional README/LICENSE text files; delete it."
        ]
    if len(data) > MAX_DOC_BYTES or b"\x00" in data or not _utf8(data):
        return [
            f"{rel}: expected a plain UTF-8 text file under {MAX_DOC_BYTES // 1000} kB; "
            f"received binary or oversized content; delete it or save it as text."
        ]
    return []


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --------------------------------------------------------------------------- model and predictions


def _model_problems(
    rel: str, data: bytes, fields: Mapping[str, Any], expected: ChallengeInput
) -> list[str]:
    if fields["format"] == "onnx":
        line = formats.refusal(rel, data)
        if line:
            return [line]
        return onnx_checks.onnx_problems(
            rel, data, input_name=expected.input_name, dtype=expected.dtype,
            shape=expected.shape, n_classes=expected.n_classes,
        )  # fmt: skip
    tensors, problems = formats.safetensors_tensors(rel, data)
    if tensors is None:
        line = formats.refusal(rel, data)
        return [line] if line else problems
    architecture = fields.get("architecture")
    if architecture is None:
        return []
    return formats.compare_state_dict(
        rel, tensors, expected.architectures[architecture], architecture
    )


def _predictions(
    rel: str, data: bytes, expected: ChallengeInput, problems: list[str]
) -> np.ndarray | None:
    proba, lines = formats.read_npy(rel, data)
    if proba is not None:
        lines = formats.probability_problems(rel, proba, expected.sample_rows, expected.n_classes)
    problems.extend(lines)
    return None if lines else proba
