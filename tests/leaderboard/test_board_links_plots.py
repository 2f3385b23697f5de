"""Board rows link their runs' trust cards; trade-off plots have round ticks inside each
metric's range, labels that never overlap, and the ranking's own explainer; the metric
definitions are folded.

Before: rows had no link to any trust card, ticks were the axis range cut in four
(``0.4137``), an AUC axis padded past 1, numbers of nearby points were drawn on top of each
other, the faithfulness plot showed ``saliency`` (the first candidate present on any row)
while the ranking counted ``ablation``, and the definitions table filled a screen.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf
from tests.leaderboard.helpers import record

from trustbench.leaderboard.build import BoardOptions, build_board
from trustbench.leaderboard.cli import options_from_config
from trustbench.leaderboard.links import add_card_links, card_href, safe_href
from trustbench.leaderboard.render_html import to_html
from trustbench.leaderboard.svg import STEPS, axis, label_box, overlaps, place_labels
from trustbench.metrics import REGISTRY

HOSTILE = '"><script>alert(1)</script>'


def _shipped_options(**changes) -> BoardOptions:
    """The options of the shipped ``leaderboard.yaml`` (its trade-offs), with ``changes``."""
    with initialize_config_module(config_module="trustbench.configs", version_base="1.3"):
        cfg = compose(config_name="leaderboard")
    options = options_from_config(OmegaConf.to_container(cfg, resolve=True))
    return replace(options, n_bootstrap=50, min_seeds=1, **changes)


def _mixed_runs(store: Path) -> list:
    """Scikit-learn and torch models, 2 seeds each; torch models add gradient explainers.

    Every run explains with ``ablation`` and the ``random`` control; only the two torch
    models (a quarter of the rows) have ``saliency``, so the ranking counts ablation only.
    """
    models = ["logreg", "gbdt", "forest", "svm", "knn", "tree", "mlp", "cnn"]
    runs = []
    for i, model in enumerate(models):
        for seed in range(2):
            acc = 0.80 + 0.004 * i + 0.001 * seed  # close together: labels must make room
            metrics = {
                "performance/accuracy": (acc, acc - 0.02, min(acc + 0.02, 1.0)),
                "performance/roc_auc": (0.97 + 0.003 * i, 0.95, 1.0),
                "fairness/equalized_odds_difference": (0.05 + 0.002 * i, 0.0, 0.1),
                "explainability/ablation/deletion_auc": (0.30 + 0.01 * i, 0.25, 0.35 + 0.01 * i),
                "explainability/random/deletion_auc": 0.5,
                "privacy/loss/tpr_at_fpr_0.01": (0.011 + 0.001 * i, 0.0, 0.03),
            }
            if model in ("mlp", "cnn"):
                metrics["explainability/saliency/deletion_auc"] = 0.2 + 0.01 * seed
            run = record(f"{i:02d}{seed}" * 8, model, seed, metrics)
            folder = store / "mlruns" / "1" / run.run_id / "artifacts"
            runs.append(replace(run, artifact_uri=str(folder), experiment_id="1"))
    bad = record("ff" * 16, HOSTILE, 0, {"performance/accuracy": 0.5})
    runs.append(replace(bad, artifact_uri="javascript:alert(1)//", experiment_id="1"))
    return runs


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> tuple[dict, Path, Path]:
    """The board of :func:`_mixed_runs`, its card links for a site beside the store."""
    store = tmp_path_factory.mktemp("store")
    runs = _mixed_runs(store)
    made = build_board(runs, {}, _shipped_options())
    site = store / "results" / "leaderboard"
    add_card_links(made, runs, f"sqlite:///{store}/mlflow.db", site)
    return made, store, site


class _Links(HTMLParser):
    """Every ``<a href>`` of a page, with the ``data-config`` of the table row around it."""

    def __init__(self) -> None:
        super().__init__()
        self.row: str | None = None
        self.links: list[tuple[str | None, str]] = []
        self.details: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.row = attrs.get("data-config")
        elif tag == "a" and "href" in attrs:
            self.links.append((self.row, attrs["href"]))
        elif tag == "details":
            self.details.append(attrs)


def test_every_row_links_each_seed_to_its_trust_card(board):
    made, store, site = board
    rows = {r["config_id"]: r for r in made["rows"]}
    linked = [r for r in made["rows"] if r["cards"]]
    assert len(linked) == 8  # every row but the hostile one
    for row in linked:
        assert [c["seed"] for c in row["cards"]] == row["seeds"] == ["0", "1"]
        for card in row["cards"]:
            assert card["href"] == f"../../mlruns/1/{card['run_id']}/artifacts/trust_card.html"
            target = (site / card["href"]).resolve()
            assert (
                target == store / "mlruns" / "1" / card["run_id"] / "artifacts" / "trust_card.html"
            )
    parser = _Links()
    parser.feed(to_html(made))
    by_row: dict[str, set[str]] = {}
    for row_id, href in parser.links:
        if row_id is not None:
            by_row.setdefault(row_id, set()).add(href)
    for cid, row in rows.items():  # each row's cell links exactly its own runs' cards
        assert by_row.get(cid, set()) == {c["href"] for c in row["cards"]}


def test_hostile_label_and_artifact_uri_never_become_a_link_or_markup(board):
    made = copy.deepcopy(board[0])
    hostile = next(r for r in made["rows"] if r["label"] == f"model={HOSTILE}")
    assert hostile["cards"] == []  # a javascript: artifact URI gives no link
    html = to_html(made)
    assert "<script>alert" not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    hostile["cards"] = [{"seed": "0", "run_id": "x", "href": "javascript:alert(1)"}]
    hostile["card"] = " JaVaScRiPt:alert(1)"
    html = to_html(made)
    assert "javascript:" not in html.lower()


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/card.html",
        "\\\\evil\\card.html",
        "",
        None,
    ],
)
def test_unsafe_hrefs_are_refused(href):
    assert safe_href(href) is None


def test_card_href_for_each_kind_of_store(tmp_path):
    art = tmp_path / "a b" / "artifacts"
    kw = {"run_id": "r1", "experiment_id": "3"}
    # far from the site (only / in common): a file:// URI, spaces encoded
    far = card_href(str(art), tracking_uri="sqlite:///x.db", site_dir=Path("/nonexistent"), **kw)
    assert far is not None and far.startswith("file:///") and "a%20b" in far
    assert (
        card_href(art.as_uri(), tracking_uri="sqlite:///x.db", **kw)
        == (art / "trust_card.html").as_uri()
    )
    near = card_href(str(art), tracking_uri="sqlite:///x.db", site_dir=tmp_path / "site", **kw)
    assert near == "../a%20b/artifacts/trust_card.html"
    server = card_href(
        "mlflow-artifacts:/3/r1/artifacts", tracking_uri="http://user:pw@host:5000/", **kw
    )
    assert server == "http://host:5000/#/experiments/3/runs/r1/artifactPath/trust_card.html"
    assert card_href("s3://bucket/3/r1/artifacts", tracking_uri="sqlite:///x.db", **kw) is None
    hostile = card_href("x", tracking_uri="http://h:1", run_id="a/../../b?c#d", experiment_id="1")
    assert hostile is not None and "a%2F..%2F..%2Fb%3Fc%23d" in hostile


def _is_nice_step(step: float) -> bool:
    exponent = math.floor(math.log10(step) + 1e-9)
    mantissa = step / 10**exponent
    return any(math.isclose(mantissa, m, rel_tol=1e-6) for m in STEPS[:3])


def _check_axis(ticks: list[float], low: float, high: float, bounds) -> None:
    assert len(ticks) >= 2
    step = ticks[1] - ticks[0]
    assert _is_nice_step(step), ticks
    for tick in ticks:
        assert math.isclose(tick / step, round(tick / step), abs_tol=1e-6), (tick, step)
        assert low - 1e-12 <= tick <= high + 1e-12
    lo, hi = bounds
    assert lo is None or low >= lo
    assert hi is None or high <= hi


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ([0.9713, 0.9981, 1.0], "performance/roc_auc"),
        ([0.0, 0.0003, 0.0009], "privacy/loss/tpr_at_fpr_0.01"),
        ([0.41370, 0.41371], "performance/accuracy"),
        ([0.5, 0.5], "performance/accuracy"),
        ([0.0, 1.0], "performance/accuracy"),
        ([0.7, 3.9, 12.5], "privacy/dp/epsilon"),
        ([-3.2, 41.0], "custom/unbounded"),
    ],
)
def test_axis_ticks_are_round_and_inside_the_metric_range(values, key):
    bounds = REGISTRY.bounds(key) or (None, None)
    bounds = tuple(None if b is None or math.isinf(b) else b for b in bounds)
    low, high, ticks, _ = axis(values, bounds)
    assert low <= min(values) and high >= max(values)
    _check_axis(ticks, low, high, bounds)


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", html, flags=re.S)


def test_board_plots_have_round_ticks_inside_registered_ranges(board):
    made, _, _ = board
    html = to_html(made)
    assert made["tradeoffs"]
    for plot, svg in zip(made["tradeoffs"], _svgs(html), strict=True):
        for which in ("x", "y"):
            key = plot[f"{which}_key"]
            reg = REGISTRY.bounds(key)
            bounds = tuple(None if math.isinf(b) else b for b in reg)
            ticks = [
                float(v) for v in re.findall(rf'class="{which}-tick"[^>]*data-value="([^"]+)"', svg)
            ]
            low, high = map(float, re.search(rf'data-{which}-range="([^"]+)"', svg)[1].split())
            _check_axis(ticks, low, high, bounds)
            labels = re.findall(rf'class="{which}-tick"[^>]*>([^<]+)<', svg)
            assert all(len(t.split(".")[-1]) <= 4 for t in labels), labels  # no 0.4137


def _label_boxes(svg: str) -> list[tuple]:
    found = re.findall(r'class="point-label" x="([^"]+)" y="([^"]+)"[^>]*>([^<]+)<', svg)
    return [label_box(float(x), float(y), text) for x, y, text in found]


def test_point_labels_never_overlap_each_other_or_markers(board):
    made, _, _ = board
    for svg in _svgs(to_html(made)):
        boxes = _label_boxes(svg)
        circles = re.findall(r'<circle cx="([^"]+)" cy="([^"]+)" r="([^"]+)"', svg)
        assert len(boxes) == len(circles)  # 8 close points: every one still numbered
        markers = [
            (float(x) - float(r), float(y) - float(r), float(x) + float(r), float(y) + float(r))
            for x, y, r in circles
        ]
        for i, a in enumerate(boxes):
            assert not any(overlaps(a, b) for b in boxes[i + 1 :]), (i, a)
            assert not any(overlaps(a, m) for m in markers)


def test_labels_of_coincident_points_are_placed_apart():
    points = [(100.0, 100.0)] * 12 + [(101.0, 99.0)] * 12
    texts = [str(i + 1) for i in range(len(points))]
    spots = place_labels(points, texts, (0, 0, 300, 300))
    boxes = [label_box(x, y, t) for s, t in zip(spots, texts, strict=True) if s for x, y in [s]]
    assert len(boxes) == len(points)
    assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert all(0 <= b[0] and b[2] <= 300 and 0 <= b[1] and b[3] <= 300 for b in boxes)


def test_faithfulness_plot_uses_the_ranking_explainer(board):
    made, _, _ = board
    ranked = [k for k in made["ranking_metrics"] if k.startswith("explainability/")]
    assert ranked == ["explainability/ablation/deletion_auc"]  # saliency: 2 of 9 rows only
    (plot,) = [p for p in made["tradeoffs"] if p["name"] == "faithfulness_accuracy"]
    assert plot["x_key"] == ranked[0]
    svg = next(s for s in _svgs(to_html(made)) if "faithfulness" in s.lower())
    assert f'data-x-key="{ranked[0]}"' in svg


def test_faithfulness_plot_follows_an_explainer_the_candidates_do_not_name(tmp_path):
    runs = [
        record(
            f"r{m}{s}",
            m,
            s,
            {
                "performance/accuracy": 0.8 + 0.01 * s,
                "explainability/kernel_shap/deletion_auc": 0.3,
                "explainability/random/deletion_auc": 0.5,
            },
        )
        for m in ("a", "b")
        for s in range(2)
    ]
    made = build_board(runs, {}, _shipped_options())
    (plot,) = [p for p in made["tradeoffs"] if p["name"] == "faithfulness_accuracy"]
    assert plot["x_key"] == "explainability/kernel_shap/deletion_auc"  # never the random control


def test_metric_definitions_are_folded_by_default(board):
    made, _, _ = board
    html = to_html(made)
    parser = _Links()
    parser.feed(html)
    (fold,) = parser.details
    assert fold["id"] == "definitions-fold" and "open" not in fold
    start, end = html.index('<details id="definitions-fold">'), html.index("</details>")
    assert start < html.index('<table id="definitions"') < end
    assert "<summary>" in html[start:end]


PROBE = """<script>window.addEventListener("load", function () {
  var n = 0, bad = [];
  document.querySelectorAll("svg").forEach(function (svg, k) {
    var boxes = [];
    svg.querySelectorAll("text.point-label").forEach(function (t) {
      var r = t.getBBox(); boxes.push([r.x, r.y, r.x + r.width, r.y + r.height, t.textContent]);
    });
    svg.querySelectorAll("circle").forEach(function (c) {
      var r = c.getBBox(); boxes.push([r.x, r.y, r.x + r.width, r.y + r.height, "marker"]);
    });
    n += boxes.length;
    for (var i = 0; i < boxes.length; i++) for (var j = i + 1; j < boxes.length; j++) {
      var a = boxes[i], b = boxes[j];
      if (a[4] === "marker" && b[4] === "marker") continue;
      if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) bad.push(k + ":" + a[4] + "/" + b[4]);
    }
  });
  var p = document.createElement("pre"); p.id = "probe";
  p.textContent = "boxes " + n + " overlapping [" + bad.join(",") + "]";
  document.body.appendChild(p);
});</script>"""


def test_label_boxes_measured_by_chromium_do_not_overlap(board, tmp_path):
    """The same check on the boxes a browser draws (getBBox), not on the estimate."""
    import os
    import subprocess

    from tests.leaderboard.browser import BROWSERS, _which

    binary = _which(BROWSERS)
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but no chromium binary on PATH")
        pytest.skip("no chromium binary on PATH (apt-get install chromium)")
    made, _, _ = board
    page = tmp_path / "index.html"
    page.write_text(to_html(made).replace("</body>", PROBE + "</body>"))
    out = subprocess.run(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'<pre id="probe">boxes (\d+) overlapping \[([^\]]*)\]', out.stdout)
    assert found is not None, out.stderr[-2000:]
    assert int(found[1]) == 2 * 3 * 8  # 8 labels and 8 markers in each of the 3 plots
    assert found[2] == "", f"overlapping boxes in Chromium: {found[2]}"


def test_challenge_board_card_link_on_the_label_is_kept(board):
    made = copy.deepcopy(board[0])
    row = made["rows"][0]
    row["card"] = "cards/abc.html"  # as trustbench.challenge.board writes it
    assert f'<a href="cards/abc.html">{row["label"]}</a>' in to_html(made)
