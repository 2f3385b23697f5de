"""The typed training record: its flat form (the training.* params), JSON round-trip, errors."""

from __future__ import annotations

import json

import pytest

from trustbench.errors import ConfigError
from trustbench.training.record import DPRecord, FairRecord, TrainingRecord

DP = DPRecord(
    accountant="prv",
    epsilon=2.9985925959118287,
    delta=0.00019120458891013384,
    target_epsilon=3.0,
    noise_multiplier=2.626953125,
    sample_rate=0.1111111111111111,
    steps=360,
    accounted_steps=360,
    epochs=40,
    max_grad_norm=1.0,
    grad_sample_mode="hooks",
    poisson_sampling=True,
)
FAIR = FairRecord(
    method="exponentiated_gradient",
    constraint="equalized_odds",
    tolerance=0.01,
    sensitive="sex",
    randomized=True,
    random_state=0,
    predict_proba="P(yhat=1|x) of the mitigated classifier; y_pred = argmax",
    max_iter=50,
    n_predictors=2,
)


def test_flat_form_has_the_keys_and_values_runs_logged_before_the_record():
    dp = TrainingRecord("dp", 0.588, dp=DP, canaries_inserted=19, threads=2).to_dict()
    # what a `trainer=dp suite.privacy.canaries=32` run logged as training.* params
    assert {k: str(v) for k, v in dp.items()} == {
        "trainer": "dp",
        "seconds": "0.588",
        "accountant": "prv",
        "epsilon": "2.9985925959118287",
        "delta": "0.00019120458891013384",
        "target_epsilon": "3.0",
        "noise_multiplier": "2.626953125",
        "sample_rate": "0.1111111111111111",
        "steps": "360",
        "accounted_steps": "360",
        "epochs": "40",
        "max_grad_norm": "1.0",
        "grad_sample_mode": "hooks",
        "poisson_sampling": "True",
        "canaries_inserted": "19",
        "threads": "2",
    }
    assert list(dp)[:3] == ["trainer", "seconds", "accountant"]
    assert list(dp)[-2:] == ["canaries_inserted", "threads"]
    fair = TrainingRecord("fair", 0.612, fair=FAIR, threads=2).to_dict()
    assert list(fair) == [
        "trainer",
        "seconds",
        "method",
        "constraint",
        "tolerance",
        "sensitive",
        "randomized",
        "random_state",
        "predict_proba",
        "max_iter",
        "n_predictors",
        "threads",
    ]
    assert TrainingRecord("standard", 0.208, threads=2).to_dict() == {
        "trainer": "standard",
        "seconds": 0.208,
        "threads": 2,
    }
    assert TrainingRecord().to_dict() == {}


def test_fixed_noise_multiplier_states_a_null_target_epsilon():
    fixed = DPRecord(epsilon=5.0, delta=1e-5, noise_multiplier=1.0)
    flat = TrainingRecord("dp", dp=fixed).to_dict()
    assert flat["target_epsilon"] is None and "steps" not in flat


@pytest.mark.parametrize(
    "record",
    [
        TrainingRecord("dp", 0.5, dp=DP, canaries_inserted=3, threads=1),
        TrainingRecord("dp", dp=DPRecord(epsilon=1.0, delta=1e-5, noise_multiplier=0.8)),
        TrainingRecord("fair", 1.25, fair=FAIR),
        TrainingRecord("fair", fair=FairRecord("grid_search", "demographic_parity", grid_size=3)),
        TrainingRecord("standard", 0.1, threads=4),
        TrainingRecord(),
    ],
)
def test_json_round_trip(record):
    again = TrainingRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert again == record
    assert TrainingRecord.coerce(record.to_dict()) == record
    assert TrainingRecord.coerce(record) is record


def test_partial_dp_mapping_from_the_api():
    record = TrainingRecord.coerce({"epsilon": 1.0, "delta": 1e-5, "accountant": "rdp"})
    assert record.trainer is None and record.dp.accountant == "rdp"
    assert TrainingRecord.coerce(None) == TrainingRecord()


def test_unknown_or_incomplete_keys_are_errors():
    with pytest.raises(ConfigError, match="noise_multiplier"):
        TrainingRecord.from_dict({"noise_multipler": 1.0})
    with pytest.raises(ConfigError, match="'delta'"):
        TrainingRecord.from_dict({"trainer": "dp", "epsilon": 1.0})
