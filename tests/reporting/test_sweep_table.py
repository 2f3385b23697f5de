"""The table a sweep ends with: one row per job, read from the jobs' output folders."""

from __future__ import annotations

from pathlib import Path

import yaml
from rich.console import Console

from trustbench.report import MetricResult, SuiteResult, TrustReport
from trustbench.reporting.sweep_table import compared_keys, print_comparison, read_jobs


def _job(folder: Path, overrides: list[str], accuracy: float | None) -> None:
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    if accuracy is None:  # a failed job: no report
        return
    metrics = [
        MetricResult("performance", "accuracy", accuracy, accuracy - 0.05, accuracy + 0.04),
        MetricResult("fairness", "demographic_parity_difference", 0.4295, 0.3039, 0.5263),
    ]
    suites = {
        "performance": SuiteResult("performance", "ok", metrics[:1]),
        "fairness": SuiteResult("fairness", "ok", metrics[1:]),
    }
    (folder / "artifacts").mkdir()
    report = TrustReport(run={"dataset": "heart"}, suites=suites)
    (folder / "artifacts" / "trust_report.json").write_text(report.to_json())


def test_one_row_per_job_with_the_overrides_that_differ(tmp_path):
    _job(tmp_path / "0", ["model=logreg", "seed=0", "dataset=heart"], 0.8843)
    _job(tmp_path / "1", ["model=mlp", "seed=0", "dataset=heart"], 0.8704)
    _job(tmp_path / "10", ["model=rf", "seed=0", "dataset=heart"], None)
    (tmp_path / ".hydra").mkdir()  # the sweep's own folder is not a job
    jobs = read_jobs(tmp_path)
    assert [number for number, _, _ in jobs] == ["0", "1", "10"]  # numeric order
    console = Console(record=True, width=80)
    assert print_comparison(tmp_path, console) == 3
    text = console.export_text()
    assert max(map(len, text.splitlines())) <= 80
    assert "sweep of 3 jobs · seed=0 dataset=heart" in text  # common overrides once
    lines = text.splitlines()
    row = next(line for line in lines if line.lstrip().startswith("#0"))
    assert "model=logreg" in row and "0.884" in row and "seed=0" not in row
    assert "[0.834, 0.924]" in text and "[0.304, 0.526]" in text
    failed = next(line for line in lines if line.lstrip().startswith("#10"))
    assert "model=rf" in failed and "no result" in failed
    # families no job computed (generalization, privacy here) get no column
    assert "ood_accuracy" not in text and "loss/auc" not in text


def test_compared_keys_are_each_familys_first_ranked_metric():
    from trustbench.metrics import REGISTRY

    keys = compared_keys()
    assert [k.split("/")[0] for k in keys] == [
        "performance",
        "fairness",
        "generalization",
        "privacy",
    ]
    patterns = REGISTRY.ranking_patterns()
    for key in keys:
        family = key.split("/")[0]
        assert key == next(p for p in patterns if p.startswith(f"{family}/") and "*" not in p)
