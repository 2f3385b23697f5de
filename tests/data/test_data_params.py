"""check_number: the one check of a loader's numeric parameters."""

from __future__ import annotations

import math

import pytest

from trustbench.data.params import check_number
from trustbench.errors import ConfigError


def test_accepts_numbers_in_range_and_returns_floats():
    assert check_number("bias", 2, low=0.0) == 2.0
    assert check_number("ood_noise", 0.5, low=0.0, high=1.0) == 0.5
    assert check_number("size", 8, low=8, integer=True) == 8.0


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (True, {"low": 0, "integer": True}, "dataset.x: expected an integer >= 0, got True."),
        (2.5, {"low": 0, "integer": True}, "dataset.x: expected an integer >= 0, got 2.5."),
        (math.inf, {"low": 0.0}, "dataset.x: expected a number >= 0.0, got inf."),
        ("3", {"low": 0.0}, "dataset.x: expected a number >= 0.0, got '3'."),
        (1.5, {"low": 0.0, "high": 1.0}, "dataset.x: expected a number in [0.0, 1.0], got 1.5."),
        (-1, {"low": 0, "integer": True}, "dataset.x: expected an integer >= 0, got -1."),
    ],
)
def test_refuses_with_the_key_the_expectation_and_the_value(value, kwargs, expected):
    with pytest.raises(ConfigError) as info:
        check_number("x", value, **kwargs)
    assert str(info.value) == expected
