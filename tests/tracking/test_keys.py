"""Param keys MLflow would refuse are named before a run opens."""

from __future__ import annotations

import pytest
from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH

from trustbench.errors import ConfigError
from trustbench.suites import naming
from trustbench.tracking.keys import MAX_KEY_LENGTH, check_param_keys, param_key_problem


def test_limit_is_mlflows():
    assert MAX_KEY_LENGTH == naming.MAX_KEY_LENGTH == MAX_ENTITY_KEY_LENGTH


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("model.name", None),
        ("dataset.sensitive_bins.年龄", None),  # MLflow's \w takes letters of any script
        ("dataset.sensitive_bins." + "c" * 240, "263 characters, over MLflow's limit of 250"),
        ("dataset.sensitive_bins.age (years)", "characters MLflow refuses in a key ('()'"),
        ("dataset.sensitive_bins.a/../b", "a path MLflow would read as 'b'"),
    ],
)
def test_param_key_problem(key, problem):
    found = param_key_problem(key)
    assert found == problem if problem is None else found.startswith(problem)


def test_check_param_keys_names_the_key_in_one_line():
    config = {"dataset": {"name": "csv", "sensitive_bins": {"c" * 240: [0, 50, 200]}}}
    with pytest.raises(ConfigError, match=r"config key 'dataset\.sensitive_bins\.ccc") as info:
        check_param_keys(config)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400
    check_param_keys({"dataset": {"sensitive_bins": {"age": [0, 50, 200]}}})
