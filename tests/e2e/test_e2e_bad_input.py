"""Bad input fails fast, in one line naming the problem, before any training starts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import compose_config, trustbench_error_lines

from trustbench import experiment
from trustbench.errors import ConfigError, DataError, TrustbenchError
from trustbench.run import check_group_overrides


@pytest.fixture
def no_training(monkeypatch):
    """Make any training attempt fail loudly: errors must come before it."""

    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the input was validated")

    monkeypatch.setattr(experiment, "train", forbidden)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("dataset=haert", "Unknown dataset 'haert'. Did you mean 'heart'?"),
        ("model=lgoreg", "Unknown model 'lgoreg'. Did you mean 'logreg'?"),
        ("trainer=dpp", "Unknown trainer 'dpp'. Did you mean 'dp'?"),
        ("model=logreg,gdbt", "Unknown model 'gdbt'. Did you mean 'gbdt'?"),
        ("explainer=saliancy", "Unknown explainer 'saliancy'. Did you mean 'saliency'?"),
    ],
)
def test_unknown_group_option_names_choices(override, expected):
    with pytest.raises(TrustbenchError) as info:
        check_group_overrides([override])
    assert expected in str(info.value)
    assert "Valid choices:" in str(info.value)


def test_cli_unknown_name_is_one_line_and_exit_code_2(tmp_path):
    lines = trustbench_error_lines(["model=mpl"], tmp_path)
    assert lines == [
        "trustbench: error: Unknown model 'mpl'. Did you mean 'mlp'? Valid choices: cnn, gbdt, logreg, mlp."
    ]


def test_unknown_metric_has_did_you_mean(no_training):
    cfg = compose_config(["suite.performance.metrics=[acuracy]"])
    with pytest.raises(ConfigError, match=r"Unknown metric 'acuracy'\. Did you mean 'accuracy'\?"):
        experiment.run_experiment(cfg, track=False)


def test_unknown_attack_has_did_you_mean(no_training):
    cfg = compose_config(["suite.privacy.attacks=[lira_ofline]"])
    with pytest.raises(ConfigError, match="Did you mean 'lira_offline'"):
        experiment.run_experiment(cfg, track=False)


def test_dp_with_sklearn_model_says_which_models_support_it(no_training):
    cfg = compose_config(["model=gbdt", "trainer=dp"])
    with pytest.raises(ConfigError, match="supports torch models only, such as model=mlp"):
        experiment.run_experiment(cfg, track=False)


def test_gradient_explainer_with_sklearn_model(no_training):
    cfg = compose_config(["model=logreg", "explainer=saliency"])
    with pytest.raises(ConfigError, match="explainer 'saliency' needs gradients"):
        experiment.run_experiment(cfg, track=False)


def _csv(tmp_path, frame):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "sex": rng.choice(["F", "M"], n),
            "y": rng.choice(["a", "b"], n),
        }
    )


@pytest.mark.parametrize(
    ("mutate", "overrides", "message"),
    [
        (lambda f: f, ["dataset.target=outcome"], "outcome"),
        (lambda f: f.assign(y="a"), ["dataset.target=y"], "single class"),
        (lambda f: f.assign(sex="F"), ["dataset.target=y", "dataset.sensitive=[sex]"], "sex"),
        (lambda f: f.assign(y=f["y"].where(f.index > 2)), ["dataset.target=y"], "missing"),
        (
            lambda f: f.assign(note=[f"free text {i}" for i in range(len(f))]),
            ["dataset.target=y"],
            "note",
        ),
        (lambda f: f, ["dataset.target=y", "dataset.sensitive=[gender]"], "gender"),
    ],
    ids=[
        "missing-target-column",
        "one-class-target",
        "single-group-sensitive",
        "nan-target",
        "unencodable-text-column",
        "missing-sensitive-column",
    ],
)
def test_bad_csv_fails_before_training(tmp_path, no_training, mutate, overrides, message):
    path = _csv(tmp_path, mutate(_frame(n=60)))
    cfg = compose_config(["dataset=csv", f"dataset.path={path}", *overrides])
    with pytest.raises(DataError) as info:
        experiment.run_experiment(cfg, track=False)
    text = str(info.value)
    assert message in text.lower() or message in text
    assert "\n" not in text


def test_unknown_config_key_is_rejected():
    with pytest.raises(Exception, match="nonsense"):
        compose_config(["suite.performance.nonsense=1"])


def test_a_value_that_overflows_float64_arithmetic_is_refused_before_training(
    tmp_path, no_training
):
    frame = _frame(n=60)
    frame.loc[5, "x"] = 1e302  # standardising squares it: inf, then NaN features
    path = _csv(tmp_path, frame)
    cfg = compose_config(["dataset=csv", f"dataset.path={path}", "dataset.target=y"])
    with pytest.raises(DataError) as info:
        experiment.run_experiment(cfg, track=False)
    text = str(info.value)
    assert text.startswith("Feature column 'x': expected numbers of magnitude at most 1e+100")
    assert "got 1 value(s) such as 1e+302 (row position 5)" in text and "\n" not in text


def test_a_huge_code_of_a_categorical_column_is_kept(tmp_path):
    from trustbench.data.features import classify_feature

    codes = pd.Series([1e302, 1.0, 1e302])
    assert classify_feature(codes, "code", True, 50).kind == "categorical"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ["suite.generalization.shifts.feature=weight"],
            "suite.generalization.shifts.feature: expected a continuous feature of dataset "
            "'csv' (x), got 'weight'",
        ),
        (
            ["dataset.sensitive=[sex]", "suite.fairness.intersections=[[sex,race]]"],
            "suite.fairness.intersections: unknown sensitive attribute 'race'",
        ),
        (
            [
                "dataset.sensitive=[sex]",
                "suite.fairness.enabled=false",
                "suite.uncertainty.intersections=[[sex,race]]",
            ],
            "suite.uncertainty.intersections: unknown sensitive attribute 'race'",
        ),
        (
            ["dataset.ood_shift={kind: none}", "suite.performance.split=ood"],
            "suite.performance.split: expected a split of dataset 'csv' (train, test), got 'ood'",
        ),
    ],
)
def test_an_option_naming_what_the_data_lack_is_refused_before_training(
    tmp_path, no_training, overrides, expected
):
    path = _csv(tmp_path, _frame(n=60))
    target = ["dataset.target=y", "dataset.positive_label=b"]  # 'a'/'b': no default positive
    cfg = compose_config(["dataset=csv", f"dataset.path={path}", *target, *overrides])
    with pytest.raises(ConfigError) as info:
        experiment.run_experiment(cfg, track=False)
    assert str(info.value).startswith(expected), str(info.value)
