"""The organizer's scorer: every submission folder of an inbox, on hidden data, in a sandbox.

For each folder: the limits of its team, the same checks the participant's validator runs, a
copy stored by content hash (never overwritten), the model loaded and queried only inside the
sandboxed worker (inputs in, probabilities out; labels never enter it), the sample predictions
reproduced, then every configured suite run on the phase's hidden data through the model
facade. Each attempt is one MLflow run in the challenge's experiment: FINISHED, or FAILED with
a one-line reason the team may see.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustbench.challenge import records as R
from trustbench.challenge.config import ChallengeConfig
from trustbench.challenge.data import ChallengeData, check_manifest, prepare
from trustbench.challenge.loading import LoadedSubmission, load_submission, not_available
from trustbench.challenge.public import PublicChallenge
from trustbench.challenge.reference import build_recipe
from trustbench.challenge.sandbox import SandboxError
from trustbench.challenge.submission import Submission, SubmissionError, check_submission
from trustbench.errors import TrustbenchError
from trustbench.tracking import log_report, prepare_experiment, resolve_tracking_uri, tracked_run
from trustbench.tracking.identity import trustbench_version
from trustbench.tracking.queries import run_starts, set_tags

log = logging.getLogger("trustbench.challenge")

__all__ = ["Outcome", "score_inbox", "score_submission"]


class Refused(TrustbenchError):
    """A submission that is not scored; the message is the reason its team sees."""


@dataclass
class Outcome:
    """What happened to one submission folder."""

    folder: str
    team: str
    status: str  # "FINISHED" or "FAILED"
    reason: str | None
    run_id: str | None
    sha256: str | None


def _store(submission: Submission, root: Path) -> Path:
    """Copy the checked folder to ``root/submissions/<sha256>`` unless already there."""
    target = root / "submissions" / submission.sha256
    if not target.exists():
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(submission.folder, staging, symlinks=True)
        staging.rename(target)
    return target


def _check_limits(
    cfg: ChallengeConfig, team: str, phase: str, experiment_id: str, uri: str, today: dt.date
) -> None:
    starts = run_starts(
        experiment_id,
        {R.TEAM_ID_TAG: R.team_id(team), R.PHASE_TAG: phase, R.COUNTED_TAG: "true"},
        tracking_uri=uri,
    )
    if len(starts) >= cfg.limits.total:
        raise Refused(
            f"over the limit: team has {len(starts)} scored submissions in phase '{phase}' "
            f"(at most {cfg.limits.total})"
        )
    same_day = sum(
        dt.datetime.fromtimestamp(s / 1000, dt.timezone.utc).date() == today for s in starts
    )
    if same_day >= cfg.limits.per_day:
        raise Refused(
            f"over the daily limit: team has {same_day} scored submissions on {today} "
            f"(at most {cfg.limits.per_day} a day); submit again tomorrow (UTC)"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:2000] if text else type(exc).__name__


def _team_of(folder: Path) -> str:
    """The team a folder claims, for a record of a manifest that did not parse."""
    from trustbench.challenge.submission import read_team

    return read_team(folder) or f"unknown (folder {folder.name})"


def score_submission(
    cfg: ChallengeConfig,
    data: ChallengeData,
    folder: Path,
    phase: str,
    *,
    root: Path,
    uri: str,
    experiment_id: str,
    allow_unisolated: bool = False,
    today: dt.date | None = None,
    public: PublicChallenge | None = None,
) -> Outcome:
    """Score one submission folder; never raises for a bad submission (it is recorded).

    ``public`` (the challenge's public facts and sample) is built from ``cfg`` and ``data``
    when not given; :func:`score_inbox` builds it once for all its folders.
    """
    today = today or dt.datetime.now(dt.timezone.utc).date()
    team = _team_of(folder)
    tags = {
        R.NAME_TAG: cfg.name,
        R.PHASE_TAG: phase,
        R.TEAM_TAG: team,
        R.TEAM_ID_TAG: R.team_id(team),
        R.SCORER_TAG: trustbench_version(),
        R.COUNTED_TAG: "false",
    }
    submission: Submission | None = None
    try:
        with tracked_run(uri, experiment_id, run_name=f"{cfg.name}:{phase}") as run_id:
            set_tags(run_id, tags, tracking_uri=uri)
            try:
                if not cfg.phase(phase).is_open(today):
                    p = cfg.phase(phase)
                    raise Refused(f"phase '{phase}' accepts submissions {p.opens} to {p.closes}")
                public = public or PublicChallenge.from_config(cfg, data)
                submission = check_submission(folder, public.expected)
                tags.update({R.SHA_TAG: submission.sha256, R.FORMAT_TAG: submission.format})
                tags[R.SELECTED_TAG] = "true" if submission.selected else "false"
                set_tags(run_id, tags, tracking_uri=uri)
                _check_limits(cfg, team, phase, experiment_id, uri, today)
                tags[R.COUNTED_TAG] = "true"
                set_tags(run_id, tags, tracking_uri=uri)
                stored = _store(submission, root)
                with load_submission(public, stored, submission, allow_unisolated) as loaded:
                    set_tags(run_id, {R.ISOLATION_TAG: loaded.isolation}, tracking_uri=uri)
                    report = _score(cfg, data, phase, loaded)
            except SubmissionError as exc:
                raise Refused("; ".join(exc.problems)) from None
            except (TrustbenchError, SandboxError) as exc:
                raise Refused(_first_line(exc)) from None
            except Exception as exc:  # a scorer fault: recorded, the other submissions go on
                log.exception("scoring %s failed", folder.name)
                raise Refused(
                    f"internal scoring error ({type(exc).__name__}); the organizers have the log"
                ) from None
            config = {
                "challenge": {"name": cfg.name, "phase": phase, "team": team},
                "submission": {"sha256": submission.sha256, "format": submission.format},
            }
            log_report(run_id, report, tracking_uri=uri, config=config, tags=tags)
        return Outcome(folder.name, team, "FINISHED", None, run_id, submission.sha256)
    except Refused as exc:
        reason = str(exc)
        set_tags(run_id, {R.REASON_TAG: reason}, tracking_uri=uri)
        log.warning("submission %s (team %r) failed: %s", folder.name, team, reason)
        return Outcome(
            folder.name, team, "FAILED", reason, run_id, submission.sha256 if submission else None
        )


def _score(cfg: ChallengeConfig, data: ChallengeData, phase: str, loaded: LoadedSubmission) -> Any:
    import trustbench

    task = data.phase_task(phase)
    recipe = None
    if cfg.reference_recipe is not None:
        recipe = build_recipe(cfg.reference_recipe, task, cfg.seed)
    report = trustbench.score(
        loaded.model, task, config=cfg.suites, seed=cfg.seed, reference_recipe=recipe
    )
    report.run["challenge"] = {
        "name": cfg.name,
        "phase": phase,
        "format": loaded.submission.format,
        "isolation": loaded.isolation,
        "not_available": not_available(loaded.submission.format, cfg.reference_recipe),
    }
    for family, reason in not_available(loaded.submission.format, cfg.reference_recipe).items():
        suite = report.suites.get(family)
        if suite is not None:
            suite.notes.append(
                f"not available to a {loaded.submission.format} submission: {reason}"
            )
    return report


def score_inbox(
    cfg: ChallengeConfig,
    inbox: Path,
    phase: str,
    *,
    root: Path,
    tracking_uri: str | None = None,
    allow_unisolated: bool = False,
    today: dt.date | None = None,
) -> list[Outcome]:
    """Score every submission folder in ``inbox`` (sorted by name); one run each."""
    cfg.phase(phase)
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise TrustbenchError(f"submissions: no folder at {inbox}")
    data = prepare(cfg)
    check_manifest(data, root)
    uri = resolve_tracking_uri(tracking_uri or cfg.tracking_uri)
    experiment_id = prepare_experiment(uri, cfg.experiment)
    public = PublicChallenge.from_config(cfg, data)
    outcomes = []
    for folder in sorted(inbox.iterdir()):
        if folder.is_symlink() or not folder.is_dir() or folder.name.startswith("."):
            log.warning("skipping %s: not a submission folder", folder.name)
            continue
        outcomes.append(
            score_submission(
                cfg, data, folder, phase, root=Path(root), uri=uri,
                experiment_id=experiment_id, allow_unisolated=allow_unisolated, today=today,
                public=public,
            )
        )  # fmt: skip
    return outcomes
