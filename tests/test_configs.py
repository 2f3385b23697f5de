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
        "data",
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


#: One bad value for every number option of the trainers: (trainer, option, value, error start).
#: test_every_trainer_number_option_has_a_bad_value_case keeps it complete.
BAD_TRAINER_NUMBERS = [
    ("standard", "epochs", 0, "trainer.epochs: expected an integer >= 1, got 0."),
    ("standard", "batch_size", 0, "trainer.batch_size: expected an integer >= 1, got 0."),
    ("standard", "lr", 0, "trainer.lr: expected a finite number > 0, got 0.0."),
    ("standard", "weight_decay", -1, "trainer.weight_decay: expected a finite number >= 0"),
    ("dp", "target_epsilon", 0, "trainer.target_epsilon: expected a finite number > 0"),
    ("dp", "target_delta", 1.5, "trainer.target_delta: expected a number in (0, 1), got 1.5."),
    ("dp", "target_delta", -0.1, "trainer.target_delta: expected a number in (0, 1), got -0.1."),
    ("dp", "noise_multiplier", 0, "trainer.noise_multiplier: expected a finite number > 0"),
    ("dp", "max_grad_norm", 0, "trainer.max_grad_norm: expected a finite number > 0"),
    ("fair", "tolerance", 1.5, "trainer.tolerance: expected null or a number in (0, 1)"),
    ("fair", "grid_size", 0, "trainer.grid_size: expected a positive integer, got 0"),
    ("fair", "max_iter", 0, "trainer.max_iter: expected a positive integer, got 0"),
    ("fair", "seed", -1, "trainer.seed: expected an integer >= 0, got -1."),
    ("fair", "postprocess_fraction", 1, "trainer.postprocess_fraction: expected a number in"),
]


def test_every_trainer_number_option_has_a_bad_value_case():
    import dataclasses
    import typing

    from trustbench.training.options import TRAINER_OPTIONS

    def numeric(hint) -> bool:
        return hint in (int, float) or any(numeric(a) for a in typing.get_args(hint))

    declared = {
        f.name
        for cls in TRAINER_OPTIONS.values()
        for f in dataclasses.fields(cls)
        if numeric(typing.get_type_hints(cls)[f.name])
    }
    assert declared == {option for _, option, _, _ in BAD_TRAINER_NUMBERS}


@pytest.mark.parametrize(("trainer", "option", "value", "expected"), BAD_TRAINER_NUMBERS)
def test_a_trainer_number_out_of_range_is_refused_before_training(
    no_training, trainer, option, value, expected
):
    extra = ["trainer.target_epsilon=null"] if option == "noise_multiplier" else []
    cfg = compose_config(
        [f"trainer={trainer}", *companions("trainer", trainer), *extra, f"trainer.{option}={value}"]
    )
    with pytest.raises(ConfigError) as info:
        experiment.run_experiment(cfg, track=False)
    assert str(info.value).startswith(expected), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ["model=mlp", "trainer=dp", "trainer.noise_multiplier=1.0"],
            "trainer 'dp' needs exactly one of trainer.target_epsilon and trainer.noise_multiplier",
        ),
        (["model=mlp", "trainer=dp", "trainer.accountant=rdpp"], "trainer.accountant must be"),
        (["seed=1.5"], "seed: expected an integer, got 1.5."),
        (["seed=-1"], "seed: expected an integer in [0, 2**32 - 1]"),
        (["seed=4294967296"], "seed: expected an integer in [0, 2**32 - 1]"),
        (["resume=yes"], "resume: expected true or false, got 'yes'."),
        (["device=tpu"], "device: expected 'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps'"),
    ],
)
def test_run_and_dp_options_that_cannot_work_are_refused_before_training(
    no_training, overrides, expected
):
    with pytest.raises(ConfigError) as info:
        experiment.run_experiment(compose_config(overrides), track=False)
    assert str(info.value).startswith(expected), str(info.value)
    assert "\n" not in str(info.value)


def test_a_gpu_this_machine_lacks_is_refused_before_training(no_training):
    import torch

    if torch.cuda.is_available():  # a GPU machine: one index past the last GPU
        device, expected = f"cuda:{torch.cuda.device_count()}", "but torch sees"
    else:
        device, expected = "cuda", "torch.cuda.is_available() is False"
    with pytest.raises(ConfigError) as info:
        experiment.run_experiment(compose_config([f"device={device}"]), track=False)
    assert str(info.value).startswith(f"device: '{device}' ") and expected in str(info.value)
    assert "use device=auto (the GPU when there is one) or device=cpu" in str(info.value)


def test_check_device_without_and_with_a_gpu(monkeypatch):
    import torch

    from trustbench.training.options import check_device

    assert check_device("auto") == "auto" and check_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match=r"^device: 'cuda' needs a CUDA GPU"):
        check_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert check_device("cuda") == "cuda" and check_device("cuda:0") == "cuda:0"
    with pytest.raises(ConfigError, match=r"names GPU 1, but torch sees 1 \(cuda:0 to cuda:0\)"):
        check_device("cuda:1")


def test_cli_bad_bootstrap_is_one_line_and_exit_code_2(tmp_path):
    lines = trustbench_error_lines(["suite.bootstrap.n_resamples=0"], tmp_path)
    assert lines == [
        "trustbench: error: suite.bootstrap.n_resamples: expected an integer >= 40 at "
        "suite.bootstrap.level=0.95 (at least one replicate beyond each end of the interval: "
        "n_resamples * (1 - level) / 2 >= 1; the default is 1000), got 0."
    ]
    assert not (tmp_path / "mlflow.db").exists()  # refused before the store was touched
