"""Ranking scores, Pareto status, rank intervals and ties on hand-built rows."""

from __future__ import annotations

import numpy as np
import pytest
from tests.leaderboard.helpers import record

from trustbench.leaderboard import scores
from trustbench.leaderboard.aggregate import aggregate
from trustbench.leaderboard.directions import resolve_all
from trustbench.leaderboard.rank import rank, select_metrics, tie_groups

# rows A, B, C; metric 1 "max", metric 2 "min", metric 3 "target:0"
X = np.array([[0.9, 0.3, -0.1], [0.8, 0.1, 0.05], [0.7, 0.2, 0.3]])
DIRS = ["max", "min", "target:0"]


def test_normalised_hand_computed():
    # oriented: col1 [.9 .8 .7]; col2 [-.3 -.1 -.2]; col3 [-.1 -.05 -.3]
    expected = np.array([[1.0, 0.0, 0.8], [0.5, 1.0, 1.0], [0.0, 0.5, 0.0]])
    np.testing.assert_allclose(scores.normalised(X, DIRS), expected)
    fam = scores.family_scores(X, DIRS, ["p", "p", "f"], ["f", "p"])
    np.testing.assert_allclose(fam, [[0.8, 0.5], [1.0, 0.75], [0.0, 0.25]])
    np.testing.assert_allclose(
        scores.normalised_score(X, DIRS, ["p", "p", "f"]), [0.65, 0.875, 0.125]
    )


def test_win_rate_and_average_rank_hand_computed():
    # per-metric wins out of 2 others: A: 2,0,1 -> 0.5; B: 1,2,2 -> 5/6; C: 0,1,0 -> 1/6
    np.testing.assert_allclose(scores.win_rate(X, DIRS), [0.5, 5 / 6, 1 / 6])
    # ranks: A 1,3,2 -> 2; B 2,1,1 -> 4/3; C 3,2,3 -> 8/3
    np.testing.assert_allclose(scores.average_rank(X, DIRS), [2.0, 4 / 3, 8 / 3])


def test_win_rate_counts_ties_half():
    Y = np.array([[1.0], [1.0], [0.0]])
    np.testing.assert_allclose(scores.win_rate(Y, ["max"]), [0.75, 0.75, 0.0])
    np.testing.assert_allclose(scores.competition_rank(np.array([0.5, 0.9, 0.5])), [2, 1, 2])


def test_dominance():
    F = np.array([[1.0, 0.0], [0.5, 0.5], [0.4, 0.4], [0.5, 0.5]])
    assert scores.dominated_by(F) == [[], [], [1, 3], []]


def test_tie_groups_chain_overlaps():
    assert tie_groups([(1, 1), (2, 3), (3, 4), (4, 4)]) == [(0, 0), (1, 3), (1, 3), (1, 3)]
    assert tie_groups([(1, 1), (2, 2), (3, 3)]) == [(0, 0), (1, 1), (2, 2)]


def _runs(spread: float) -> list:
    runs = []
    for model, acc, gap in [("a", 0.90, 0.05), ("b", 0.80, 0.10), ("c", 0.70, 0.20)]:
        for s in range(3):
            d = spread * (s - 1)
            runs.append(
                record(
                    f"{model}{s}",
                    model,
                    s,
                    {
                        "performance/accuracy": acc + d,
                        "fairness/equalized_odds_difference": gap + d,
                    },
                )
            )
    return runs


def _rank(runs, **kw):
    rows = aggregate(runs).rows
    metas = resolve_all({k for r in rows for k in r.cells}, {})
    keys = select_metrics(rows, metas, ["*"])
    return rank(rows, metas, keys, n_bootstrap=200, **kw), rows


def test_clear_separation_gives_distinct_ranks():
    ranking, rows = _rank(_runs(0.001))
    labels = {r.config_id: r.label for r in rows}
    assert [labels[r.config_id] for r in ranking.rows] == ["model=a", "model=b", "model=c"]
    assert [r.rank_label for r in ranking.rows] == ["1", "2", "3"]
    assert [(r.rank_low, r.rank_high) for r in ranking.rows] == [(1, 1), (2, 2), (3, 3)]
    assert ranking.rows[0].win_rate == pytest.approx(1.0)
    assert ranking.rows[0].pareto_optimal and not ranking.rows[2].pareto_optimal


def test_noisy_seeds_give_ties():
    ranking, _ = _rank(_runs(0.3))
    assert all(r.tied for r in ranking.rows)
    assert {r.rank_label for r in ranking.rows} == {"1-3 (tie)"}


def test_partial_rows_are_listed_apart_and_unknown_directions_not_ranked():
    runs = [*_runs(0.001), record("d0", "d", 0, {"performance/accuracy": 0.99, "custom/x": 1.0})]
    rows = aggregate(runs).rows
    metas = resolve_all({k for r in rows for k in r.cells}, {})
    keys = select_metrics(rows, metas, ["*"])
    assert keys == [
        "fairness/equalized_odds_difference",
        "performance/accuracy",
    ]  # custom/x unknown
    ranking = rank(rows, metas, keys, n_bootstrap=50)
    assert len(ranking.rows) == 3
    assert [next(r.label for r in rows if r.config_id == c) for c in ranking.partial] == ["model=d"]


def test_min_coverage_drops_rare_metrics():
    runs = [*_runs(0.001), record("x", "a", 9, {"privacy/dp/epsilon": 1.0})]
    rows = aggregate(runs).rows
    metas = resolve_all({k for r in rows for k in r.cells}, {})
    assert "privacy/dp/epsilon" not in select_metrics(rows, metas, ["*"], min_coverage=0.5)
    assert "privacy/dp/epsilon" in select_metrics(rows, metas, ["*"], min_coverage=0.3)


def test_rows_with_too_few_seeds_are_still_ranked_and_flagged():
    from trustbench.leaderboard.build import BoardOptions, build_board

    runs = [
        record(f"{model}{s}", model, s, {"performance/accuracy": acc + 0.001 * s})
        for model, acc, n in [("a", 0.9, 5), ("b", 0.8, 5), ("c", 0.7, 2)]
        for s in range(n)
    ]
    board = build_board(runs, {}, BoardOptions(n_bootstrap=100))
    rows = {r["label"]: r for r in board["rows"]}
    assert all(r["complete"] and r["ranking"] for r in rows.values())  # none left unranked
    assert rows["model=c"]["ranking"]["position"] == 3
    assert {k: r["too_few_seeds"] for k, r in rows.items()} == {
        "model=a": False,
        "model=b": False,
        "model=c": True,
    }
    assert board["counts"]["ranked"] == 3 and board["counts"]["too_few_seeds"] == 1
    (warning,) = board["warnings"]
    assert "1 of 3 configurations" in warning and "model=c (2 seeds)" in warning
    assert "model=a" not in warning
    assert "fewer than 5" in board["method"]["seeds"] and "still ranked" in board["method"]["seeds"]
