"""The suites' figures on a binary tabular run (heart + logreg): the new plots exist and draw
the run's own numbers (predictions, attributions, shifts); a multiclass task gets a confusion
matrix and no ROC/PR figure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn import metrics as skm
from tests.explain.toy import fit_logreg

from trustbench.api import score
from trustbench.data import load
from trustbench.explain.figures import mean_abs_attribution
from trustbench.suites.performance.figures import THRESHOLD_TEXT, performance_figures

SMALL = {
    "bootstrap": {"n_resamples": 50},
    "explainability": {
        "explainers": ["ablation"],
        "n_rows": 40,
        "robustness": False,
        "faithfulness_runs": 4,
        "pgi_samples": 4,
    },
    "generalization": {"shifts": {"kinds": ["covariate", "label_prior"]}},
}


@pytest.fixture(scope="module")
def heart():
    task = load("heart", seed=0)
    model = fit_logreg(task)
    suites = ["performance", "explainability", "generalization"]
    return task, model, score(model, task, suites=suites, config=SMALL, seed=0)


def test_binary_tabular_run_has_the_new_plots(heart):
    _, _, report = heart
    expected = {"plots/roc_pr.png", "plots/confusion_matrix.png", "plots/feature_importance.png"}
    assert expected <= set(report.artifacts)
    assert "plots/shift_curves.png" in report.artifacts


def test_confusion_matrix_counts_are_sklearns_at_the_decision_threshold(heart):
    task, model, report = heart
    proba = model.predict_proba(task.test.X)
    pred = (proba[:, 1] > 0.5).astype(int)
    expected = skm.confusion_matrix(task.test.y, pred)
    ax = report.artifacts["plots/confusion_matrix.png"].axes[0]
    counts = [int(t.get_text().split("\n")[0]) for t in ax.texts]
    assert counts == expected.ravel().tolist()
    assert THRESHOLD_TEXT in ax.get_title() and "threshold 0.50" in THRESHOLD_TEXT
    positive = f"{task.classes[1]}\n(positive)"
    assert positive in [t.get_text() for t in ax.get_yticklabels()]
    roc = report.artifacts["plots/roc_pr.png"].axes[0]
    fpr, tpr, _ = skm.roc_curve(task.test.y, proba[:, 1])
    auc = skm.roc_auc_score(task.test.y, proba[:, 1])
    curve = next(line for line in roc.get_lines() if line.get_label() == f"AUC {auc:.3f}")
    np.testing.assert_allclose(curve.get_xdata(), fpr)
    np.testing.assert_allclose(curve.get_ydata(), tpr)


def test_feature_importance_bars_are_the_saved_attributions(heart):
    _, _, report = heart
    npz = report.artifacts["explainability/attributions.npz"]
    fig = report.artifacts["plots/feature_importance.png"]
    main, control = fig.axes
    importance = np.abs(np.asarray(npz["ablation"], dtype=float)).mean(axis=0)
    names = list(npz["feature_names"])
    drawn = [t.get_text() for t in main.get_yticklabels()]
    widths = [bar.get_width() for bar in main.patches]
    np.testing.assert_allclose(widths, [importance[names.index(n)] for n in drawn])
    assert widths == sorted(widths, reverse=True) and len(drawn) == min(15, len(names))
    random = mean_abs_attribution(npz["random"])
    np.testing.assert_allclose(
        [b.get_width() for b in control.patches], [random[names.index(n)] for n in drawn]
    )
    assert "ablation" in fig.get_suptitle()


def test_shift_curve_x_labels_name_the_feature_and_the_unit(heart):
    task, _, report = heart
    fig = report.artifacts["plots/shift_curves.png"]
    feature = next(f for f in task.features_of_kind("continuous"))
    labels = {" ".join(ax.get_xlabel().split()) for ax in fig.axes}  # wrapped labels: one line
    assert any(feature in label and "(SD)" in label for label in labels), labels
    assert any(f"log-odds shift of '{task.classes[1]}'" in label for label in labels), labels
    heads = " ".join(t.get_text() for t in fig.texts)
    assert "1 SD =" in heads and "test prevalence" in heads


def test_a_multiclass_task_gets_a_confusion_matrix_and_no_roc():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 90)
    proba = rng.dirichlet(np.ones(3), size=90)
    ctx = SimpleNamespace(
        task=SimpleNamespace(classes=["a", "b", "c"], n_classes=3),
        split=lambda name: SimpleNamespace(y=y),
        proba={"test": proba},
        y_pred=lambda name: proba.argmax(axis=1),
    )
    figures = performance_figures(ctx, "test")
    assert set(figures) == {"plots/confusion_matrix.png"}
    ax = figures["plots/confusion_matrix.png"].axes[0]
    counts = np.array([int(t.get_text().split("\n")[0]) for t in ax.texts]).reshape(3, 3)
    np.testing.assert_array_equal(counts, skm.confusion_matrix(y, proba.argmax(axis=1)))
    assert "argmax" in ax.get_title()
