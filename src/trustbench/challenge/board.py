"""A challenge's boards: the public (dev) or private (final) board of one phase.

One row per team: its selected submission of that phase (the latest FINISHED one, or with
``final_selection: pick`` the latest one its manifest marks ``selected: true``), ranked by the
existing leaderboard (intervals, ties, several rankings) on the metrics the challenge counts,
each row linked to the submission's trust card. Team names and every other submitted string
are escaped by the renderers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trustbench.challenge.config import ChallengeConfig
from trustbench.challenge.records import PHASE_TAG, SELECTED_TAG, TEAM_PARAM, TEAM_TAG
from trustbench.errors import ConfigError
from trustbench.leaderboard.build import BoardOptions, build_board
from trustbench.leaderboard.cli import write_site
from trustbench.leaderboard.fetch import fetch_artifact, fetch_directions, fetch_runs
from trustbench.leaderboard.records import RunRecord
from trustbench.tracking.store import resolve_tracking_uri

__all__ = ["build_challenge_board", "select_submissions"]


def select_submissions(records: list[RunRecord], phase: str, rule: str) -> list[RunRecord]:
    """Each team's counted submission of ``phase``: its latest FINISHED run, or under
    ``rule == "pick"`` its latest FINISHED run marked selected (else its latest)."""
    by_team: dict[str, list[RunRecord]] = {}
    for record in records:
        if record.status == "FINISHED" and record.tags.get(PHASE_TAG) == phase:
            by_team.setdefault(record.tags.get(TEAM_TAG, ""), []).append(record)
    chosen = []
    for team in sorted(by_team):
        runs = sorted(by_team[team], key=lambda r: (r.end_time, r.run_id))
        picked = [r for r in runs if r.tags.get(SELECTED_TAG) == "true"]
        chosen.append((picked if rule == "pick" and picked else runs)[-1])
    return chosen


def _options(cfg: ChallengeConfig) -> BoardOptions:
    ranking = cfg.ranking
    return BoardOptions(
        group_by=[TEAM_PARAM],
        ranking_metrics=list(ranking.get("metrics") or []) or None,
        ranking_exclude=list(ranking.get("exclude") or []),
        min_coverage=float(ranking.get("min_coverage", 0.75)),
        # a team's row is one submitted model scored once, not a mean over training seeds
        min_seeds=1,
        primary=str(ranking.get("primary", "win_rate")),
        selection={"challenge": cfg.name},
    )


def build_challenge_board(
    cfg: ChallengeConfig,
    phase: str,
    output_dir: Path,
    *,
    tracking_uri: str | None = None,
) -> tuple[dict[str, Any], list[Path]]:
    """Build and write the board of ``phase`` (index.html, CSV, JSON, Markdown, and one trust
    card per row under ``cards/``); returns the board and the files written."""
    visibility = cfg.phase(phase).board
    uri = resolve_tracking_uri(tracking_uri or cfg.tracking_uri)
    try:
        records = fetch_runs(uri, [cfg.experiment], fast=False)
    except ConfigError as exc:
        raise ConfigError(
            f"no submissions scored yet for challenge '{cfg.name}' ({exc}); run "
            f"trustbench-challenge score challenge={cfg.name} submissions=<dir> phase={phase}"
        ) from None
    selected = select_submissions(records, phase, cfg.final_selection)
    board = build_board(selected, fetch_directions(uri, selected), _options(cfg))
    output_dir = Path(output_dir)
    for row in board["rows"]:
        row["label"] = row["params"].get(TEAM_PARAM, row["label"])  # one row per team
        run_id = row["run_ids"][0]
        try:
            fetch_artifact(uri, run_id, "trust_card.html", output_dir / "cards" / f"{run_id}.html")
        except Exception as exc:  # a card that cannot be read leaves the row unlinked
            row["card_error"] = f"{type(exc).__name__}"
            continue
        row["card"] = f"cards/{run_id}.html"
    board["challenge"] = {"name": cfg.name, "phase": phase, "board": visibility}
    title = f"{cfg.title} · {visibility} board ({phase} phase)"
    written = write_site(board, output_dir, title)
    return board, written
