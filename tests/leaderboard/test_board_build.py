"""The board: deterministic bytes whatever the run order, escaping, trade-offs, outputs."""

from __future__ import annotations

import json
import random

from tests.leaderboard.helpers import record

from trustbench.leaderboard.build import BoardOptions, build_board
from trustbench.leaderboard.render_html import to_html
from trustbench.leaderboard.render_tables import to_csv, to_json, to_markdown
from trustbench.leaderboard.tradeoffs import first_present, pareto_front

TRADEOFFS = [
    {
        "name": "acc_priv",
        "title": "Accuracy vs privacy",
        "x": ["performance/accuracy"],
        "y": ["privacy/loss/tpr_at_fpr_0.01", "privacy/loss_threshold/tpr_at_fpr_0.01"],
    }
]


def _runs() -> list:
    runs = []
    for model, acc, tpr in [("logreg", 0.85, 0.02), ("mlp", 0.87, 0.05), ("<b>x</b>", 0.8, 0.01)]:
        for s in range(2):
            runs.append(
                record(
                    f"{model}-{s}",
                    model,
                    s,
                    {
                        "performance/accuracy": (acc + 0.01 * s, acc - 0.05, acc + 0.05),
                        "privacy/loss_threshold/tpr_at_fpr_0.01": (tpr, 0.0, tpr + 0.02),
                    },
                )
            )
    runs.append(record("failed", "mlp", 5, {}, status="FAILED"))
    return runs


def _board(runs):
    return build_board(
        runs, {}, BoardOptions(ranking_metrics=("*",), n_bootstrap=100, tradeoffs=TRADEOFFS)
    )


def test_same_runs_in_any_order_give_identical_bytes():
    runs = _runs()
    first = _board(runs)
    shuffled = list(runs)
    random.Random(3).shuffle(shuffled)
    second = _board(shuffled)
    assert to_json(first) == to_json(second)
    assert to_csv(first) == to_csv(second)
    assert to_markdown(first) == to_markdown(second)
    assert to_html(first) == to_html(second)


def test_board_json_content():
    board = json.loads(to_json(_board(_runs())))
    assert board["schema_version"] == 1
    assert "Var(m)" in board["method"]["aggregation"]
    assert board["metrics"]["performance/accuracy"]["direction"] == "max"
    assert "numpy" in board["software"]
    assert board["counts"]["excluded_failed"] == 1
    mlp = next(r for r in board["rows"] if r["label"] == "model=mlp")
    assert mlp["n_seeds"] == 2 and mlp["failed"] == 1
    assert mlp["cells"]["performance/accuracy"]["mean"] == 0.875
    (plot,) = board["tradeoffs"]
    assert plot["y_key"] == "privacy/loss_threshold/tpr_at_fpr_0.01"  # first present candidate


def test_html_escapes_labels_and_marks_missing():
    runs = [*_runs(), record("lone", "solo", 0, {"performance/accuracy": 0.5})]
    html = to_html(_board(runs))
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # no external resource
    assert "—" in html  # the solo row lacks the privacy metric
    assert 'id="partial"' in html


def test_csv_has_one_line_per_configuration():
    lines = to_csv(_board(_runs())).splitlines()
    assert len(lines) == 1 + 3
    assert lines[0].startswith("position,rank,win_rate")


def test_pareto_front_and_first_present():
    front = pareto_front([0.9, 0.8, 0.85, 0.7], [0.3, 0.1, 0.4, 0.2], "max", "min")
    assert front.tolist() == [True, True, False, False]
    assert first_present(["nope/*"], {}, []) is None


def test_two_seed_board_clips_intervals_to_registered_ranges():
    runs = [
        record(
            f"m-{s}",
            "mlp",
            s,
            {
                "generalization/ood_accuracy": (0.71 + 0.2 * s, 0.32, 1.11),
                "privacy/loss/auc": (0.5 - 0.02 * s, -0.02, 1.02),
                "generalization/ood_ece": (0.1 + 0.1 * s, -0.12, 0.38),
            },
        )
        for s in range(2)
    ]
    cells = build_board(runs, {}, BoardOptions(n_bootstrap=50))["rows"][0]["cells"]
    for key in ("generalization/ood_accuracy", "privacy/loss/auc", "generalization/ood_ece"):
        assert 0.0 <= cells[key]["ci_low"] <= cells[key]["mean"] <= cells[key]["ci_high"] <= 1.0
    assert cells["generalization/ood_accuracy"]["ci_high"] == 1.0  # the t interval passes 1
    assert cells["generalization/ood_ece"]["ci_low"] == 0.0


def test_old_group_last_keys_are_read_under_todays_keys():
    old = record("old", "logreg", 0, {"fairness/sex/accuracy/Female": (0.9, 0.8, 0.95)})
    board = build_board([old], {}, BoardOptions(n_bootstrap=10))
    meta = board["metrics"]["fairness/sex/Female/accuracy"]
    assert (meta["direction"], meta["direction_source"]) == ("max", "registry")
    assert board["rows"][0]["cells"]["fairness/sex/Female/accuracy"]["mean"] == 0.9
    assert "fairness/sex/accuracy/Female" not in board["metrics"]


def _seeded_runs(n_seeds: int, models=("logreg", "mlp", "<b>x</b>")) -> list:
    return [
        record(
            f"{model}-{s}",
            model,
            s,
            {"performance/accuracy": (0.8 + 0.05 * i + 0.01 * s, 0.75, 0.95)},
        )
        for i, model in enumerate(models)
        for s in range(n_seeds)
    ]


def _seeded_board(runs, min_seeds: int = 5):
    return build_board(runs, {}, BoardOptions(n_bootstrap=50, min_seeds=min_seeds))


def test_two_seed_board_warns_and_flags_every_rendering():
    board = _seeded_board(_seeded_runs(2))
    assert [r["too_few_seeds"] for r in board["rows"]] == [True, True, True]
    assert board["counts"]["too_few_seeds"] == 3 and board["method"]["min_seeds"] == 5
    (warning,) = board["warnings"]
    assert warning.startswith("3 of 3 configurations have fewer than 5 seeds")
    assert "model=mlp (2 seeds)" in warning and "model=<b>x</b> (2 seeds)" in warning
    assert "spread over training seeds is not estimated well" in warning
    assert "trustbench -m ... seed=0,1,2,3,4 resume=true" in warning
    assert "rank intervals cannot separate them" in warning

    html = to_html(board)
    top = html[: html.index("<h2>Ranking</h2>")]
    assert 'id="seed-warning"' in top and "fewer than 5 seeds" in top  # near the top
    assert "<b>x</b>" not in html and "model=&lt;b&gt;x&lt;/b&gt; (2 seeds)" in top
    ranking = html[html.index('id="ranking"') : html.index("<h2>Not ranked</h2>")]
    assert ranking.count('data-too-few-seeds="true"') == 3
    assert ranking.count("⚠ &lt; 5") == 3

    markdown = to_markdown(board)
    assert "> **Warning:** 3 of 3 configurations have fewer than 5 seeds" in markdown
    assert "&lt;b&gt;x&lt;/b&gt; (2 seeds)" in markdown and "<b>" not in markdown
    assert sum(" | 2 ⚠ | " in line for line in markdown.splitlines()) == 3

    lines = to_csv(board).splitlines()
    column = lines[0].split(",").index("too_few_seeds")
    assert [line.split(",")[column] for line in lines[1:]] == ["yes", "yes", "yes"]


def test_five_seed_board_neither_warns_nor_flags():
    board = _seeded_board(_seeded_runs(5))
    assert board["warnings"] == [] and board["counts"]["too_few_seeds"] == 0
    assert not any(r["too_few_seeds"] for r in board["rows"])
    html = to_html(board)
    assert "seed-warning" not in html and "data-too-few-seeds" not in html and "⚠" not in html
    markdown = to_markdown(board)
    assert "Warning" not in markdown and "⚠" not in markdown
    lines = to_csv(board).splitlines()
    column = lines[0].split(",").index("too_few_seeds")
    assert [line.split(",")[column] for line in lines[1:]] == ["no", "no", "no"]


def test_min_seeds_is_configurable_and_one_seed_is_named_alone():
    runs = [*_seeded_runs(3, ("logreg", "mlp")), *_seeded_runs(1, ("gbdt",))]
    board = _seeded_board(runs, min_seeds=3)
    assert [r["label"] for r in board["rows"] if r["too_few_seeds"]] == ["model=gbdt"]
    expected = "1 of 3 configurations have fewer than 3 seeds, too few to rank on: model=gbdt"
    assert board["warnings"][0].startswith(expected + " (1 seed).")
    assert "seed=0,1,2 resume=true" in board["warnings"][0]
    assert _seeded_board(runs, min_seeds=1)["warnings"] == []
    many = build_board(_seeded_runs(1, [f"m{i:02d}" for i in range(12)]), {}, BoardOptions())
    assert (
        many["warnings"][0].count("(1 seed)") == 10
        and "(1 seed) and 2 more." in many["warnings"][0]
    )
    assert "'seed=range(12)'" in _seeded_board(runs, min_seeds=12)["warnings"][0]


def test_min_seeds_is_read_and_validated_from_the_config():
    import pytest

    from trustbench.errors import ConfigError
    from trustbench.leaderboard.cli import options_from_config
    from trustbench.leaderboard.config import load_board_config

    assert load_board_config({}).ranking.min_seeds == 5  # the YAML's default
    assert options_from_config({"ranking": {"min_seeds": 3}}).min_seeds == 3
    with pytest.raises(ConfigError, match=r"ranking\.min_seeds must be a positive integer.*0"):
        load_board_config({"ranking": {"min_seeds": 0}})
    with pytest.raises(ConfigError, match=r"ranking\.min_seeds: expected an integer, got 'x'"):
        load_board_config({"ranking": {"min_seeds": "x"}})
    with pytest.raises(ConfigError, match=r"ranking\.min_seeds: expected an integer, got 2\.5"):
        load_board_config({"ranking": {"min_seeds": 2.5}})


def test_command_ends_with_the_seed_warning(caplog, tmp_path):
    import logging

    from trustbench.leaderboard.cli import log_summary

    timings = {"fetch": 0.0, "reports": 0.0, "build": 0.0, "render": 0.0}
    with caplog.at_level(logging.INFO, logger="trustbench.leaderboard"):
        log_summary(_seeded_board(_seeded_runs(2)), timings, [tmp_path / "index.html"], 1.0)
    last = caplog.records[-1]
    assert last.levelno == logging.WARNING
    assert "fewer than 5 seeds" in last.getMessage() and "seed=0,1,2,3,4" in last.getMessage()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="trustbench.leaderboard"):
        log_summary(_seeded_board(_seeded_runs(5)), timings, [], 1.0)
    assert all(r.levelno == logging.INFO for r in caplog.records)
