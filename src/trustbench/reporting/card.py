"""``trust_card.html``: one self-contained page per run for a clinician or a reviewer.

Built from the in-memory :class:`~trustbench.report.TrustReport` (and the run's plots), so a
run writes it without reading anything back: ``render_card(report, config) -> str``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trustbench.metrics import REGISTRY
from trustbench.metrics.spec import direction_text
from trustbench.report import FAMILIES, MetricResult, TrustReport
from trustbench.reporting.card_warnings import card_warnings
from trustbench.reporting.dataset_card import dataset_card_html, load_dataset_card
from trustbench.reporting.html_base import e, page
from trustbench.reporting.numbers import compact, compact_interval

MAX_HEADLINES = 8


def headline_metrics(family: str, metrics: list[MetricResult]) -> list[MetricResult]:
    """The family's headline metrics: those whose registry entry is a headline, logged under
    its primary key template, in registry order (else the family's first few metrics); at most
    ``MAX_HEADLINES`` or the family's number of headline specs, whichever is larger."""
    rank = {spec: i for i, spec in enumerate(REGISTRY.headlines(family))}
    chosen = []
    for order, metric in enumerate(metrics):
        found = REGISTRY.resolve(metric.key)
        if found is not None and found.primary and found.spec in rank:
            chosen.append((rank[found.spec], order, metric))
    picked = [metric for _, _, metric in sorted(chosen, key=lambda c: c[:2])]
    # every registered headline once, or up to MAX_HEADLINES (one per explainer or attack)
    return (picked or metrics)[: max(MAX_HEADLINES, len(rank))]


#: Which family a plot belongs to, by the start of its file name (``plots/<name>.png``).
PLOT_FAMILIES = (
    ("data", ("data_",)),
    ("performance", ("roc_pr", "confusion_matrix", "decision_curve")),
    ("fairness", ("fairness_",)),
    ("generalization", ("reliability_diagram", "shift_curves")),
    ("uncertainty", ("risk_coverage",)),
    ("explainability", ("feature_importance", "attribution_")),
    ("privacy", ("attack_",)),
)


def plots_by_family(images: Mapping[str, bytes]) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """``images`` grouped under the family that drew them, in family order (performance's
    ROC/PR and confusion matrix first); a plot no family claims comes last, under "other"."""
    groups: dict[str, list[tuple[str, bytes]]] = {}
    for path, data in sorted(images.items()):
        name = Path(path).name
        family = next((f for f, starts in PLOT_FAMILIES if name.startswith(starts)), "other")
        groups.setdefault(family, []).append((path, data))
    order = [f for f, _ in PLOT_FAMILIES] + ["other"]
    return [(f, groups[f]) for f in order if f in groups]


def _metric_rows(metrics: list[MetricResult]) -> str:
    rows = []
    for m in metrics:
        ci = compact_interval(m.ci_low, m.ci_high)
        name = e(m.name) + (
            f' <span class="small">worst: {e(m.worst_of)}</span>' if m.worst_of else ""
        )
        rows.append(
            f'<tr><td class="label">{name}</td><td>{compact(m.value)}</td><td>{e(ci)}</td>'
            f'<td class="label">{e(direction_text(m.direction))}</td><td>{e(m.n or "")}</td>'
            f'<td class="label wrap">{e(m.note or m.definition)}</td></tr>'
        )
    return (
        '<table><thead><tr><th class="label">metric</th><th>value</th><th>95% CI</th>'
        '<th class="label">direction</th><th>n</th><th class="label">definition / note</th>'
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def figure_images(report: TrustReport) -> dict[str, bytes]:
    """PNG bytes of every matplotlib figure among ``report.artifacts`` (for API use)."""
    images = {}
    for path, obj in sorted(report.artifacts.items()):
        if path.endswith(".png") and hasattr(obj, "savefig"):
            buffer = io.BytesIO()
            obj.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
            images[path] = buffer.getvalue()
    return images


def _summary(report: TrustReport) -> str:
    run = report.run
    sizes = ", ".join(f"{e(k)} {e(v)}" for k, v in (run.get("n") or {}).items())
    training = ", ".join(
        f"{e(k)} = {e(f'{v:.4g}' if isinstance(v, float) else v)}"
        for k, v in sorted((run.get("training") or {}).items())
    )
    items = [
        ("dataset", run.get("dataset")),
        ("rows per split", sizes),
        ("target column", run.get("target")),
        ("classes", ", ".join(map(str, run.get("classes", [])))),
        ("positive class", run.get("positive_class")),
        ("sensitive attributes", ", ".join(map(str, run.get("sensitive", [])))),
        ("model", f"{run.get('model', '?')} ({run.get('model_class', '?')})"),
        ("trainer", run.get("trainer")),
        ("training", training),
        ("seed", run.get("seed")),
    ]
    data = run.get("data") or {}
    for key in ("source", "license", "ood", "target_definition"):
        if key in data:
            items.append((f"data {key}", data[key]))
    return _definition_list(items, escape_values=("rows per split", "training"))


def _definition_list(items: list[tuple[str, Any]], escape_values: tuple[str, ...] = ()) -> str:
    out = ['<table class="kv"><tbody>']
    for key, value in items:
        if value is None or value == "":
            continue
        shown = value if key in escape_values else e(value)
        out.append(f'<tr><th class="label">{e(key)}</th><td class="label wrap">{shown}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _families(report: TrustReport) -> str:
    out = []
    for family in FAMILIES:
        suite = report.suites.get(family)
        if suite is None:
            continue
        status = {"ok": "ok", "failed": "bad"}.get(suite.status, "small")
        out.append(f'<h3>{e(family)} <span class="{status}">({e(suite.status)})</span></h3>')
        if suite.reason:
            out.append(f"<p>{e(suite.reason)}</p>")
        if suite.metrics:
            out.append(_metric_rows(headline_metrics(family, suite.metrics)))
            out.append(
                f"<details><summary>all {len(suite.metrics)} {e(family)} metrics</summary>"
                f"{_metric_rows(suite.metrics)}</details>"
            )
        if suite.notes:
            notes = "".join(f"<li>{e(n)}</li>" for n in suite.notes)
            out.append(f'<details><summary>notes</summary><ul class="small">{notes}</ul></details>')
    return "".join(out)


def _provenance(report: TrustReport, config: Mapping[str, Any] | None) -> str:
    run = report.run
    items = [
        ("run identity", run.get("identity")),
        ("MLflow run", run.get("mlflow_run_id")),
        ("dataset fingerprint (sha256)", run.get("fingerprint")),
        ("git commit", run.get("git_commit")),
        ("trustbench", run.get("trustbench_version")),
    ]
    items += [(name, version) for name, version in sorted((run.get("versions") or {}).items())]
    out = _definition_list(items)
    if config is not None:
        import yaml

        text = yaml.safe_dump(dict(config), sort_keys=False)
        out += f"<details><summary>resolved config</summary><pre>{e(text)}</pre></details>"
    return out


def render_card(
    report: TrustReport,
    config: Mapping[str, Any] | None = None,
    images: Mapping[str, bytes] | None = None,
    dataset_card: Mapping[str, Any] | None = None,
) -> str:
    """The trust card of one run as an HTML string.

    Parameters
    ----------
    report : TrustReport
    config : mapping, optional
        The resolved config, shown under provenance.
    images : mapping of str to bytes, optional
        PNG plots by artifact path; default: the figures in ``report.artifacts``.
    dataset_card : mapping, optional
        The data suite's ``data/card.json``; default: the one in ``report.artifacts``.
    """
    images = figure_images(report) if images is None else images
    if dataset_card is None:
        dataset_card = load_dataset_card(report.artifacts.get("data/card.json"))
    run = report.run
    title = f"Trust card · {run.get('dataset', '?')} · {run.get('model', '?')} · seed {run.get('seed', '?')}"
    warnings = card_warnings(report)
    warning_html = (
        "".join(
            f'<div class="{"fail" if w.severity == "failure" else "warn"}"><b>{e(w.family)}</b>: '
            f"{e(w.text)}</div>"
            for w in warnings
        )
        or "<p>No warnings.</p>"
    )
    plots = "".join(
        f'<h3>{e(family)}</h3><div class="plots">'
        + "".join(
            f'<figure><img alt="{e(path)}" src="data:image/png;base64,'
            f'{base64.b64encode(data).decode()}" style="max-width:560px"><figcaption '
            f'class="small">{e(path)}</figcaption></figure>'
            for path, data in group
        )
        + "</div>"
        for family, group in plots_by_family(images)
    )
    body = (
        f"<h1>{e(title)}</h1>"
        '<p class="meta">Every number is on held-out data with a 95% bootstrap confidence '
        "interval; the full record is in trust_report.json next to this file.</p>"
        f"<h2>Summary</h2>{_summary(report)}"
        f"<h2>Warnings ({len(warnings)})</h2>{warning_html}"
        f"<h2>Results by family</h2>{_families(report)}"
        f"{dataset_card_html(dataset_card)}"
        f"<h2>Plots</h2>{plots or '<p>No plots.</p>'}"
        f"<h2>Provenance</h2>{_provenance(report, config)}"
    )
    return page(title, body)


def write_card(folder: Path, report: TrustReport, config: Mapping[str, Any] | None = None) -> Path:
    """Write ``trust_card.html`` into a run's artifact ``folder``, embedding its ``plots/*.png``."""
    images = {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted((folder / "plots").glob("*.png"))
    }
    card_file = folder / "data" / "card.json"
    card = load_dataset_card(card_file.read_text(encoding="utf-8")) if card_file.is_file() else None
    path = folder / "trust_card.html"
    path.write_text(render_card(report, config, images, card), encoding="utf-8")
    return path
