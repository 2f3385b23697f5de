"""Submitted strings stay text in ``leaderboard.md`` and ``leaderboard.csv``.

Team names, model names and group labels (inside metric keys) are user data. Rendered by a
Markdown renderer that passes HTML through (as GitHub, GitLab and most static-site
generators do), none of them may become HTML, a link, an image, a new line or an extra table
cell; opened in a spreadsheet, none may become a formula.
"""

from __future__ import annotations

import csv
import io
import re

from markdown_it import MarkdownIt
from tests.leaderboard.helpers import record

from trustbench.leaderboard.build import BoardOptions, build_board
from trustbench.leaderboard.render_tables import csv_text, to_csv, to_markdown

IMG = "<img src=x onerror=alert(1)>"
HOSTILE_MODELS = [
    "[click](javascript:alert(1))",
    "![pixel](http://127.0.0.1:9/track.png)",
    "x\\|y|z",  # a backslash before a pipe must not un-escape the pipe
    "two\n# injected heading\n| 1 | forged | row |",
    "`code` **bold** ~~gone~~",
]
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", " =1+1", "\tx", "\rx"]


def _board():
    runs = []
    ranking = ("performance/accuracy", f"fairness/sex/{IMG}/accuracy")
    for i, model in enumerate([IMG, *HOSTILE_MODELS]):
        runs.append(
            record(f"r{i}", model, 0, {ranking[0]: 0.5 + 0.05 * i, ranking[1]: 0.4 + 0.01 * i})
        )
    # a row without the hostile-group metric is listed apart, its missing key named
    runs.append(record("p", "partial", 0, {ranking[0]: 0.9}))
    return build_board(
        runs, {}, BoardOptions(ranking_metrics=ranking, min_coverage=0.5, n_bootstrap=20)
    )


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_markdown_renders_every_hostile_label_as_text():
    board = _board()
    assert {r["label"] for r in board["rows"]} >= {f"model={m}" for m in HOSTILE_MODELS}
    assert any(not r["complete"] for r in board["rows"])  # the missing-metric list is rendered
    html = _render(to_markdown(board))
    assert "<img" not in html and "onerror" not in html.replace("onerror=alert", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, as text
    assert "<a " not in html and "<code>" not in html and "<strong>bold" not in html
    assert "`code` **bold** ~~gone~~" in html and "<s>" not in html and "<del>" not in html
    assert html.count("<h1>") == 1 and "<h1>injected" not in html  # only the page title
    assert "[click](javascript:alert(1))" in html  # the label as written, not a link
    assert "x\\|y|z" in html
    (table,) = re.findall(r"<table>.*?</table>", html, flags=re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    header = rows[0].count("<th")
    ranked = [r for r in board["rows"] if r["complete"]]
    assert len(rows) == 1 + len(ranked)  # no forged row
    assert all(r.count("<td") == header for r in rows[1:])  # no cell split by a pipe
    partial = html[html.index("Not ranked") :]
    assert "fairness/sex/&lt;img src=x onerror=alert(1)&gt;/accuracy" in partial


def test_csv_cells_never_start_a_formula():
    assert [csv_text(f)[0] for f in FORMULAS] == ["'"] * len(FORMULAS)
    assert csv_text("model=mlp") == "model=mlp" and csv_text("a-b") == "a-b"
    runs = [
        record(f"f{i}", f"m{i}", 0, {"performance/accuracy": 0.5, f"fairness/g/{f}": 0.1})
        for i, f in enumerate(FORMULAS)
    ]
    board = build_board(runs, {}, BoardOptions(n_bootstrap=10))
    for row in board["rows"]:  # as on a challenge board: the team name is the label
        row["label"] = FORMULAS[int(row["run_ids"][0][1:])]
    table = list(csv.reader(io.StringIO(to_csv(board), newline="")))
    label = table[0].index("label")
    assert len(table) == 1 + len(FORMULAS)
    assert sorted(line[label] for line in table[1:]) == sorted("'" + f for f in FORMULAS)
    for line in table:
        for cell in line:
            assert cell.lstrip(" ")[:1] not in ("=", "+", "@", "\t", "\r") or cell[0] == "'"
