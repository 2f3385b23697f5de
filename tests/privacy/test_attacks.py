"""Membership-inference attack scores on hand cases (threshold attacks, LiRA, RMIA)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trustbench.privacy import attacks as A


def test_baseline_scores_hand_case():
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])
    y = np.array([0, 0, 1])
    np.testing.assert_allclose(A.loss_score(proba, y), np.log([0.9, 0.4, 0.5]))
    np.testing.assert_allclose(A.confidence_score(proba), [0.9, 0.6, 0.5])
    h = -(proba * np.log(proba)).sum(axis=1)
    np.testing.assert_allclose(A.entropy_score(proba), -h)
    # Song & Mittal: Mentr = -(1 - p_y) log p_y - sum_{j != y} p_j log(1 - p_j)
    mentr = [
        -(0.1) * np.log(0.9) - 0.1 * np.log(0.9),
        -(0.6) * np.log(0.4) - 0.6 * np.log(0.4),
        -(0.5) * np.log(0.5) - 0.5 * np.log(0.5),
    ]
    np.testing.assert_allclose(A.modified_entropy_score(proba, y), -np.array(mentr))


def test_lira_scores_are_gaussian_likelihood_ratios():
    rng = np.random.default_rng(0)
    phi_ref = rng.normal(size=(8, 5))
    keep = np.zeros((8, 5), dtype=bool)
    keep[::2] = True
    phi_t = rng.normal(size=5)
    online = A.lira_online_score(phi_t, phi_ref, keep)
    col = 3
    i, o = phi_ref[keep[:, col], col], phi_ref[~keep[:, col], col]
    expected = stats.norm.logpdf(phi_t[col], i.mean(), i.std()) - stats.norm.logpdf(
        phi_t[col], o.mean(), o.std()
    )
    assert online[col] == pytest.approx(expected)
    offline = A.lira_offline_score(phi_t, phi_ref, keep)
    assert offline[col] == pytest.approx(stats.norm.logcdf((phi_t[col] - o.mean()) / o.std()))
    fixed = A.lira_online_score(phi_t, phi_ref, keep, variance="fixed")
    # fixed variance: one std per side, pooled over every row's deviations from its own mean
    sd_in = np.sqrt(np.mean((phi_ref[::2] - phi_ref[::2].mean(axis=0)) ** 2))
    sd_out = np.sqrt(np.mean((phi_ref[1::2] - phi_ref[1::2].mean(axis=0)) ** 2))
    expected_fixed = stats.norm.logpdf(phi_t[col], i.mean(), sd_in) - stats.norm.logpdf(
        phi_t[col], o.mean(), sd_out
    )
    assert fixed[col] == pytest.approx(expected_fixed)


def test_rmia_hand_case():
    # one audit row, three population rows, two OUT reference models
    logp_t = np.log([0.8])
    logp_ref = np.log([[0.4], [0.6]])
    keep = np.zeros((2, 1), dtype=bool)
    z_t = np.log([0.5, 0.9, 0.2])
    z_ref = np.log([[0.5, 0.3, 0.4], [0.5, 0.3, 0.4]])
    a = 0.3
    p_x = 0.5 * ((1 + a) * 0.5 + (1 - a))
    ratio_x = 0.8 / p_x
    ratio_z = np.array([0.5 / 0.5, 0.9 / 0.3, 0.2 / 0.4])
    count = np.sum(ratio_x / ratio_z > 1.0)
    expected = (count + 1 / (1 + 1 / ratio_x)) / 4
    score = A.rmia_score(logp_t, logp_ref, keep, z_t, z_ref, a=a)
    assert score[0] == pytest.approx(expected)
