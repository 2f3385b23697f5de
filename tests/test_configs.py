"""The shipped configs (configs/): every option of every group composes with Hydra and
validates; option typos in any group are one-line errors with a did-you-mean, before training."""

from __future__ import annotations

import inspect

import pytest
from omegaconf import OmegaConf
from tests.conftest import compose_config, trustbench_error_lines

from trustbench import experiment
from trustbench.data import DATASETS, IMAGE_DATASETS
from trustbench.errors import ConfigError
from trustbench.experiment import validate_config
from trustbench.explain import EXPLAINERS
from trustbench.explain.options import options_of
from trustbench.run import CONFIG_DIR, GROUPS, check_key_overrides, group_options

#: What a group option needs beside it to be a valid run (an image dataset for the CNN, ...).
COMPANIONS = {
    ("model", "cnn"): ["dataset=lesions"],
    ("trainer", "dp"): ["model=mlp"],
    ("dataset", "csv"): ["dataset.path=data.csv", "dataset.target=outcome"],
}
CASES = [(group, option) for group in GROUPS for option in group_options(group)]


def companions(group: str, option: str) -> list[str]:
    if group == "explainer" and EXPLAINERS.get(option).needs_gradients:
        return ["model=mlp"]
    return COMPANIONS.get((group, option), [])


@pytest.fixture
def no_training(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the config was validated")

    monkeypatch.setattr(experiment, "train", forbidden)


def test_every_group_of_the_defaults_list_is_checked_and_has_options():
    defaults = OmegaConf.load(CONFIG_DIR / "config.yaml")["defaults"]
    groups = {next(iter(entry)) for entry in defaults if entry != "_self_"}
    assert groups == set(GROUPS)
    for group in GROUPS:
        assert group_options(group), group
    assert {g.split("/")[1] for g in GROUPS if g.startswith("suite/")} == {
        "bootstrap",
        "performance",
        "fairness",
        "generalization",
        "uncertainty",
        "explainability",
        "privacy",
    }


@pytest.mark.parametrize(("group", "option"), CASES, ids=[f"{g}={o}" for g, o in CASES])
def test_every_option_of_every_group_composes_and_validates(group, option):
    cfg = compose_config([*companions(group, option), f"{group}={option}"])
    resolved = OmegaConf.to_container(cfg, resolve=True)
    validate_config(resolved)
    if group == "dataset":  # the YAML's keys are the loader's arguments
        params = inspect.signature(DATASETS.get(option)).parameters
        assert set(resolved["dataset"]) - {"name"} <= set(params), option


@pytest.mark.parametrize("name", group_options("explainer"))
def test_explainer_yaml_repeats_the_constructor_defaults(name):
    values = OmegaConf.to_container(OmegaConf.load(CONFIG_DIR / "explainer" / f"{name}.yaml"))
    assert values.pop("name") == name
    assert values == {k: p.default for k, p in options_of(name).items()}


def test_every_registered_explainer_and_dataset_has_a_config():
    assert set(group_options("explainer")) == set(EXPLAINERS.names())
    assert set(group_options("dataset")) == set(DATASETS.names())
    assert set(IMAGE_DATASETS) <= set(group_options("dataset"))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["+trainer.epoch=5"], "Unknown key 'trainer.epoch'. Did you mean 'epochs'?"),
        (
            ["model=mlp", "trainer=dp", "+trainer.noise_multiplir=1.0"],
            "Unknown key 'trainer.noise_multiplir'. Did you mean 'noise_multiplier'?",
        ),
        (
            ["explainer=kernel_shap", "+explainer.n_sample=64"],
            "Unknown key 'explainer.n_sample'. Did you mean 'n_samples'?",
        ),
        (["trainer.epochs=many"], "trainer.epochs: expected an integer, got 'many'."),
        (
            ["explainer=lime", "explainer.kernel_width=wide"],
            "explainer.kernel_width: expected a number",
        ),
    ],
)
def test_trainer_and_explainer_option_errors_come_before_training(no_training, overrides, expected):
    cfg = compose_config(overrides)
    with pytest.raises(ConfigError) as info:
        experiment.run_experiment(cfg, track=False)
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["suite.privacy.reference_model=16"], "Did you mean 'reference_models'?"),
        (
            ["suite.explainability.options.integrated_gradients.n_step=64"],
            "Unknown key 'suite.explainability.options.integrated_gradients.n_step'. "
            "Did you mean 'n_steps'?",
        ),
        (["trainer.epoch=5"], "Unknown key 'trainer.epoch'. Did you mean 'epochs'?"),
        (["explainer=lime", "explainer.n_sample=64"], "Did you mean 'n_samples'?"),
        (["-m", "trainer=standard,fair", "trainer.methd=grid_search"], "Valid keys of trainer:"),
        (
            ["experiment=privacy_audit", "trainer.target_epsilom=1"],
            "Did you mean 'target_epsilon'?",
        ),
    ],
)
def test_command_line_key_typos_are_caught_before_hydra(args, expected):
    with pytest.raises(ConfigError, match=expected.replace("?", r"\?").replace(".", r"\.")):
        check_key_overrides(args)


def test_command_line_explainer_option_is_passed_on_as_an_addition():
    args = ["model=mlp", "suite.explainability.options.integrated_gradients.n_steps=8"]
    assert check_key_overrides(args) == [
        "model=mlp",
        "++suite.explainability.options.integrated_gradients.n_steps=8",
    ]
    plain = ["suite.privacy.reference_models=16", "trainer.epochs=3", "seed=0,1"]
    assert check_key_overrides(plain) == plain


def test_cli_option_typo_is_one_line_and_exit_code_2(tmp_path):
    lines = trustbench_error_lines(["suite.privacy.reference_model=16"], tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith(
        "trustbench: error: Unknown key 'suite.privacy.reference_model'. "
        "Did you mean 'reference_models'? Valid keys of suite.privacy: enabled, attacks,"
    )
