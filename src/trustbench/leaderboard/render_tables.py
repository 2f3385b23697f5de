"""The board as ``leaderboard.json``, ``leaderboard.csv`` and ``leaderboard.md`` (text, stable)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

MISSING = "—"


def fmt(value: float | None) -> str:
    """Fixed formatting of one number: 4 decimals, or "—" when missing."""
    return MISSING if value is None else f"{value:.4f}"


def cell_text(cell: dict[str, Any] | None) -> str:
    """``"value [ci_low, ci_high]"``, ``"value"`` without an interval, or "—"."""
    if cell is None:
        return MISSING
    if cell.get("ci_low") is None:
        return fmt(cell["mean"])
    return f"{fmt(cell['mean'])} [{fmt(cell['ci_low'])}, {fmt(cell['ci_high'])}]"


def to_json(board: dict[str, Any]) -> str:
    """Sorted keys, two-space indent, trailing newline."""
    return json.dumps(board, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _rank_fields(row: dict[str, Any]) -> list[str]:
    r = row["ranking"]
    if r is None:
        return ["", "partial", "", "", "", ""]
    return [
        str(r["position"]),
        r["rank_label"],
        fmt(r["win_rate"]),
        fmt(r["normalised_score"]),
        fmt(r["average_rank"]),
        "yes" if r["pareto_optimal"] else "no",
    ]


CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def csv_text(text: object) -> str:
    """A text cell a spreadsheet will not run: one whose first character, or first character
    after leading spaces, is ``= + - @`` (or a tab, carriage return or line feed) is prefixed
    with ``'`` (OWASP's advice against CSV formula injection)."""
    text = str(text)
    return "'" + text if text.lstrip(" ")[:1] in CSV_TRIGGERS else text


def to_csv(board: dict[str, Any]) -> str:
    """One line per configuration: rankings, counts (``too_few_seeds``: yes when the row has
    fewer seeds than the board's ``min_seeds``), then mean and bounds per metric."""
    keys = list(board["metrics"])
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    # Python's writer quotes a cell holding "\n" (the line terminator) but not one holding a
    # lone "\r", which readers take for a line end: such a line is written fully quoted
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(line: list[Any]) -> None:
        (quoted if any("\r" in str(cell) for cell in line) else plain).writerow(line)

    head = ["position", "rank", "win_rate", "normalised_score", "average_rank", "pareto_optimal"]
    head += ["label", "config_id", "n_seeds", "too_few_seeds", "failed", "unfinished"]
    for key in keys:  # metric keys hold group labels, which are user data
        head += [csv_text(key), csv_text(f"{key}/ci_low"), csv_text(f"{key}/ci_high")]
    writerow(head)
    for row in board["rows"]:
        line = _rank_fields(row)
        label = csv_text(row["label"])
        few = "yes" if row["too_few_seeds"] else "no"
        line += [label, row["config_id"], row["n_seeds"], few, row["failed"], row["unfinished"]]
        for key in keys:
            cell = row["cells"].get(key)
            if cell is None:
                line += ["", "", ""]
            else:
                line += [
                    f"{cell['mean']:.6g}",
                    "" if cell["ci_low"] is None else f"{cell['ci_low']:.6g}",
                    "" if cell["ci_high"] is None else f"{cell['ci_high']:.6g}",
                ]
        writerow(line)
    return out.getvalue()


#: Characters with a meaning inside a Markdown line: backslash (first, so that the escapes
#: added after it stay escapes), code spans, emphasis, link and image brackets, strikethrough
#: and the table's cell separator. Each is written backslash-escaped (CommonMark: any ASCII
#: punctuation may be), so it renders as itself.
MD_PUNCTUATION = "\\`*_[]~|"
_MD_BLOCK_START = re.compile(r"^(\s*(?:\d+(?=[.)]))?)([#>+=.)-])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _md_escape(text: object) -> str:
    """Text safe inside a Markdown line or table cell, shown as it was written.

    HTML (which Markdown renderers pass through) becomes entities, so an ``<img onerror=...>``
    stays text; link, image, emphasis and code syntax and the table's ``|`` are
    backslash-escaped, so ``[x](javascript:...)`` is no link and a cell cannot be split;
    line breaks and other control characters become spaces, so a value cannot start a new
    line (a heading, a table row); a leading ``#``, ``>``, ``+``, ``=``, ``-`` or ``1.`` is
    escaped, so a value cannot open a block where it starts a list item.
    """
    text = _CONTROL.sub(" ", str(text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = "".join("\\" + c if c in MD_PUNCTUATION else c for c in text)
    return _MD_BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)


def _md_seeds(row: dict[str, Any]) -> str:
    """A row's seed count, with "⚠" when it has too few seeds to rank on."""
    return f"{row['n_seeds']} ⚠" if row["too_few_seeds"] else str(row["n_seeds"])


def to_markdown(board: dict[str, Any]) -> str:
    """A ranking table over the ranking metrics, the partial rows, and the method."""
    keys = board["ranking_metrics"]
    ci = f"{board['method']['ci_level']:.0%}"
    lines = [
        "# Leaderboard",
        "",
        f"Cells: mean over seeds [{ci} CI]. Primary ranking: "
        f"{_md_escape(board['method']['primary'])}.",
        "",
    ]
    for text in board.get("warnings", []):
        lines += [f"> **Warning:** {_md_escape(text)}", ""]
    if board["counts"].get("too_few_seeds"):
        need = board["method"]["min_seeds"]
        lines += [f"⚠ in the seeds column: fewer than {need} seeds, too few to rank on.", ""]
    lines += [
        "| rank | configuration | seeds | win rate | score | avg rank | Pareto | "
        + " | ".join(_md_escape(k) for k in keys)
        + " |",
        "|" + "---|" * (7 + len(keys)),
    ]
    for row in board["rows"]:
        if not row["complete"]:
            continue
        r = row["ranking"]
        lines.append(
            f"| {r['rank_label']} | {_md_escape(row['label'])} | {_md_seeds(row)} | "
            f"{fmt(r['win_rate'])} | {fmt(r['normalised_score'])} | {fmt(r['average_rank'])} | "
            f"{'yes' if r['pareto_optimal'] else 'no'} | "
            + " | ".join(cell_text(row["cells"].get(k)) for k in keys)
            + " |"
        )
    partial = [row for row in board["rows"] if not row["complete"]]
    if partial:
        lines += ["", "Not ranked (missing ranking metrics or no finished run):", ""]
        for row in partial:
            missing = ", ".join(_md_escape(k) for k in row["missing"]) or "no finished run"
            seeds = f"{_md_seeds(row)} seeds"
            lines.append(f"- {_md_escape(row['label'])}: {seeds}; missing {missing}")
    c = board["counts"]
    lines += [
        "",
        f"{c['runs']} runs, {c['configurations']} configurations; excluded: "
        f"{c['excluded_failed']} failed/killed, {c['excluded_unfinished']} unfinished, "
        f"{c['excluded_duplicates']} duplicate runs of a configuration and seed.",
        "",
        "## Method",
        "",
        *(
            line
            for part in ("aggregation", "ranking", "directions", "seeds")
            for line in (_md_escape(board["method"][part]), "")
        ),
    ]
    return "\n".join(lines)
