"""The board as one self-contained ``index.html``: sortable tables, family selector, SVG plots."""

from __future__ import annotations

from typing import Any

from trustbench.leaderboard.links import safe_href
from trustbench.leaderboard.render_tables import MISSING, cell_text, fmt
from trustbench.leaderboard.svg import scatter
from trustbench.leaderboard.tradeoffs import Tradeoff, TradeoffPoint
from trustbench.metrics.spec import arrow
from trustbench.reporting.html_base import SCRIPT, e, page

#: The board's own styles, beside the shared ones of :mod:`trustbench.reporting.html_base`.
EXTRA_CSS = (
    "details>summary{cursor:pointer;color:#2c5d8f;margin:6px 0}"
    "td.cards a{margin-left:4px}td.cards{font-size:.9em}"
)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _label(row: dict[str, Any]) -> str:
    """A row's label, linked to its trust card when the board carries one (``row["card"]``, a
    relative path the challenge board wrote) and that link is safe (:func:`safe_href`); the
    label text is escaped either way."""
    card = safe_href(row.get("card"))
    if not card:
        return e(row["label"])
    return f'<a href="{e(card)}">{e(row["label"])}</a>'


def _cards(row: dict[str, Any]) -> str:
    """A cell linking each of the row's runs to its trust card, named by seed (``row["cards"]``,
    see :mod:`trustbench.leaderboard.links`); hrefs re-checked and escaped, "—" when none."""
    links = [
        (str(c.get("seed", "")), href)
        for c in row.get("cards") or []
        if (href := safe_href(c.get("href")))
    ]
    if not links:
        return f'<td class="label cards">{MISSING}</td>'
    anchors = " ".join(
        f'<a href="{e(href)}" title="trust card of the run with seed {e(seed)}">{e(seed)}</a>'
        for seed, href in links
    )
    return f'<td class="label cards">seed {anchors}</td>'


def _seeds(row: dict[str, Any], board: dict[str, Any]) -> str:
    """A row's seed count, marked when it has fewer than the board's ``min_seeds``."""
    if not row.get("too_few_seeds"):
        return f'<td data-sort="{row["n_seeds"]}">{row["n_seeds"]}</td>'
    need = board["method"]["min_seeds"]
    title = (
        f"fewer than {need} seeds: the spread over training seeds is not estimated well, "
        "and the rank interval cannot separate this row from the others"
    )
    return (
        f'<td data-sort="{row["n_seeds"]}" class="few-seeds">{row["n_seeds"]} '
        f'<span class="bad" title="{e(title)}">⚠ &lt; {need}</span></td>'
    )


def _warnings(board: dict[str, Any]) -> str:
    """The board's warnings (fewer seeds than ``min_seeds``), escaped: they name labels."""
    return "".join(
        f'<div class="warn" id="seed-warning"><strong>Warning:</strong> {e(text)}</div>'
        for text in board.get("warnings", [])
    )


def _row_open(row: dict[str, Any]) -> str:
    few = ' class="few-seeds" data-too-few-seeds="true"' if row.get("too_few_seeds") else ""
    return f'<tr data-config="{e(row["config_id"])}"{few}>'


def _ranking_table(board: dict[str, Any]) -> str:
    labels = {row["config_id"]: row["label"] for row in board["rows"]}
    families = sorted(
        {f for row in board["rows"] if row["ranking"] for f in row["ranking"]["family_scores"]}
    )
    head = [
        "rank",
        "configuration",
        "seeds",
        "failed / unfinished",
        "mean win rate",
        "normalised score",
        "average rank",
    ]
    cards = any(row.get("cards") for row in board["rows"])
    if cards:  # beside the seeds they link, where a wide table does not scroll it away
        head.insert(3, "trust cards")
    head += [f"{f} score" for f in families] + ["Pareto status"]
    out = ['<div class="scroll"><table id="ranking" class="sortable"><thead><tr>']
    out += [f'<th class="{"label" if h == "configuration" else ""}">{e(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for row in board["rows"]:
        r = row["ranking"]
        if r is None:
            continue
        status = (
            '<span class="ok">Pareto-optimal</span>'
            if r["pareto_optimal"]
            else "dominated by " + ", ".join(e(labels[c]) for c in r["dominated_by"])
        )
        tie = ' class="tie"' if r["tied"] else ""
        cells = [
            f'<td data-sort="{r["position"]}"{tie} title="rank interval [{r["rank_low"]}, '
            f'{r["rank_high"]}]">{e(r["rank_label"])}</td>',
            f'<td class="label">{_label(row)}</td>',
            _seeds(row, board),
            f'<td data-sort="{row["failed"] + row["unfinished"]}">{row["failed"]} / {row["unfinished"]}</td>',
            f'<td data-sort="{_num(r["win_rate"])}">{fmt(r["win_rate"])}</td>',
            f'<td data-sort="{_num(r["normalised_score"])}">{fmt(r["normalised_score"])}</td>',
            f'<td data-sort="{_num(r["average_rank"])}">{fmt(r["average_rank"])}</td>',
        ]
        cells += [
            f'<td data-sort="{_num(r["family_scores"].get(f))}">{fmt(r["family_scores"].get(f))}</td>'
            for f in families
        ]
        cells.append(f'<td class="label">{status}</td>')
        if cards:
            cells.insert(3, _cards(row))
        out.append(_row_open(row) + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _partial(board: dict[str, Any]) -> str:
    partial = [row for row in board["rows"] if not row["complete"]]
    if not partial:
        return "<p>Every configuration has every ranking metric.</p>"
    cards = any(row.get("cards") for row in partial)
    out = [
        '<table id="partial"><thead><tr><th class="label">configuration</th><th>seeds</th>'
        '<th>failed / unfinished</th><th class="label">missing</th>'
        + ('<th class="label">trust cards</th>' if cards else "")
        + "</tr></thead><tbody>"
    ]
    for row in partial:
        missing = ", ".join(row["missing"]) or "no finished run"
        out.append(
            f'{_row_open(row)}<td class="label">{_label(row)}</td>'
            f"{_seeds(row, board)}<td>{row['failed']} / {row['unfinished']}</td>"
            f'<td class="label">{e(missing)}</td>{_cards(row) if cards else ""}</tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _metrics_table(board: dict[str, Any]) -> str:
    metrics = board["metrics"]
    options = ['<option value="ranking">ranking metrics</option>'] + [
        f'<option value="{e(f)}">{e(f)}</option>' for f in board["families"]
    ]
    out = [
        '<p><label>Columns: <select id="family">' + "".join(options) + "</select></label> "
        '<span class="small">cells: mean over seeds [CI]; — = missing</span></p>',
        '<div class="scroll"><table id="metrics" class="sortable"><thead><tr>'
        '<th class="label">configuration</th><th>seeds</th>',
    ]
    for key, meta in metrics.items():
        ranking = " data-ranking" if meta["ranking"] else ""
        out.append(
            f'<th data-family="{e(meta["family"])}"{ranking} title="{e(meta["definition"])}">'
            f"{e(key)} {arrow(meta['direction'])}</th>"
        )
    out.append("</tr></thead><tbody>")
    for row in board["rows"]:
        out.append(f'{_row_open(row)}<td class="label">{_label(row)}</td>{_seeds(row, board)}')
        for key, meta in metrics.items():
            cell = row["cells"].get(key)
            ranking = " data-ranking" if meta["ranking"] else ""
            sort = MISSING if cell is None else _num(cell["mean"])
            out.append(
                f'<td data-family="{e(meta["family"])}"{ranking} data-sort="{sort}">'
                f"{e(cell_text(cell))}</td>"
            )
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _plots(board: dict[str, Any]) -> str:
    if not board["tradeoffs"]:
        return "<p>No trade-off has both of its metrics in these runs.</p>"
    figures = []
    for spec in board["tradeoffs"]:
        plot = Tradeoff(**{**spec, "points": [TradeoffPoint(**p) for p in spec["points"]]})
        figures.append(f"<figure>{scatter(plot)}</figure>")
    return (
        '<div class="plots">' + "".join(figures) + "</div>"
        '<p class="small">Error bars: the aggregate CIs; red points and dashed line: the Pareto '
        "front (no other configuration is better on both axes).</p>"
    )


def _definitions(board: dict[str, Any]) -> str:
    """The metric definitions table, folded (a closed ``<details>``: long, and read on demand)."""
    n = len(board["metrics"])
    out = [
        f'<details id="definitions-fold"><summary>{n} metric{"" if n == 1 else "s"}: '
        "direction, source of the direction, whether ranked, and definition (click to show)"
        "</summary>",
        '<table id="definitions" class="sortable"><thead><tr><th class="label">metric</th>'
        '<th>direction</th><th>source</th><th>ranked</th><th class="label">definition</th>'
        "</tr></thead><tbody>",
    ]
    for key, meta in board["metrics"].items():
        out.append(
            f'<tr><td class="label">{e(key)}</td><td>{e(meta["direction"] or "unknown")}</td>'
            f"<td>{e(meta['direction_source'])}</td><td>{'yes' if meta['ranking'] else ''}</td>"
            f'<td class="label wrap">{e(meta["definition"] or MISSING)}</td></tr>'
        )
    out.append("</tbody></table></details>")
    return "".join(out)


def to_html(board: dict[str, Any], title: str = "trustbench leaderboard") -> str:
    """The whole page as a string."""
    c = board["counts"]
    versions = ", ".join(f"{e(k)} {e(v)}" for k, v in board["software"].items())
    selection = ", ".join(f"{e(k)}: {e(v)}" for k, v in board["selection"].items())
    method = board["method"]
    legend = (
        f' "⚠" in the seeds column: fewer than {method["min_seeds"]} seeds, too few to rank on.'
        if c.get("too_few_seeds")
        else ""
    )
    body = f"""
<style>{EXTRA_CSS}</style>
<h1>{e(title)}</h1>
<p class="meta">{c["runs"]} runs · {c["configurations"]} configurations · {c["ranked"]} ranked ·
{c["partial"]} not ranked · primary ranking: {e(method["primary"])} ·
cells are means over seeds with {method["ci_level"]:.0%} CIs</p>
<p class="meta">{selection}</p>
{_warnings(board)}
<h2>Ranking</h2>
<p class="small">Ranking metrics: {e(", ".join(board["ranking_metrics"]) or "none")}.
Click a column header to sort. Hover a rank for its interval; "(tie)" marks overlapping rank
intervals.{legend}</p>
{_ranking_table(board)}
<h2>Not ranked</h2>
{_partial(board)}
<h2>Metrics</h2>
{_metrics_table(board)}
<h2>Trade-offs</h2>
{_plots(board)}
<h2>Method</h2>
<p>{e(method["aggregation"])}</p>
<p>{e(method["ranking"])}</p>
<p>{e(method["directions"])}</p>
<p>{e(method["seeds"])}</p>
<h2>Metric definitions</h2>
{_definitions(board)}
<footer><p class="small">Excluded runs: {c["excluded_failed"]} failed or killed,
{c["excluded_unfinished"]} unfinished, {c["excluded_duplicates"]} duplicates of a
configuration and seed (the latest FINISHED one is kept). Schema version
{board["schema_version"]}. Software: {versions}.</p></footer>
"""
    return page(title, body, SCRIPT)
