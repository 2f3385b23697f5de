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
