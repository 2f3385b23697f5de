"""End to end: the data suite through the `trustbench` command. On heart_duplicated (the
Cleveland patients repeated to 1,025 rows) the audit warns about the twins before the model is
trained, and the logged run shows how much they inflate the test AUC; the default heart data,
audited the same way, has next to no twins (the contrast the demo relies on)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from tests.e2e.sweep_helpers import trustbench

pytestmark = pytest.mark.slow

#: The demo's command line, less the dataset.
OVERRIDES = [
    "model=gbdt",
    "suite.privacy.enabled=false",
    "suite.explainability.enabled=false",
    "suite.uncertainty.enabled=false",
    "suite.bootstrap.n_resamples=200",
    "tracking.log_model=false",
]
TWIN_WARNING = "have a twin in train"
TRAINING = "[2/4] training"


def _run(dataset: str, tmp: Path):
    """``trustbench dataset=<dataset> ...`` in ``tmp``; its process, MLflow run and artifacts."""
    done = trustbench([f"dataset={dataset}", *OVERRIDES], tmp)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp}/mlflow.db")
    experiment = client.get_experiment_by_name("trustbench")
    [run] = client.search_runs([experiment.experiment_id])
    local = Path(client.download_artifacts(run.info.run_id, "", str(tmp / "artifacts")))
    return done, run, local


@pytest.fixture(scope="module")
def duplicated(tmp_path_factory):
    return _run("heart_duplicated", tmp_path_factory.mktemp("heart_duplicated"))


def test_the_twin_warning_comes_before_training(duplicated):
    done, _, _ = duplicated
    [stream] = [s for s in (done.stdout, done.stderr) if TRAINING in s]
    lines = stream.splitlines()
    training = next(i for i, line in enumerate(lines) if TRAINING in line)
    warned = [i for i, line in enumerate(lines) if TWIN_WARNING in line]
    assert warned and warned[0] < training, stream[-3000:]
    assert "test rows" in lines[warned[0]] and "WARNING" in lines[warned[0]]


def test_the_run_reports_the_twins_and_their_inflation(duplicated):
    _, run, _ = duplicated
    metrics = run.data.metrics
    assert run.info.status == "FINISHED"
    assert run.data.tags["trustbench.suite.data.status"] == "ok"
    assert metrics["data/splits/test/twin_share"] > 0.8
    assert metrics["data/splits/test/twin_auc_inflation"] > 0.05
    assert metrics["data/splits/test/roc_auc_twin_free"] < metrics["performance/roc_auc"]
    assert metrics["data/splits/test/twin_auc_inflation"] == pytest.approx(
        metrics["performance/roc_auc"] - metrics["data/splits/test/roc_auc_twin_free"], abs=1e-9
    )


def test_the_run_holds_the_dataset_card(duplicated):
    _, run, local = duplicated
    card = json.loads((local / "data" / "card.json").read_text())
    measured = card["measured"]
    twin_share = measured["metrics"]["data/splits/test/twin_share"]["value"]
    assert twin_share == pytest.approx(run.data.metrics["data/splits/test/twin_share"])
    assert [w for w in measured["warnings"] if TWIN_WARNING in w]
    html = (local / "trust_card.html").read_text()
    assert "<h2>Dataset card</h2>" in html
    for relative in ("data/twins.parquet", "data/drift.parquet", "data/shortcuts.parquet"):
        assert (local / relative).is_file(), relative


def test_heart_audited_the_same_way_has_next_to_no_twins():
    """The de-duplicated source (the audit alone: the command's other steps are shown above)."""
    from trustbench.data import load
    from trustbench.suites import audit_data, default_config, load_suite_config

    audit = audit_data(load("heart", seed=0), load_suite_config(default_config()), seed=0)
    values = {m.key: m.value for m in audit.metrics}
    assert values["data/splits/test/twin_share"] < 0.01
    assert not any(TWIN_WARNING in warning for warning in audit.warnings)
