import pytest

from trustbench.errors import ConfigError
from trustbench.registry import Registry, did_you_mean, unknown_name_message


def test_get_unknown_name_suggests_closest():
    registry: Registry[int] = Registry("metric")
    registry.add("demographic_parity_difference", 1)
    registry.add("equalized_odds_difference", 2)
    with pytest.raises(ConfigError) as info:
        registry.get("demographic_parity_diff")
    assert str(info.value) == (
        "Unknown metric 'demographic_parity_diff'. Did you mean 'demographic_parity_difference'? "
        "Valid choices: demographic_parity_difference, equalized_odds_difference."
    )


def test_no_suggestion_when_nothing_is_close():
    assert did_you_mean("zzz", ["accuracy", "roc_auc"]) == ""
    assert (
        unknown_name_message("model", "zzz", ["b", "a"])
        == "Unknown model 'zzz'. Valid choices: a, b."
    )


def test_register_decorator_and_duplicates():
    registry: Registry[object] = Registry("thing")

    @registry.register("f")
    def f():
        return 1

    assert registry.get("f") is f and "f" in registry and len(registry) == 1
    registry.add("f", f)  # same object again is fine
    with pytest.raises(ConfigError, match="already registered"):
        registry.add("f", lambda: 2)
