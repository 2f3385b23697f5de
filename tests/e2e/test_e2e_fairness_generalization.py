"""End to end (issue 3): on synthetic data with a strong group bias, trainer=fair with an
equalized-odds constraint lowers the equalized-odds gap of trainer=standard on the same seed and
split; the mitigated run records how it was mitigated; every fairness and generalization part
of the report is there."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import equalized_odds_difference
from tests.conftest import compose_config

from trustbench.experiment import run_experiment

BIASED = [
    "dataset=synthetic",
    "dataset.bias=3",
    "dataset.n_samples=800",
    "suite.explainability.enabled=false",
    "suite.privacy.enabled=false",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fair_runs")
    standard = run_experiment(compose_config(BIASED), track=False)
    cfg = compose_config([*BIASED, "trainer=fair", "trainer.max_iter=15"], tracking_dir=tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        fair = run_experiment(cfg)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp}/mlflow.db")
    run = client.get_run(fair.run_id)
    local = Path(client.download_artifacts(fair.run_id, "", str(tmp / "artifacts")))
    return standard.report, fair.report, run, local


def test_equalized_odds_constraint_lowers_the_gap_on_the_same_split(runs):
    standard, fair, _, _ = runs
    assert standard.run["fingerprint"] == fair.run["fingerprint"]  # same data, seed and split
    key = "fairness/group/equalized_odds_difference"
    before, after = standard[key], fair[key]
    assert before.value > 0.3
    assert after.value < before.value - 0.15
    assert after.ci_high < before.ci_high
    assert fair["fairness/equalized_odds_difference"].value == after.value  # one attribute
    # the cost of mitigation, in the same report
    drop = standard["performance/accuracy"].value - fair["performance/accuracy"].value
    assert -0.05 < drop < 0.15


def test_mitigated_run_records_constraint_and_tolerance(runs):
    _, fair, run, local = runs
    params = run.data.params
    assert params["trainer.name"] == "fair"
    assert params["training.method"] == "exponentiated_gradient"
    assert params["training.constraint"] == "equalized_odds"
    assert params["training.tolerance"] == "0.01"
    assert params["training.sensitive"] == "group"
    assert params["training.randomized"] == "True"
    assert 0 < float(params["training.changed_fraction"]) <= 1
    assert "training.warning" not in params  # the mitigation changed predictions
    # the logged equalized-odds gap is the randomized classifier's expected one: group TPR and
    # FPR of q = P(yhat = 1) = proba_1 (fairlearn's rates averaged over its draws)
    test = pd.read_parquet(local / "predictions.parquet").query("split == 'test'")
    q, y, group = test["proba_1"], test["y_true"], test["sensitive_group"]
    tpr = [q[(group == g) & (y == 1)].mean() for g in ("A", "B")]
    fpr = [q[(group == g) & (y == 0)].mean() for g in ("A", "B")]
    expected = max(abs(tpr[0] - tpr[1]), abs(fpr[0] - fpr[1]))
    assert run.data.metrics["fairness/group/equalized_odds_difference"] == pytest.approx(
        expected, abs=1e-12
    )
    # y_pred is the argmax of the randomized classifier's P(yhat = 1 | x); its gap (fairlearn's
    # on y_pred) is the deterministic form, given in the suite's note
    np.testing.assert_array_equal(test["y_pred"], (test["proba_1"] > 0.5).astype(int))
    argmax = equalized_odds_difference(y, test["y_pred"], sensitive_features=group)
    note = next(n for n in fair.suites["fairness"].notes if n.startswith("randomized"))
    assert f"equalized_odds_difference {argmax:.4f} (argmax) vs {expected:.4f} (expected)" in note
    assert run.info.status == "FINISHED"


def test_biased_run_logs_every_part_of_the_fairness_and_generalization_report(runs):
    standard, _, _, _ = runs
    values = standard.values()
    expected = [
        "fairness/group/demographic_parity_ratio",
        "fairness/group/equalized_odds_ratio_mean",
        "fairness/group/accuracy_score_group_min",
        "fairness/group/ece_difference",
        "fairness/group/B/true_positive_rate",
        "fairness/at_sensitivity_0.9/group/equalized_odds_difference",
        "fairness/at_sensitivity_0.9/specificity",
        "generalization/ece",
        "generalization/adaptive_ece",
        "generalization/ood_balanced_accuracy",
        "generalization/brier_drop",
        "generalization/train_test_gap/roc_auc",
        "generalization/ood_fairness/group/equalized_odds_difference_change",
        "generalization/shift/covariate/2/ece",
        "generalization/shift/label_prior/0.5/accuracy",
        "generalization/shift/noise/1/roc_auc",
    ]
    for key in expected:
        assert values[key] is not None, key
    for path in (
        "fairness/groups.parquet",
        "generalization/shifts.parquet",
        "plots/fairness_by_group.png",
        "plots/reliability_diagram.png",
        "plots/shift_curves.png",
    ):
        assert path in standard.artifacts, path
    notes = standard.suites["generalization"].notes
    assert "dataset 'synthetic' has no site column: per-site breakdown not computed" in notes
    # the biased model treats the groups differently, and the report says so with intervals
    gap = standard["fairness/group/demographic_parity_difference"]
    assert gap.ci_low > 0.2
