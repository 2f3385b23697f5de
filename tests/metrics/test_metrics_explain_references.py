"""Explanation metrics against Quantus 0.6 and Captum on the same inputs and perturbations."""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest
import torch
from captum.metrics import infidelity as captum_infidelity
from torch import nn

from trustbench.metrics import explain_complexity as cx
from trustbench.metrics import explain_faithfulness as ff
from trustbench.metrics import explain_localisation as loc
from trustbench.metrics import explain_robustness as rb

# Quantus is a reference, not a dependency (.ci/run installs it; see README "Development").
# Locally the module skips without it; under CI=true a missing Quantus is a failure.
quantus = (
    importlib.import_module("quantus") if os.environ.get("CI") else pytest.importorskip("quantus")
)

N, SIDE = 6, 4
D = SIDE * SIDE


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(D, 3)).eval()
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, size=(N, 1, SIDE, SIDE)).astype(np.float32)
    with torch.no_grad():
        y = model(torch.as_tensor(x)).argmax(1).numpy()
    a = rng.normal(size=(N, 1, SIDE, SIDE)).astype(np.float32)
    return model, x, y, a


def _proba(model, x):
    with torch.no_grad():
        return torch.softmax(model(torch.as_tensor(np.asarray(x, np.float32))), 1).double().numpy()


def test_faithfulness_correlation_matches_quantus(setup):
    model, x, y, a = setup
    runs, size = 12, 5
    metric = quantus.FaithfulnessCorrelation(
        nr_runs=runs,
        subset_size=size,
        normalise=False,
        abs=False,
        perturb_baseline=0.0,
        disable_warnings=True,
    )
    np.random.seed(3)  # noqa: NPY002 -- Quantus draws from the legacy global RNG
    expected = metric(model=model, x_batch=x, y_batch=y, a_batch=a, device="cpu", softmax=True)
    # the same subsets, drawn in Quantus' order (run-major, then row)
    np.random.seed(3)  # noqa: NPY002 -- Quantus draws from the legacy global RNG
    masks = np.zeros((runs, N, D), dtype=bool)
    for r in range(runs):
        idx = np.stack([np.random.choice(D, size, replace=False) for _ in range(N)])  # noqa: NPY002
        masks[r, np.arange(N)[:, None], idx] = True
    flat_x = x.reshape(N, -1)
    p0 = _proba(model, x)[np.arange(N), y]
    perturbed = np.where(masks, 0.0, flat_x[None]).reshape(runs * N, 1, SIDE, SIDE)
    p = _proba(model, perturbed).reshape(runs, N, -1)[:, np.arange(N), y]
    sums = ff.subset_sums(a.reshape(N, -1), masks)
    ours = ff.faithfulness_correlation(sums, (p0[None] - p).T)
    assert ours == pytest.approx(float(np.mean(expected)), abs=1e-5)


def test_infidelity_matches_captum(setup):
    model, x, y, a = setup
    runs = 10
    rng = np.random.default_rng(5)
    masks = ff.random_subsets(rng, runs, N, D, 6)
    flat_x = torch.as_tensor(x.reshape(N, -1), dtype=torch.float64)

    def forward(z):  # interpretable input: 1 = present, 0 = at the black baseline
        n = len(z)
        rows = flat_x.repeat_interleave(n // N, dim=0) if n != N else flat_x
        mixed = (rows * z).float().reshape(n, 1, SIDE, SIDE)
        return torch.softmax(model(mixed), 1).double()

    # Captum repeats each row n_perturb_samples times (row-major); hand it our masks
    flat_masks = torch.as_tensor(masks.transpose(1, 0, 2).reshape(N * runs, D), dtype=torch.float64)

    def perturb(z):
        return flat_masks, z - flat_masks

    for normalize in (True, False):
        expected = captum_infidelity(
            forward,
            perturb,
            torch.ones(N, D, dtype=torch.float64),
            torch.as_tensor(a.reshape(N, -1), dtype=torch.float64),
            target=torch.as_tensor(y),
            n_perturb_samples=runs,
            normalize=normalize,
        ).numpy()
        p0 = _proba(model, x)[np.arange(N), y]
        perturbed = np.where(masks, 0.0, x.reshape(N, -1)[None]).reshape(runs * N, 1, SIDE, SIDE)
        p = _proba(model, perturbed).reshape(runs, N, -1)[:, np.arange(N), y]
        sums = ff.subset_sums(a.reshape(N, -1), masks)
        per_row = ff.infidelity_per_row(sums, (p0[None] - p).T, normalize=normalize)
        np.testing.assert_allclose(per_row, expected, rtol=1e-5, atol=1e-9)
        assert ff.infidelity(sums, (p0[None] - p).T, normalize=normalize) == pytest.approx(
            expected.mean(), rel=1e-5
        )


class _Replay:
    """A Quantus perturb_func that hands out pre-drawn noise, one sample per call."""

    def __init__(self, noise: np.ndarray) -> None:
        self.noise, self.calls = noise, 0

    def __call__(self, arr, indices, **_):
        out = arr + self.noise[self.calls].reshape(arr.shape)
        self.calls += 1
        return out


def _explain(model, inputs, targets, **_):  # a deterministic, input-dependent explainer
    x = np.asarray(inputs, dtype=np.float32)
    return (x * x * 3 - x).astype(np.float32)


def test_max_sensitivity_and_ris_match_quantus(setup):
    model, x, y, _ = setup
    samples = 5
    noise = (
        np.random.default_rng(9).uniform(-0.01, 0.01, size=(samples, *x.shape)).astype(np.float32)
    )
    a = _explain(model, x, y)
    xs = x[None] + noise
    a_s = _explain(model, xs, y)
    changed = _proba(model, xs.reshape(-1, 1, SIDE, SIDE)).argmax(1).reshape(samples, N) != y
    assert not changed.any()  # Quantus' np.max needs unchanged predictions to agree

    ms = quantus.MaxSensitivity(
        nr_samples=samples, perturb_func=_Replay(noise), disable_warnings=True
    )
    expected = ms(model=model, x_batch=x, y_batch=y, a_batch=a, explain_func=_explain, device="cpu")
    assert rb.max_sensitivity(a[:, 0], a_s[:, :, 0]) == pytest.approx(np.mean(expected), rel=1e-5)

    ris = quantus.RelativeInputStability(
        nr_samples=samples, perturb_func=_Replay(noise), disable_warnings=True
    )
    expected = ris(
        model=model, x_batch=x, y_batch=y, a_batch=a, explain_func=_explain, device="cpu"
    )
    ours = rb.relative_input_stability(
        a[:, 0], a_s[:, :, 0], x.reshape(N, -1), xs.reshape(samples, N, -1), changed
    )
    assert ours == pytest.approx(np.mean(expected), rel=1e-4)


def test_sparseness_and_entropy_match_quantus(setup):
    model, x, y, a = setup
    kw = dict(model=model, x_batch=x, y_batch=y, a_batch=a, device="cpu")
    sparse = quantus.Sparseness(normalise=False, disable_warnings=True)(**kw)
    assert cx.sparseness(a[:, 0]) == pytest.approx(np.mean(sparse), abs=1e-5)
    ent = quantus.Complexity(normalise=False, disable_warnings=True)(**kw)
    assert cx.entropy(a[:, 0]) == pytest.approx(np.mean(ent), abs=1e-5)


def test_localisation_matches_quantus(setup):
    model, x, y, a = setup
    a = np.abs(a)
    s = np.zeros((N, 1, SIDE, SIDE), dtype=np.float32)
    s[:, 0, :2, :2] = 1.0
    s[0, 0, 3, 3] = 1.0
    kw = dict(model=model, x_batch=x, y_batch=y, a_batch=a, s_batch=s, device="cpu")
    masks = s[:, 0].astype(bool)
    pg = quantus.PointingGame(disable_warnings=True)(**kw)
    assert loc.pointing_game(a[:, 0], masks) == pytest.approx(np.mean(pg))
    rma = quantus.RelevanceMassAccuracy(disable_warnings=True)(**kw)
    assert loc.relevance_mass_accuracy(a[:, 0], masks) == pytest.approx(np.mean(rma), rel=1e-5)
    rra = quantus.RelevanceRankAccuracy(disable_warnings=True)(**kw)
    assert loc.relevance_rank_accuracy(a[:, 0], masks) == pytest.approx(np.mean(rra), rel=1e-5)
