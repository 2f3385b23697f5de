"""The typed suite config: one source of defaults, and typos and wrong types are errors."""

from __future__ import annotations

import copy
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
from trustbench.suites.config import SECTIONS, min_resamples, section_config


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
        {"privacy": {"rmia_gamma": 2}, "explainability": {"options": {"lime": {"n_samples": 64}}}}
    )
    assert cfg.privacy.rmia_gamma == 2.0 and isinstance(cfg.privacy.rmia_gamma, float)
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


#: One bad value for every number option of every suite section, and the start of the error.
#: test_every_number_option_has_a_bad_value_case keeps it complete.
BAD_NUMBERS = {
    "bootstrap.n_resamples": (0, "suite.bootstrap.n_resamples: expected an integer >= 40"),
    "bootstrap.level": (1.5, "suite.bootstrap.level: expected a number in (0, 1), got 1.5."),
    "data.near_twin_ratio": (1.5, "suite.data.near_twin_ratio: expected a number in [0, 1]"),
    "data.image_hash_distance": (65, "suite.data.image_hash_distance: expected a number in [0"),
    "data.folds": (1, "suite.data.folds: expected an integer >= 2, got 1."),
    "data.max_rows": (10, "suite.data.max_rows: expected an integer >= 100"),
    "data.min_group_size": (-1, "suite.data.min_group_size: expected an integer >= 0"),
    "data.warn.twin_share": (-0.1, "suite.data.warn.twin_share: expected a number in [0, 1]"),
    "data.warn.shortcut_auc": (0.4, "suite.data.warn.shortcut_auc: expected a number in [0.5"),
    "data.warn.site_auc": (1.1, "suite.data.warn.site_auc: expected a number in [0.5, 1]"),
    "data.warn.domain_auc": (0.2, "suite.data.warn.domain_auc: expected a number in [0.5, 1]"),
    "data.warn.label_issue_share": (2, "suite.data.warn.label_issue_share: expected a number"),
    "data.warn.missing_rate_gap": (-1, "suite.data.warn.missing_rate_gap: expected a number"),
    "performance.net_benefit_threshold": (1.0, "suite.performance.net_benefit_threshold"),
    "performance.decision_curve": ([0.5, 0.1, 0.01], "suite.performance.decision_curve"),
    "fairness.min_group_size": (-1, "suite.fairness.min_group_size: expected an integer >= 0"),
    "fairness.target_sensitivity": (0, "suite.fairness.target_sensitivity"),
    "fairness.n_bins": (0, "suite.fairness.n_bins: expected a positive integer"),
    "generalization.n_bins": (0, "suite.generalization.n_bins: expected an integer >= 1"),
    "generalization.shifts.severities": ([float("nan")], "suite.generalization.shifts.severities"),
    "uncertainty.level": (1, "suite.uncertainty.level: expected a number in (0, 1)"),
    "uncertainty.calibration_fraction": (0, "suite.uncertainty.calibration_fraction"),
    "uncertainty.min_group_size": (-1, "suite.uncertainty.min_group_size: expected an integer"),
    "uncertainty.coverage_margin": (1, "suite.uncertainty.coverage_margin"),
    "uncertainty.selective_coverages": ([0.8, 0], "suite.uncertainty.selective_coverages[1]"),
    "uncertainty.ood_tpr": (0, "suite.uncertainty.ood_tpr"),
    "explainability.n_rows": (0, "suite.explainability.n_rows: expected an integer >= 1, got 0."),
    "explainability.image_rows": (0, "suite.explainability.image_rows: expected an integer >= 1"),
    "explainability.top_k": (0, "suite.explainability.top_k: expected an integer >= 1"),
    "explainability.chunk_size": (0, "suite.explainability.chunk_size: expected an integer >= 1"),
    "explainability.chunk_memory_mb": (0, "suite.explainability.chunk_memory_mb: expected a fin"),
    "bootstrap.chunk_memory_mb": (-1, "suite.bootstrap.chunk_memory_mb: expected a finite num"),
    "explainability.n_steps": (0, "suite.explainability.n_steps: expected an integer >= 1"),
    "explainability.top_fraction": (0, "suite.explainability.top_fraction: expected a number in"),
    "explainability.pgi_samples": (0, "suite.explainability.pgi_samples: expected an integer"),
    "explainability.pgi_noise": (-0.1, "suite.explainability.pgi_noise: expected a finite num"),
    "explainability.pgi_flip": (1.5, "suite.explainability.pgi_flip: expected a number in [0, 1]"),
    "explainability.faithfulness_runs": (1, "suite.explainability.faithfulness_runs: expected"),
    "explainability.faithfulness_subset": (0, "suite.explainability.faithfulness_subset"),
    "explainability.robustness_rows": (0, "suite.explainability.robustness_rows: expected an"),
    "explainability.robustness_samples": (0, "suite.explainability.robustness_samples"),
    "explainability.robustness_radius": (0, "suite.explainability.robustness_radius"),
    "explainability.sanity_rows": (0, "suite.explainability.sanity_rows: expected an integer"),
    "explainability.sanity_threshold": (2, "suite.explainability.sanity_threshold: expected a"),
    "explainability.n_maps": (0, "suite.explainability.n_maps: expected an integer >= 1"),
    "privacy.fpr_levels": ([0.01, 1.0], "suite.privacy.fpr_levels[1]: expected a number in [0"),
    "privacy.max_audit_size": (1, "suite.privacy.max_audit_size: expected an integer >= 2"),
    "privacy.epsilon_confidence": (1, "suite.privacy.epsilon_confidence: expected a number in"),
    "privacy.audit_delta": (-0.1, "suite.privacy.audit_delta: expected a number in [0, 1)"),
    "privacy.reference_models": (-2, "suite.privacy.reference_models: expected an integer >= 0"),
    "privacy.rmia_a": (1.5, "suite.privacy.rmia_a: expected a number in [0, 1]"),
    "privacy.rmia_gamma": (0, "suite.privacy.rmia_gamma: expected a finite number > 0"),
    "privacy.rmia_population": (1, "suite.privacy.rmia_population: expected a number in (0, 1)"),
    "privacy.canaries": (-1, "suite.privacy.canaries: expected an integer >= 0, got -1."),
    "privacy.canary_guesses": (0, "suite.privacy.canary_guesses: expected a number in (0, 1]"),
    "privacy.cache_max_mb": (-1, "suite.privacy.cache_max_mb: expected a number of MiB >= 0"),
}


def _numeric(hint) -> bool:
    import typing

    if hint in (int, float):
        return True
    return any(_numeric(arm) for arm in typing.get_args(hint))


def _number_options(cls, prefix: str) -> list[str]:
    """Every option of ``cls`` that holds numbers (by its type, or by carrying a check)."""
    import typing

    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            found += _number_options(hints[f.name], f"{prefix}.{f.name}")
        elif _numeric(hints[f.name]) or "check" in f.metadata:
            found.append(f"{prefix}.{f.name}")
    return found


def test_every_number_option_has_a_bad_value_case():
    # explainer option mappings are checked against each explainer's constructor (above)
    explainer_options = {"explainability.explainer_options", "explainability.options"}
    declared = [key for section, cls in SECTIONS.items() for key in _number_options(cls, section)]
    assert sorted(set(declared) - explainer_options) == sorted(BAD_NUMBERS)


@pytest.fixture(scope="module")
def resolved():
    return OmegaConf.to_container(compose_config([]), resolve=True)


@pytest.mark.parametrize("key", sorted(BAD_NUMBERS))
def test_a_value_out_of_range_is_refused_before_training(resolved, key):
    """validate_config runs before any data or training: no suite can fail on these later."""
    value, expected = BAD_NUMBERS[key]
    cfg = copy.deepcopy(resolved)
    *parents, name = key.split(".")
    node = cfg["suite"]
    for part in parents:
        node = node[part]
    node[name] = value
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    assert str(info.value).startswith(expected), str(info.value)
    assert "\n" not in str(info.value)


def test_the_bootstrap_needs_a_replicate_beyond_each_end_of_the_interval():
    assert [min_resamples(level) for level in (0.9, 0.95, 0.99)] == [20, 40, 200]
    assert load_with({"bootstrap": {"n_resamples": 40}}).bootstrap.n_resamples == 40
    with pytest.raises(ConfigError, match=r"n_resamples: expected an integer >= 200 at suite\."):
        load_with({"bootstrap": {"n_resamples": 199, "level": 0.99}})
    task = load("synthetic", seed=0, n_samples=200)
    with pytest.raises(ConfigError, match="n_resamples: expected an integer >= 40"):
        trustbench.score(fit_logreg(task), task, config={"bootstrap": {"n_resamples": 1}})


def test_no_explainer_at_all_is_refused_before_training(resolved):
    cfg = copy.deepcopy(resolved)
    cfg["suite"]["explainability"].update(explainers=[], baselines=[])
    with pytest.raises(ConfigError, match="name at least one explainer or set suite"):
        validate_config(cfg)
    cfg["suite"]["explainability"]["enabled"] = False
    validate_config(cfg)


def test_a_split_name_is_one_of_the_splits():
    with pytest.raises(ConfigError, match="expected one of 'train', 'test', 'ood', got 'tst'"):
        load_with({"performance": {"split": "tst"}})
    with pytest.raises(ConfigError, match=r"suite\.fairness\.split: .*Did you mean 'test'"):
        load_with({"fairness": {"split": "tset"}})
