"""The logged run: every metric once, the headlines linked to the logged model, which reloads."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from trustbench.report import MetricResult, SuiteResult, TrustReport
from trustbench.tracking import log, metric_entries
from trustbench.tracking.mlflow_logger import model_linked_keys


def _report() -> TrustReport:
    metrics = [
        MetricResult("performance", f"score_{i}", 0.5 + i / 100, 0.4 + i / 100, 0.6 + i / 100)
        for i in range(20)
    ] + [MetricResult("performance", "no_interval", 0.25)]
    suite = SuiteResult("performance", "ok", metrics=metrics)
    return TrustReport(run={"dataset": "toy", "seed": 0}, suites={"performance": suite})


def test_the_model_is_logged_before_the_metrics_and_linked_to_the_headlines(
    tmp_path: Path, monkeypatch
):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    model = LogisticRegression().fit(X, (X["a"] > 0).astype(int))
    report = _report()
    history_queries = []
    original = mlflow.MlflowClient.get_metric_history

    def get_metric_history(self, run_id, key):
        history_queries.append(key)
        return original(self, run_id, key)

    monkeypatch.setattr(mlflow.MlflowClient, "get_metric_history", get_metric_history)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run_id = log(report, tracking_uri=uri, config={"seed": 0}, model=model)
    # MLflow 3's log_model queries the history of every metric already in the run
    assert history_queries == []
    monkeypatch.undo()

    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    entries = metric_entries(report)
    assert len(entries) == 61
    assert run.data.metrics == pytest.approx(entries)
    for key in entries:  # logged once: not lost, not duplicated
        assert len(client.get_metric_history(run_id, key)) == 1
    assert run.data.params["seed"] == "0"

    (logged,) = client.search_logged_models(
        experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id = '{run_id}'"
    )
    linked = model_linked_keys(report)  # unregistered metrics: the family's first few
    assert 0 < len(linked) < len(entries)
    assert {m.key: m.value for m in logged.metrics} == pytest.approx(
        {k: v for k, v in entries.items() if k in linked}
    )
    assert {m.run_id for m in logged.metrics} == {run_id}
    assert logged.params == run.data.params
    reloaded = mlflow.sklearn.load_model(f"models:/{logged.model_id}")
    np.testing.assert_array_equal(reloaded.predict_proba(X), model.predict_proba(X))


def test_without_a_model_the_metrics_are_logged_unlinked(tmp_path: Path):
    report = _report()
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run_id = log(report, tracking_uri=uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.data.metrics == pytest.approx(metric_entries(report))
    assert not client.search_logged_models(experiment_ids=[run.info.experiment_id])
