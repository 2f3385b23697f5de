"""What the MLflow UI's run table shows of a run: its name, its dataset inputs, summary tags
and description; and the worst-case metrics naming the attribute or site behind them."""

from __future__ import annotations

import mlflow
import pytest
from tests.conftest import run_logged

FAST = [
    "suite.data.enabled=false",
    "suite.uncertainty.enabled=false",
    "suite.explainability.enabled=false",
    "suite.privacy.enabled=false",
]


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    return run_logged([*FAST, "seed=2"], tmp_path_factory.mktemp("ui"))


def test_run_name_inputs_and_summary_tags(logged):
    result, run, _ = logged
    assert run.info.run_name == "heart-logreg-standard-s2"
    inputs = {
        next(t.value for t in i.tags if t.key == "mlflow.data.context"): i.dataset
        for i in run.inputs.dataset_inputs
    }
    assert set(inputs) == {"train", "test", "ood"}
    for split, dataset in inputs.items():
        assert dataset.name == f"heart-{split}"
        assert dataset.digest == result.report.run["fingerprint"][:12]
        assert dataset.source_type == "http" and "10.24432/C52P4X" in dataset.source
        assert f'"num_rows": {result.report.run["n"][split]}' in dataset.profile
    accuracy = result.report["performance/accuracy"]
    tag = run.data.tags["summary.performance"]
    assert tag.startswith(f"accuracy {accuracy.value:.3f} [{accuracy.ci_low:.3f}, ")
    assert "summary.fairness" in run.data.tags and "summary.generalization" in run.data.tags
    assert "summary.privacy" not in run.data.tags  # the suite did not run
    note = run.data.tags["mlflow.note.content"]
    assert "| performance | roc_auc |" in note and "worst: " in note
    client = mlflow.MlflowClient(tracking_uri=result.report.run["tracking_uri"])
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # run table


def test_worst_cases_name_their_attribute_and_site(logged):
    result, _, local = logged
    report = result.report
    for gap in ("demographic_parity_difference", "equalized_odds_difference"):
        per_attribute = {a: report[f"fairness/{a}/{gap}"].value for a in ("sex", "age_group")}
        assert report[f"fairness/{gap}"].worst_of == max(per_attribute, key=per_attribute.get)
        assert report[f"fairness/{gap}"].value == pytest.approx(max(per_attribute.values()))
    group_min = {
        a: report[f"fairness/{a}/accuracy_score_group_min"].value for a in ("sex", "age_group")
    }
    assert report["fairness/accuracy_score_group_min"].worst_of == min(group_min, key=group_min.get)
    sites = {
        m.name.split("/")[1]: m.value
        for m in report.suites["generalization"].metrics
        if m.name.startswith("site/") and m.name.endswith("/accuracy")
    }
    worst_site = report["generalization/worst_site_accuracy"]
    assert worst_site.value == pytest.approx(min(sites.values()))
    assert worst_site.worst_of.replace(" ", "_") == min(sites, key=sites.get).replace(" ", "_")
    card = (local / "trust_card.html").read_text()
    assert "target column" in card and "worst: " in card
    assert result.trust_card is not None and result.trust_card.name == "trust_card.html"
