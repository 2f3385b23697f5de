"""Which submission of a team counts on a board: the latest valid one, or the team's pick."""

from __future__ import annotations

from trustbench.challenge.board import select_submissions
from trustbench.challenge.records import PHASE_TAG, SELECTED_TAG, TEAM_TAG
from trustbench.leaderboard.records import RunRecord


def _run(run_id, team, end, phase="final", status="FINISHED", selected=False):
    tags = {TEAM_TAG: team, PHASE_TAG: phase, SELECTED_TAG: "true" if selected else "false"}
    return RunRecord(run_id=run_id, status=status, tags=tags, end_time=end)


RUNS = [
    _run("a1", "A", 1, selected=True),
    _run("a2", "A", 2),
    _run("a3", "A", 3, status="FAILED"),  # a failed attempt never counts
    _run("b1", "B", 1),
    _run("b2", "B", 5, phase="dev"),  # another phase
]


def test_last_rule_takes_each_teams_latest_finished_run_of_the_phase():
    assert [r.run_id for r in select_submissions(RUNS, "final", "last")] == ["a2", "b1"]
    assert [r.run_id for r in select_submissions(RUNS, "dev", "last")] == ["b2"]


def test_pick_rule_takes_the_selected_run_else_the_latest():
    assert [r.run_id for r in select_submissions(RUNS, "final", "pick")] == ["a1", "b1"]
