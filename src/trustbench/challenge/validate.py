"""``trustbench-challenge validate <dir> [kit=<kit>]``: every check the scorer runs, offline.

The manifest and files are checked as the scorer checks them, against the challenge's public
facts in the kit (``challenge.json``: expected input, formats, architectures, size and sandbox
limits); then the model is loaded and queried in the same sandbox with the same limits,
reproduces its sample predictions, and predicts the kit's dev inputs. Nothing but the kit is
read: no challenge data, hidden or public, is needed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trustbench.challenge.loading import load_submission
from trustbench.challenge.public import KIT_FILE, PublicChallenge, find_kit
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


def validate(folder: Path, kit: str | None = None, *, allow_unisolated: bool = False) -> Validation:
    """Check a submission folder as the scorer would (see the module docstring)."""
    folder = Path(folder)
    where = find_kit(folder, kit)
    if where is None:
        return Validation(
            str(folder),
            False,
            [
                f"no challenge kit found ({KIT_FILE} in a parent folder of the submission or in "
                "./kit): pass kit=<the kit folder> to validate"
            ],
        )
    try:
        public = PublicChallenge.from_kit(where)
        submission = check_submission(folder, public.expected)
    except SubmissionError as exc:
        return Validation(str(folder), False, list(exc.problems))
    except TrustbenchError as exc:
        return Validation(str(folder), False, [str(exc)])
    start = time.perf_counter()
    try:
        with load_submission(public, folder, submission, allow_unisolated) as loaded:
            loaded_in = time.perf_counter() - start
            proba = loaded.model.predict_proba(public.dev)
            isolation = loaded.isolation
    except (TrustbenchError, SandboxError) as exc:
        return Validation(str(folder), False, [str(exc)])
    counts = np.bincount(proba.argmax(axis=1), minlength=proba.shape[1])
    share = ", ".join(
        f"{c} {n / len(proba):.0%}" for c, n in zip(public.classes, counts, strict=True)
    )
    arch = f" ({submission.architecture})" if submission.architecture else ""
    report = {
        "challenge": public.name,
        "team": submission.team,
        "format": submission.format + arch,
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
