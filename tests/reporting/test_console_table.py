"""The end-of-run console table: headline metrics from the registry, read at 80 columns."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from trustbench.metrics.spec import FAMILIES
from trustbench.report import MetricResult, SuiteResult, TrustReport
from trustbench.reporting.console import summary_rows
from trustbench.reporting.numbers import compact, compact_interval

INTERVAL = re.compile(r"\[-?[\d.e-]+, -?[\d.e-]+\]")


def _m(key: str, value, low=None, high=None, direction="max", worst_of=None) -> MetricResult:
    family, name = key.split("/", 1)
    return MetricResult(family, name, value, low, high, direction=direction, worst_of=worst_of)


def _dp_report() -> TrustReport:
    """A DP run with three explainers, huge stability ratios and many privacy metrics: every
    case the old 12-rows-by-order table hid or widened."""
    privacy = [_m(f"privacy/{a}/auc", 0.51, 0.48, 0.55, "min") for a in ("loss", "confidence")]
    privacy += [_m(f"privacy/loss/sex/{g}/auc", 0.5, 0.4, 0.6, "min") for g in "ABCDEFGHIJ"]
    privacy += [_m("privacy/dp/epsilon", 7.93), _m("privacy/dp/delta", 1e-5)]  # logged last
    explainability = [
        _m(f"explainability/{x}/{name}", v, v - 0.02, v + 0.02, d)
        for x in ("saliency", "integrated_gradients", "random")
        for name, v, d in (("deletion_auc", 0.6, "min"), ("insertion_auc", 0.7, "max"))
    ]
    explainability += [
        _m("explainability/saliency/relative_input_stability", 4417.98, 180.03, 10701.85, "min"),
        _m("explainability/saliency/relative_output_stability", 215233.89, 114509.87, 322220.78),
    ]
    suites = {
        "performance": [
            _m("performance/accuracy", 0.8843, 0.8365, 0.9218),
            _m("performance/roc_auc", 0.9427, 0.9115, 0.9707),
        ],
        "fairness": [
            _m(
                "fairness/demographic_parity_difference",
                0.4295,
                0.3039,
                0.5263,
                "target:0",
                worst_of="sex_x_age_group",
            ),
            _m("fairness/sex/demographic_parity_difference", 0.4295, 0.29, 0.53, "target:0"),
        ],
        "generalization": [
            _m("generalization/ood_accuracy", -0.69, -0.745, -0.625),
            _m("generalization/worst_site_accuracy", 0.69, 0.62, 0.74, worst_of="VA Long Beach"),
        ],
        "explainability": explainability,
        "privacy": privacy,
    }
    return TrustReport(
        run={"dataset": "heart", "model": "mlp", "trainer": "dp", "seed": 0},
        suites={f: SuiteResult(f, "ok", metrics) for f, metrics in suites.items()},
    )


def _printed(report: TrustReport, width: int = 80) -> str:
    console = Console(record=True, width=width)
    report.summary(console=console, run_id="0123abcd", trust_card="/runs/a/trust_card.html")
    return console.export_text()


def test_the_table_reads_at_80_columns():
    text = _printed(_dp_report())
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80
    for family in ("performance", "fairness", "generalization", "explainability", "privacy"):
        assert any(line.strip() == family for line in lines), family  # whole, on its own row
    rows = [line for line in lines if re.search(r"\d\.\d{3}", line)]
    with_interval = [line for line in rows if "[" in line]
    assert with_interval and all(INTERVAL.search(line) for line in with_interval)  # never wrapped
    assert not re.search(r"\d{4,}\.\d", text)  # no raw four-plus-digit numbers
    assert "0.884" in text and "[0.837, 0.922]" in text and "-0.690" in text


def test_dp_epsilon_random_controls_and_worst_attributes_are_shown():
    text = _printed(_dp_report())
    assert "dp/epsilon" in text and "7.930" in text and "dp/delta" in text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "demographic_parity_difference" in line)
    label = " ".join(lines[at].split()[:2] + lines[at + 1].split())  # folds onto a second line
    assert label == "demographic_parity_difference worst: sex_x_age_group"
    assert "0.429" in lines[at] and "[0.304, 0.526]" in lines[at]
    assert "worst_site_accuracy worst: VA Long Beach 0.690" in " ".join(text.split())
    order = [
        name
        for name in re.findall(r"(\w+/(?:deletion|insertion)_auc)", text)
        if name.split("/")[0] in ("saliency", "integrated_gradients", "random")
    ]
    assert order == [
        "saliency/deletion_auc",
        "integrated_gradients/deletion_auc",
        "random/deletion_auc",
        "saliency/insertion_auc",
        "integrated_gradients/insertion_auc",
        "random/insertion_auc",
    ]
    assert "random/deletion_auc (control)" in text
    assert "relative_output_stability" not in text  # not a headline: on the trust card
    assert "MLflow run 0123abcd" in text and "trust card /runs/a/trust_card.html" in text


def test_each_headline_comes_before_any_repeat_and_rows_are_capped():
    metrics = [_m(f"privacy/loss/sex/{g}/auc", 0.5) for g in "ABC"]
    metrics += [_m("privacy/loss/auc", 0.5), _m("privacy/confidence/auc", 0.5)]
    metrics += [_m("privacy/dp/epsilon", 3.0), _m("privacy/loss/tpr_at_fpr_0.01", 0.1)]
    metrics.append(_m("privacy/loss/tpr_at_fpr_0.001", None))
    names = [m.name for m in summary_rows("privacy", metrics, limit=4)]
    # registry order of the headline specs (epsilon, ..., auc, tpr), first value of each first;
    # per-group values are not primary keys and undefined values are left out
    assert names == ["dp/epsilon", "loss/auc", "loss/tpr_at_fpr_0.01", "confidence/auc"]


def test_failed_or_skipped_families_say_so():
    report = TrustReport(
        run={"dataset": "heart"},
        suites={"privacy": SuiteResult("privacy", "failed", reason="boom: attack failed")},
    )
    text = _printed(report)
    assert "privacy (failed)" in text and "privacy: failed — boom: attack failed" in text
    assert set(FAMILIES) >= {"privacy"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.94271, "0.943"),
        (-0.0271, "-0.027"),
        (0.0, "0.000"),
        (1.19523, "1.195"),
        (99.9994, "99.999"),
        (215.23, "215.2"),
        (4417.9816, "4.42e3"),
        (215233.8923, "2.15e5"),
        (-322220.78, "-3.22e5"),
        (0.000362, "3.62e-4"),
        (None, "—"),
        (float("nan"), "—"),
        (float("inf"), "—"),
    ],
)
def test_compact_numbers(value, text):
    assert compact(value) == text
    assert len(compact(value)) <= 8


def test_compact_interval():
    assert compact_interval(180.0305, 10701.8483) == "[180.0, 1.07e4]"
    assert compact_interval(None, 1.0) == ""
