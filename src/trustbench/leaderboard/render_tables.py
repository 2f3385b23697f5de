"""The board as ``leaderboard.json``, ``leaderboard.csv`` and ``leaderboard.md`` (text, stable)."""

from __future__ import annotations

import csv
import io
import json
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


def csv_text(text: str) -> str:
    """A text cell a spreadsheet will not run: one starting with ``= + - @`` (or a tab or
    carriage return) is prefixed with ``'`` (OWASP's advice against CSV formula injection)."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(board: dict[str, Any]) -> str:
    """One line per configuration: rankings, counts (``too_few_seeds``: yes when the row has
    fewer seeds than the board's ``min_seeds``), then mean and bounds per metric."""
    keys = list(board["metrics"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    head = ["position", "rank", "win_rate", "normalised_score", "average_rank", "pareto_optimal"]
    head += ["label", "config_id", "n_seeds", "too_few_seeds", "failed", "unfinished"]
    for key in keys:
        head += [key, f"{key}/ci_low", f"{key}/ci_high"]
    writer.writerow(head)
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
        writer.writerow(line)
    return out.getvalue()


def _md_escape(text: str) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, and HTML (which Markdown
    renderers pass through) turned into entities, so a submitted name stays text."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


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
        f"Cells: mean over seeds [{ci} CI]. Primary ranking: {board['method']['primary']}.",
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
            missing = ", ".join(row["missing"]) or "no finished run"
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
        board["method"]["aggregation"],
        "",
        board["method"]["ranking"],
        "",
        board["method"]["directions"],
        "",
        board["method"]["seeds"],
        "",
    ]
    return "\n".join(lines)
