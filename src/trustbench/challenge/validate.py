"""``trustbench-challenge validate <dir>``: every check the scorer runs, offline, on public data.

The manifest and files are checked as the scorer checks them; then the model is loaded and
queried in the same sandbox with the same limits, reproduces its sample predictions, and
predicts the public dev inputs. No hidden data is involved (the challenge's data are derived
from its config; only public parts are used here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from trustbench.challenge.config import load_challenge
from trustbench.challenge.data import prepare
from trustbench.challenge.loading import expected_input, load_submission
from trustbench.challenge.sandbox import SandboxError
from trustbench.challenge.submission import SubmissionError, check_submission
from trustbench.errors import TrustbenchError

__all__ = ["Validation", "print_validation", "validate"]


@dataclass
class Validation:
    """The outcome: ``ok``, the problems (one line each) or a short report."""

    folder: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    report: dict[str, str] = field(default_factory=dict)


def _challenge_name(folder: Path, given: str | None) -> str | None:
    if given:
        return given
    manifest = folder / "submission.yaml"
    if manifest.is_file() and not manifest.is_symlink():
        try:
            text = manifest.read_bytes()[:65536].decode("utf-8", "replace")
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            return None
        if isinstance(parsed, dict) and isinstance(parsed.get("challenge"), str):
            return parsed["challenge"]
    return None


def validate(
    folder: Path,
    challenge: str | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    allow_unisolated: bool = False,
) -> Validation:
    """Check a submission folder as the scorer would (see the module docstring)."""
    folder = Path(folder)
    name = _challenge_name(folder, challenge)
    if name is None:
        return Validation(
            str(folder),
            False,
            ["submission.yaml: no readable 'challenge' key; pass challenge=<name> to validate"],
        )
    try:
        cfg = load_challenge(name, overrides)
        data = prepare(cfg)
        submission = check_submission(folder, expected_input(cfg, data))
    except SubmissionError as exc:
        return Validation(str(folder), False, list(exc.problems))
    except TrustbenchError as exc:
        return Validation(str(folder), False, [str(exc)])
    start = time.perf_counter()
    try:
        with load_submission(cfg, data, folder, submission, allow_unisolated) as loaded:
            loaded_in = time.perf_counter() - start
            proba = loaded.model.predict_proba(data.schema.encode(data.dev.X))
            isolation = loaded.isolation
    except (TrustbenchError, SandboxError) as exc:
        return Validation(str(folder), False, [str(exc)])
    counts = np.bincount(proba.argmax(axis=1), minlength=proba.shape[1])
    share = ", ".join(
        f"{c} {n / len(proba):.0%}" for c, n in zip(data.schema.classes, counts, strict=True)
    )
    report = {
        "challenge": cfg.name,
        "team": submission.team,
        "format": submission.format
        + (f" ({submission.architecture})" if submission.architecture else ""),
        "sha256": submission.sha256,
        "sandbox": isolation,
        "loaded and sample reproduced in": f"{loaded_in:.1f} s",
        "dev inputs predicted": f"{len(proba)} rows; predicted classes: {share}",
    }
    return Validation(str(folder), True, report=report)


def print_validation(result: Validation) -> None:
    """The short report (exit 0) or one line per problem (exit 2)."""
    if result.ok:
        print(f"OK {result.folder}: ready to submit")
        for key, value in result.report.items():
            print(f"  {key}: {value}")
        return
    print(f"NOT OK {result.folder}: {len(result.problems)} problem(s)")
    for problem in result.problems:
        print(f"  - {problem}")
