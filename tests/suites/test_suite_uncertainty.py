"""The uncertainty suite: conformal sets recomputed from the logged artifacts with MAPIE, OOD
AUROC with scikit-learn, every key registered, warnings under shift, scores that do not apply."""

from __future__ import annotations

import copy
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from mapie.classification import SplitConformalClassifier
from mapie.metrics.classification import (
    classification_coverage_score,
    classification_mean_width_score,
)
from sklearn.metrics import roc_auc_score
from tests.conftest import assert_every_key_registered
from tests.suites.test_suite_fairness import fit, make_task

import trustbench
from trustbench.errors import ConfigError
from trustbench.metrics import uncertainty_conformal as C
from trustbench.metrics import uncertainty_selective as S
from trustbench.models import TorchClassifier
from trustbench.models.mlp import MLP
from trustbench.suites.uncertainty import ood as ood_module
from trustbench.suites.uncertainty.conformal import aps_uniforms
from trustbench.suites.uncertainty.suite import check_config

FAST = {"bootstrap": {"n_resamples": 200}, "uncertainty": {"plots": False}}


def score(task, model=None, **options):
    config = copy.deepcopy(FAST)
    config["uncertainty"].update(options)
    return trustbench.score(model or fit(task), task, suites=["uncertainty"], config=config)


@pytest.fixture(scope="module")
def scored():
    task = make_task(seed=0)
    model = fit(task)
    return task, model, score(task, model, plots=True)


def _parts(report, task):
    """Calibration and scored rows of test, as positions in the test split."""
    parts = report.artifacts["uncertainty/calibration_rows.parquet"]
    assert list(parts["row_id"]) == list(task.test.row_id)
    cal = np.flatnonzero(parts["part"] == "calibration")
    scored = np.flatnonzero(parts["part"] == "scored")
    assert len(cal) == len(scored) == len(task.test) // 2
    return cal, scored


def test_conformal_values_equal_mapie_on_the_logged_calibration_rows(scored):
    task, model, report = scored
    values = report.values()
    cal, rows = _parts(report, task)
    X, y = task.test.X, task.test.y
    mapie = SplitConformalClassifier(model, confidence_level=0.9, prefit=True)
    mapie.conformalize(X.iloc[cal], y[cal])
    table = report.artifacts["uncertainty/groups.parquet"]
    for split, X_s, y_s, sex in (
        ("test", X.iloc[rows], y[rows], task.test.sensitive["sex"].to_numpy()[rows]),
        ("ood", task.ood.X, task.ood.y, task.ood.sensitive["sex"].to_numpy()),
    ):
        sets = mapie.predict_set(X_s)[1]
        assert values[f"uncertainty/lac/{split}/coverage"] == pytest.approx(
            classification_coverage_score(y_s, sets)[0], abs=1e-9
        )
        assert values[f"uncertainty/lac/{split}/set_size"] == pytest.approx(
            classification_mean_width_score(sets)[0], abs=1e-9
        )
        for group in ("F", "M"):
            g = sex == group
            assert values[f"uncertainty/lac/{split}/sex/{group}/coverage"] == pytest.approx(
                classification_coverage_score(y_s[g], sets[g])[0], abs=1e-9
            )
            # Mondrian: one MAPIE predictor calibrated on the group's calibration rows
            cal_g = cal[task.test.sensitive["sex"].to_numpy()[cal] == group]
            own = SplitConformalClassifier(model, confidence_level=0.9, prefit=True)
            own.conformalize(X.iloc[cal_g], y[cal_g])
            own_sets = own.predict_set(X_s[g])[1]
            cell = table.query(
                "method == 'lac' and calibration == 'mondrian' and split == @split and "
                "attribute == 'sex' and group == @group and metric == 'coverage'"
            )
            assert cell["value"].item() == pytest.approx(
                classification_coverage_score(y_s[g], own_sets)[0], abs=1e-9
            )
    # APS with the suite's seeded calibration uniforms
    p = report.artifacts["predictions.parquet"]
    p_test = p[p["split"] == "test"][["proba_0", "proba_1"]].to_numpy()
    aps = C.split_conformal(
        p_test[cal], y[cal], p_test[rows], y[rows], 0.9, "aps", u=aps_uniforms(len(cal), 0)
    )
    assert values["uncertainty/aps/test/coverage"] == pytest.approx(aps["coverage"], abs=1e-12)
    assert values["uncertainty/aps/test/coverage_gap"] == pytest.approx(aps["coverage"] - 0.9)


def test_ood_detection_and_selective_values_equal_the_references(scored):
    _, _, report = scored
    values = report.values()
    frame = report.artifacts["predictions.parquet"]
    test, ood = frame[frame["split"] == "test"], frame[frame["split"] == "ood"]
    proba = np.vstack([test[["proba_0", "proba_1"]], ood[["proba_0", "proba_1"]]])
    is_ood = np.r_[np.zeros(len(test)), np.ones(len(ood))]
    assert values["uncertainty/ood_detection/msp/auroc"] == pytest.approx(
        roc_auc_score(is_ood, 1 - proba.max(axis=1)), abs=1e-12
    )
    assert "uncertainty/ood_detection/mahalanobis/auroc" in values
    p = test[["proba_0", "proba_1"]].to_numpy()
    error = (p.argmax(axis=1) != test["y_true"].to_numpy()).astype(float)
    assert values["uncertainty/selective/test/aurc"] == pytest.approx(
        S.aurc(p.max(axis=1), error), abs=1e-12
    )


def test_every_key_is_registered_with_intervals_and_artifacts(scored):
    _, _, report = scored
    suite = report.suites["uncertainty"]
    assert suite.status == "ok"
    assert_every_key_registered(report.values())
    names = [m.name for m in suite.metrics]
    assert names[0] == "lac/test/coverage"  # what the console shows first
    for key in ("lac/test/coverage", "aps/ood/set_size", "selective/test/aurc",
                "ood_detection/msp/fpr_at_tpr_0.95", "lac/test/site/H1/coverage",
                "lac_mondrian/test/sex_x_age_group/worst_group_coverage_gap",
                "selective/test/sex/F/accuracy_at_coverage_0.8"):  # fmt: skip
        metric = report[f"uncertainty/{key}"]
        assert metric.ci_low is not None and metric.ci_low <= metric.ci_high, key
    groups = report.artifacts["uncertainty/groups.parquet"]
    assert {"sex", "age_group", "sex_x_age_group", "site"} <= set(groups["attribute"])
    assert set(groups["calibration"]) == {"marginal", "mondrian"}
    assert "plots/risk_coverage.png" in report.artifacts
    assert any("energy" in note for note in suite.notes)  # a scikit-learn model has no logits


def test_a_broken_shift_is_a_warning():
    task = make_task(seed=1)
    model = fit(task)
    task.splits["ood"].y = 1 - task.splits["ood"].y  # what the model learnt no longer holds
    suite = score(task, model, methods=["lac"], mondrian=False).suites["uncertainty"]
    assert any("does not survive the shift" in w for w in suite.warnings)
    assert any("split 'ood' cover less than 0.85" in w for w in suite.warnings)


def test_energy_comes_from_a_torch_models_logits():
    task = make_task(seed=0)
    model = TorchClassifier(
        partial(MLP, hidden_sizes=(16,)), task.features, epochs=2, seed=0, device="cpu"
    ).fit(task.train.X, task.train.y)
    report = score(task, model, methods=["lac"], mondrian=False, ood_scores=["energy"])
    with torch.no_grad():
        logits = torch.cat([model.logits(model.transform(s.X)) for s in (task.test, task.ood)])
    energy = -torch.logsumexp(logits.double(), dim=1).numpy()
    is_ood = np.r_[np.zeros(len(task.test)), np.ones(len(task.ood))]
    assert report.values()["uncertainty/ood_detection/energy/auroc"] == pytest.approx(
        roc_auc_score(is_ood, energy), abs=1e-9
    )


def test_mahalanobis_does_not_apply_to_images():
    ctx = SimpleNamespace(task=SimpleNamespace(is_image=True))
    scores, why = ood_module._scores(ctx, "mahalanobis")
    assert scores is None and "image task" in why


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"methods": ["lacc"]}, "Did you mean 'lac'"),
        ({"ood_scores": ["energie"]}, "Did you mean 'energy'"),
        ({"level": 1.0}, r"suite.uncertainty.level: expected a number in \(0, 1\)"),
        ({"calibration_fraction": 0.0}, "suite.uncertainty.calibration_fraction"),
        ({"selective_coverages": [0.8, 1.5]}, r"selective_coverages\[1\]"),
    ],
)
def test_check_config_names_the_key(options, message):
    with pytest.raises(ConfigError, match=message):
        check_config(options)


def test_the_calibration_share_and_level_are_options():
    task = make_task(seed=0)
    report = score(task, level=0.8, calibration_fraction=0.25, methods=["lac"], mondrian=False)
    parts = report.artifacts["uncertainty/calibration_rows.parquet"]
    assert (parts["part"] == "calibration").sum() == round(0.25 * len(task.test))
    gap = report["uncertainty/lac/test/coverage_gap"].value
    assert gap == pytest.approx(report["uncertainty/lac/test/coverage"].value - 0.8)
    assert isinstance(report.artifacts["uncertainty/groups.parquet"], pd.DataFrame)
