import numpy as np
import pandas as pd
import torch
from captum.attr import FeatureAblation, Saliency
from tests.explain.toy import fit_logreg

from trustbench.data import load
from trustbench.explain import (
    AblationExplainer,
    RandomExplainer,
    SaliencyExplainer,
    feature_baseline,
    masked_copies,
)
from trustbench.models import build_model

MLP_CFG = {
    "name": "mlp",
    "library": "torch",
    "module": {"_target_": "trustbench.models.mlp.MLP", "hidden_sizes": [16]},
}


def test_ablation_matches_captum_feature_ablation():
    task = load("breast_cancer", seed=0)  # all continuous: ablation in input space == encoded space
    model = build_model(MLP_CFG, task.features, recipe={"epochs": 5}).fit(
        task.train.X, task.train.y
    )
    X = task.test.X.iloc[:25].reset_index(drop=True)
    target = model.predict_proba(X).argmax(1)
    baseline = feature_baseline(task.train.X)
    ours = AblationExplainer(model, baseline=baseline, n_classes=2).attribute(X, target)

    def forward(inputs):  # raw features -> probabilities, through the model's own preprocessing
        frame = pd.DataFrame(inputs.numpy(), columns=X.columns)
        return torch.as_tensor(model.predict_proba(frame))

    reference = FeatureAblation(forward).attribute(
        torch.as_tensor(X.to_numpy(), dtype=torch.float64),
        baselines=torch.as_tensor(baseline.to_numpy(), dtype=torch.float64),
        target=torch.as_tensor(target),
    )
    np.testing.assert_allclose(ours, reference.numpy(), atol=1e-6)


def test_ablation_handles_categorical_and_missing_values():
    task = load("heart", seed=0)
    model = fit_logreg(task)
    X = task.test.X.iloc[:10].reset_index(drop=True)
    target = model.predict(X)
    baseline = feature_baseline(task.train.X)
    attributions = AblationExplainer(model, baseline=baseline, n_classes=2).attribute(X, target)
    # each column equals the explicit one-at-a-time computation
    p0 = model.predict_proba(X)[np.arange(10), target]
    for j, column in enumerate(X.columns):
        changed = X.copy()
        changed[column] = baseline[column].iloc[0]
        expected = p0 - model.predict_proba(changed)[np.arange(10), target]
        np.testing.assert_allclose(attributions[:, j], expected, atol=1e-12)


def test_masked_copies_replaces_exactly_the_masked_cells():
    X = pd.DataFrame({"a": [1.0, 2.0], "b": ["u", "v"]})
    baseline = pd.DataFrame({"a": [0.0], "b": ["z"]})
    masks = np.array([[[False, False], [False, False]], [[True, False], [False, True]]])
    out = masked_copies(X, baseline, masks)
    assert out["a"].tolist() == [1.0, 2.0, 0.0, 2.0]
    assert out["b"].tolist() == ["u", "v", "u", "z"]


def test_saliency_sums_captum_gradients_per_feature():
    task = load("synthetic", seed=0, n_samples=300)
    model = build_model(MLP_CFG, task.features, recipe={"epochs": 3}).fit(
        task.train.X, task.train.y
    )
    X = task.test.X.iloc[:7].reset_index(drop=True)
    target = model.predict_proba(X).argmax(1)
    ours = SaliencyExplainer(model).attribute(X, target)
    grads = (
        Saliency(model.module_)
        .attribute(model.transform(X), target=torch.as_tensor(target), abs=True)
        .numpy()
    )
    expected = np.stack(
        [grads[:, model.feature_groups_ == j].sum(1) for j in range(X.shape[1])], axis=1
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-6)


def test_random_explainer_is_seeded():
    X = pd.DataFrame(np.zeros((4, 3)))
    a = RandomExplainer(seed=1).attribute(X, np.zeros(4, int))
    np.testing.assert_array_equal(a, RandomExplainer(seed=1).attribute(X, np.zeros(4, int)))
    assert not np.array_equal(a, RandomExplainer(seed=2).attribute(X, np.zeros(4, int)))
