"""Trust cards: summary, headline metrics with CIs, suite and derived warnings, plots, escaping."""

from __future__ import annotations

import re
from pathlib import Path

from trustbench.leaderboard import render_card
from trustbench.report import MetricResult, SuiteResult, TrustReport
from trustbench.reporting.card import figure_images, headline_metrics, write_card
from trustbench.reporting.card_warnings import ECE_DROP_THRESHOLD, derived_warnings


def _m(family, name, value, low=None, high=None, direction="max"):
    return MetricResult(
        family, name, value, low, high, direction=direction, definition=f"def {name}"
    )


def _report(ece_drop=0.12, lower_bound=4.0, ablation=0.5) -> TrustReport:
    return TrustReport(
        run={
            "dataset": "heart",
            "model": "mlp",
            "seed": 3,
            "n": {"train": 10, "test": 5},
            "fingerprint": "f" * 64,
            "identity": "abc123",
            "versions": {"numpy": "2"},
        },
        suites={
            "performance": SuiteResult(
                "performance", "ok", [_m("performance", "accuracy", 0.81, 0.75, 0.87)]
            ),
            "fairness": SuiteResult(
                "fairness",
                "ok",
                [_m("fairness", "sex/<script>x</script>", 0.1, direction="target:0")],
                warnings=["sex=Female: small group: n=12 < 30"],
            ),
            "generalization": SuiteResult(
                "generalization",
                "ok",
                [_m("generalization", "ece_drop", ece_drop, 0.05, 0.2, "target:0")],
            ),
            "explainability": SuiteResult(
                "explainability",
                "ok",
                [
                    _m("explainability", "ablation/deletion_auc", ablation, direction="min"),
                    _m("explainability", "random/deletion_auc", 0.45, direction="min"),
                ],
            ),
            "privacy": SuiteResult(
                "privacy",
                "ok",
                [
                    _m("privacy", "dp/epsilon", 3.0, direction="min"),
                    _m("privacy", "lira/epsilon_lower_bound", lower_bound, direction="min"),
                ],
            ),
        },
    )


def test_derived_warnings_fire_above_their_thresholds():
    texts = [w.text for w in derived_warnings(_report())]
    assert any("calibration drifts" in t for t in texts)
    assert any("exceeds the DP guarantee epsilon = 3.000" in t for t in texts)
    assert any("explainer 'ablation' is no more faithful than random" in t for t in texts)
    quiet = derived_warnings(
        _report(ece_drop=ECE_DROP_THRESHOLD / 2, lower_bound=1.0, ablation=0.2)
    )
    assert quiet == []


def test_failed_suite_is_a_failure_warning():
    report = _report()
    report.suites["privacy"] = SuiteResult("privacy", "failed", reason="audit crashed")
    failures = [w for w in derived_warnings(report) if w.severity == "failure"]
    assert [w.text for w in failures] == ["suite failed: audit crashed"]


def test_card_content_and_escaping():
    html = render_card(
        _report(), config={"seed": 3, "model": {"name": "mlp"}}, images={"plots/a.png": b"PNG"}
    )
    assert "Trust card · heart · mlp · seed 3" in html
    assert "0.810" in html and "[0.750, 0.870]" in html  # value and CI
    assert "small group: n=12 &lt; 30" in html  # the suite's own warning
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "data:image/png;base64,UE5H" in html  # b"PNG" embedded
    assert "f" * 64 in html and "abc123" in html  # provenance
    assert re.search(r"<h2>Warnings \(4\)</h2>", html)
    assert 'src="http' not in html


def test_headlines_pick_known_names_first():
    metrics = [_m("performance", "brier", 0.1), _m("performance", "accuracy", 0.8)]
    assert [m.name for m in headline_metrics("performance", metrics)] == ["accuracy", "brier"]
    other = [_m("custom", f"m{i}", 0.1) for i in range(12)]
    assert len(headline_metrics("custom", other)) == 8


def test_explainability_headlines_match_logged_keys():
    """Ground-truth agreement and the randomisation check are headlines under their real keys."""
    names = ["sparseness", "gt_feature_agreement", "randomisation_similarity", "deletion_auc"]
    metrics = [_m("explainability", f"saliency/{n}", 0.5) for n in names]
    metrics.append(_m("explainability", "saliency/sex/deletion_auc_gap", 0.1))
    chosen = [m.name for m in headline_metrics("explainability", metrics)]
    assert chosen == [
        "saliency/deletion_auc",
        "saliency/gt_feature_agreement",
        "saliency/randomisation_similarity",
    ]


def test_per_group_values_are_not_headlines():
    metrics = [
        _m("fairness", "sex/Female/accuracy", 0.9),
        _m("fairness", "sex/equalized_odds_difference", 0.2),
        _m("fairness", "equalized_odds_difference", 0.2),
    ]
    assert [m.name for m in headline_metrics("fairness", metrics)] == ["equalized_odds_difference"]


def test_write_card_embeds_plot_files_and_figures(tmp_path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "roc.png").write_bytes(b"\x89PNG")
    path = write_card(tmp_path, _report())
    assert "plots/roc.png" in path.read_text()
    report = _report()
    figure = plt.figure()
    report.artifacts["plots/f.png"] = figure
    assert figure_images(report)["plots/f.png"].startswith(b"\x89PNG")
    plt.close(figure)
