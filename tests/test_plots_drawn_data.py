"""What the new and changed figures draw equals what the libraries compute: ROC/PR curves
(``sklearn.metrics.roc_curve`` / ``precision_recall_curve``), the confusion matrix at the
decision threshold (``confusion_matrix``), the attack ROC's styles and AUCs, the shift
curves' axis labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from trustbench import plots
from trustbench.plots_performance import confusion_counts, roc_pr_data

RNG = np.random.default_rng(1)
Y = RNG.integers(0, 2, 300)
SCORE = np.clip(0.5 + (Y - 0.5) * 0.4 + RNG.normal(0, 0.25, 300), 0, 1)
PRED = (SCORE > 0.5).astype(int)  # the argmax of [1 - p, p]: positive when p > 0.5


def _line(ax, label):
    return next(line for line in ax.get_lines() if line.get_label() == label)


def test_roc_and_pr_lines_are_sklearns_curves_with_the_operating_point():
    fig = plots.roc_pr(Y, SCORE, PRED, "threshold 0.50 (positive if proba_1 > 0.50)", "present")
    roc, pr = fig.axes
    fpr, tpr, _ = skm.roc_curve(Y, SCORE)
    precision, recall, _ = skm.precision_recall_curve(Y, SCORE)
    auc, ap = skm.roc_auc_score(Y, SCORE), skm.average_precision_score(Y, SCORE)
    curve = _line(roc, f"AUC {auc:.3f}")
    np.testing.assert_array_equal(curve.get_xdata(), fpr)
    np.testing.assert_array_equal(curve.get_ydata(), tpr)
    pr_curve = _line(pr, f"AP {ap:.3f}")
    np.testing.assert_array_equal(pr_curve.get_xdata(), recall)
    np.testing.assert_array_equal(pr_curve.get_ydata(), precision)
    (tn, fp), (fn, tp) = skm.confusion_matrix(Y, PRED)
    point = next(line for line in roc.get_lines() if line.get_label().startswith("threshold 0.50"))
    assert point.get_xdata()[0] == pytest.approx(fp / (fp + tn))
    assert point.get_ydata()[0] == pytest.approx(tp / (tp + fn))
    assert f"sens {tp / (tp + fn):.2f}, spec {tn / (tn + fp):.2f}" in point.get_label()
    pr_point = next(line for line in pr.get_lines() if line.get_label().startswith("threshold"))
    assert pr_point.get_ydata()[0] == pytest.approx(tp / (tp + fp))
    assert "threshold 0.50" in fig.get_suptitle() and "'present'" in fig.get_suptitle()
    assert roc_pr_data(Y, SCORE, PRED).auc == pytest.approx(auc)


def test_confusion_matrix_cells_are_sklearns_counts_and_row_percentages():
    fig = plots.confusion_matrix(Y, PRED, ["absent", "present"], "threshold 0.50", "present")
    ax = fig.axes[0]
    expected = skm.confusion_matrix(Y, PRED)
    np.testing.assert_array_equal(confusion_counts(Y, PRED, 2), expected)
    cells = [t.get_text() for t in ax.texts]
    rows = expected / expected.sum(axis=1, keepdims=True)
    assert cells == [
        f"{expected[i, j]}\n{100 * rows[i, j]:.0f}%" for i in range(2) for j in range(2)
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["absent", "present\n(positive)"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert "threshold 0.50" in ax.get_title()


def test_confusion_matrix_keeps_every_class_even_one_never_predicted():
    y, pred = np.array([0, 1, 2, 2]), np.array([0, 0, 0, 2])
    np.testing.assert_array_equal(confusion_counts(y, pred, 4)[:, 3], 0)
    fig = plots.confusion_matrix(y, pred, ["a", "b", "c", "d"], "argmax")
    assert len(fig.axes[0].texts) == 16


def test_attack_roc_curves_differ_in_style_and_carry_their_auc():
    member = np.repeat([1, 0], 100)
    base = RNG.normal(member * 0.3, 1.0)
    scores = {"loss": base, "confidence": base + 1e-3, "entropy": base * 1.01, "lira": -base}
    fig = plots.attack_roc(member, scores, fpr_levels=[0.01])
    log_ax, lin_ax = fig.axes
    curves = [line for line in log_ax.get_lines() if line.get_label() in scores]
    pairs = {(line.get_linestyle(), line.get_marker()) for line in curves}
    colours = {line.get_color() for line in curves}
    assert len(curves) == 4 and len(pairs) == 4 and len(colours) == 4
    aucs = [t.get_text() for t in lin_ax.get_legend().get_texts()]
    assert aucs == [f"{skm.roc_auc_score(member, s):.3f}" for s in scores.values()]
    assert lin_ax.get_legend().get_title().get_text() == "ROC AUC"
    assert any(line.get_label() == "chance" for line in log_ax.get_lines())
    assert log_ax.get_xscale() == "log" and lin_ax.get_xscale() == "linear"
    fpr, tpr, _ = skm.roc_curve(member, scores["loss"], drop_intermediate=False)
    np.testing.assert_array_equal(lin_ax.get_lines()[0].get_xdata(), fpr)
    np.testing.assert_array_equal(lin_ax.get_lines()[0].get_ydata(), tpr)


def test_shift_curve_axes_name_what_is_shifted():
    curves = {
        "accuracy": {"covariate": ([0.8], [0.7], [0.9]), "noise": ([0.8], [0.7], [0.9])},
        "ece": {"covariate": ([0.1], [0.0], [0.2]), "noise": ([0.1], [0.0], [0.2])},
    }
    info = {
        "covariate": ("age mean shift (SD)", "covariate shift: mean of 'age' moved by s SD"),
        "noise": ("noise σ (× train SD)", "noise shift"),
    }
    fig = plots.shift_curves(curves, [1.0], {"accuracy": 0.85, "ece": 0.05}, info)
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert labels == ["age mean shift (SD)"] * 2 + ["noise σ (× train SD)"] * 2
    texts = [t.get_text() for t in fig.texts]
    assert any("'age'" in t for t in texts)
    line = next(line for line in fig.axes[0].get_lines() if line.get_marker() == "o")
    np.testing.assert_array_equal(line.get_xdata(), [0.0, 1.0])
    np.testing.assert_array_equal(line.get_ydata(), [0.85, 0.8])
