"""The typed suite config: one source of defaults, and typos and wrong types are errors."""

from __future__ import annotations

import dataclasses

import pytest
from omegaconf import OmegaConf
from tests.conftest import compose_config
from tests.explain.toy import fit_logreg

import trustbench
from trustbench.api import merged_suite_config
from trustbench.data import load
from trustbench.errors import ConfigError
from trustbench.experiment import validate_config
from trustbench.suites import SuiteConfig, default_config, load_suite_config
from trustbench.suites.config import SECTIONS, section_config


def load_with(overrides: dict) -> SuiteConfig:
    return load_suite_config(merged_suite_config(overrides))


def test_python_api_and_hydra_get_the_same_defaults():
    composed = OmegaConf.to_container(compose_config([]).suite, resolve=True)
    api = default_config()
    # the only difference: the Hydra run's explainer group arrives as explainer_options
    assert composed["explainability"].pop("explainer_options")["name"] == "ablation"
    assert api["explainability"].pop("explainer_options") is None
    composed["bootstrap"] = api["bootstrap"] = None  # conftest's SMALL shrinks these
    composed["explainability"]["n_rows"] = api["explainability"]["n_rows"] = None
    assert composed == api
    assert list(api) == list(SECTIONS)


def test_every_section_declares_exactly_its_yaml_keys():
    defaults = default_config()
    for section, cls in SECTIONS.items():
        assert [f.name for f in dataclasses.fields(cls)] == list(defaults[section]), section


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"privacy": {"reference_model": 16}},
            "Unknown key 'suite.privacy.reference_model'. Did you mean 'reference_models'?",
        ),
        (
            {"explainability": {"options": {"integrated_gradients": {"n_step": 64}}}},
            "Unknown key 'suite.explainability.options.integrated_gradients.n_step'. "
            "Did you mean 'n_steps'?",
        ),
        (
            {"explainability": {"options": {"integrated_gradient": {"n_steps": 64}}}},
            "suite.explainability.options: Unknown explainer 'integrated_gradient'. "
            "Did you mean 'integrated_gradients'?",
        ),
        (
            {"generalization": {"shifts": {"kind": ["noise"]}}},
            "Unknown key 'suite.generalization.shifts.kind'. Did you mean 'kinds'?",
        ),
        ({"privcy": {"enabled": False}}, "Unknown key 'suite.privcy'. Did you mean 'privacy'?"),
    ],
    ids=["privacy-option", "explainer-option", "explainer-name", "nested-shifts", "section"],
)
def test_a_typo_is_one_line_naming_the_full_key_with_did_you_mean(overrides, expected):
    with pytest.raises(ConfigError) as info:
        load_with(overrides)
    assert str(info.value).startswith(expected)
    assert "Valid " in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"privacy": {"reference_models": "16"}},
            "suite.privacy.reference_models: expected an integer, got '16'.",
        ),
        (
            {"privacy": {"reference_models": 16.5}},
            "suite.privacy.reference_models: expected an integer",
        ),
        (
            {"fairness": {"enabled": "no"}},
            "suite.fairness.enabled: expected true or false, got 'no'.",
        ),
        (
            {"privacy": {"fpr_levels": [0.01, "x"]}},
            "suite.privacy.fpr_levels[1]: expected a number",
        ),
        ({"bootstrap": {"level": True}}, "suite.bootstrap.level: expected a number, got True."),
        (
            {"performance": {"metrics": "accuracy"}},
            "suite.performance.metrics: expected a list of strings",
        ),
        (
            {"fairness": {"intersections": [["sex", 1]]}},
            "suite.fairness.intersections: expected null",
        ),
        (
            {"explainability": {"options": {"lime": {"n_samples": "many"}}}},
            "suite.explainability.options.lime.n_samples: expected an integer, got 'many'.",
        ),
    ],
)
def test_a_wrong_type_is_one_line_naming_the_key(overrides, expected):
    with pytest.raises(ConfigError) as info:
        load_with(overrides)
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_values_are_typed_and_integers_are_accepted_as_numbers():
    cfg = load_with(
        {"bootstrap": {"level": 1}, "explainability": {"options": {"lime": {"n_samples": 64}}}}
    )
    assert cfg.bootstrap.level == 1.0 and isinstance(cfg.bootstrap.level, float)
    assert cfg.explainability.options == {"lime": {"n_samples": 64}}
    assert cfg.generalization.shifts.severities == [0.5, 1.0, 2.0]
    assert cfg.privacy.fpr_levels == [0.01, 0.001, 0.0]


def test_section_config_completes_a_partial_mapping():
    privacy = section_config("privacy", {"attacks": ["loss"]})
    assert privacy.attacks == ["loss"]
    assert privacy.reference_models == default_config()["privacy"]["reference_models"]
    assert section_config("privacy", privacy) is privacy


def test_score_refuses_a_typo_before_scoring():
    task = load("synthetic", seed=0, n_samples=200)
    with pytest.raises(ConfigError, match="Did you mean 'n_resamples'"):
        trustbench.score(fit_logreg(task), task, config={"bootstrap": {"n_resample": 10}})


def test_validate_config_refuses_an_added_typo_of_the_composed_config():
    cfg = compose_config(["+suite.privacy.reference_model=16"])
    with pytest.raises(ConfigError, match=r"^Unknown key 'suite\.privacy\.reference_model'\."):
        validate_config(OmegaConf.to_container(cfg, resolve=True))
    cfg = compose_config(["+suite.explainability.options.integrated_gradients.n_step=64"])
    with pytest.raises(ConfigError, match="Did you mean 'n_steps'"):
        validate_config(OmegaConf.to_container(cfg, resolve=True))
