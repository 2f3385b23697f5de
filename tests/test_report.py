import json
import math

from rich.console import Console

from trustbench.report import MetricResult, SuiteResult, TrustReport


def _report() -> TrustReport:
    return TrustReport(
        run={"dataset": "heart", "seed": 0},
        suites={
            "performance": SuiteResult(
                "performance", "ok", [MetricResult("performance", "accuracy", 0.8, 0.7, 0.9, n=10)]
            ),
            "fairness": SuiteResult("fairness", "not_applicable", reason="no sensitive attribute"),
        },
    )


def test_json_round_trip_and_keys():
    report = _report()
    again = TrustReport.from_json(report.to_json())
    assert again.to_dict() == report.to_dict()
    assert again["performance/accuracy"].ci_high == 0.9
    assert json.loads(report.to_json())["schema_version"] == 1


def test_non_finite_values_become_none():
    metric = MetricResult("privacy", "x", math.nan, math.inf, 1.0)
    assert metric.value is None and metric.ci_low is None and metric.ci_high == 1.0


def test_summary_prints_values_and_statuses():
    console = Console(record=True, width=120)
    _report().summary(console=console)
    text = console.export_text()
    assert "accuracy" in text and "0.800" in text and "[0.700, 0.900]" in text
    assert "not_applicable" in text and "no sensitive attribute" in text
