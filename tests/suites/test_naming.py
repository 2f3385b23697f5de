"""Labels as metric-key components: injective, readable for ASCII, short enough for MLflow."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from trustbench.errors import ConfigError
from trustbench.metrics import REGISTRY
from trustbench.suites.config import default_config, load_suite_config
from trustbench.suites.fairness.sensitive import attributes
from trustbench.suites.keys import KeyNames, check_key_lengths, key_names, longest_key
from trustbench.suites.naming import MAX_COMPONENT, MAX_KEY_LENGTH, key_components, safe_name

#: Labels the old ``safe_name`` keys merged: 男/女 -> "_", 北京/上海 -> "__", x/y and x_y.
COHORT = ["男", "女", "北京", "上海", "x/y", "x_y", "a b", "a_b", "<50", "lt50", ".", "", " A", "A"]


def test_safe_name_is_the_readable_form():
    assert safe_name("<50") == "lt50"
    assert safe_name("60+") == "60plus"
    assert safe_name("50-59") == "50-59"
    assert safe_name("VA Long Beach") == "VA Long Beach"
    assert safe_name("a/b@c") == "a_batc"


def test_ascii_labels_keep_their_names():
    table = key_components(
        ["Female", "Male", "<50", "50-59", "60+", "VA Long Beach", "Female x 60+"]
    )
    assert table == {
        "Female": "Female",
        "Male": "Male",
        "<50": "lt50",
        "50-59": "50-59",
        "60+": "60plus",
        "VA Long Beach": "VA Long Beach",
        "Female x 60+": "Female x 60plus",
    }


def test_every_label_of_a_cjk_and_punctuation_cohort_gets_its_own_component():
    table = key_components(COHORT)
    assert sorted(table) == sorted(set(COHORT))
    assert len(set(table.values())) == len(table), table
    for component in table.values():
        assert "/" not in component and 0 < len(component) <= MAX_COMPONENT
        assert component == component.strip() and component not in (".", "..")
        assert component.isascii()
    # plain ASCII labels are their own name; the label that needed changing gets the hash
    assert table["x_y"] == "x_y" and table["a b"] == "a b" and table["a_b"] == "a_b"
    assert table["lt50"] == "lt50" and table["A"] == "A"
    digest = hashlib.sha256(b"x/y").hexdigest()[:8]
    assert table["x/y"] == f"x_y-{digest}"
    assert table["<50"].startswith("lt50-")  # "lt50" is taken by a label written as is
    assert table["男"].startswith("_-") and table["北京"].startswith("__-")
    assert table[" A"].startswith("A-") and table["."].startswith("_-")


def test_components_depend_on_the_label_not_on_its_order_or_repeats():
    once = key_components(COHORT)
    assert key_components(list(reversed(COHORT)) * 3) == once
    assert key_components(["男"])["男"] == once["男"]  # rules 1 and 3 need no context


def test_accents_fold_to_readable_ascii():
    assert key_components(["Zürich"])["Zürich"].startswith("Zurich-")


def test_a_label_written_like_a_hashed_form_keeps_its_name_and_the_hash_grows():
    clash = key_components(["x/y"])["x/y"]
    table = key_components(["x/y", clash])
    assert table[clash] == clash
    assert table["x/y"] != clash and table["x/y"].startswith("x_y-")
    assert len(set(table.values())) == 2


def test_long_labels_are_shortened_and_stay_distinct():
    long_a, long_b = "v" * 300, "v" * 299 + "w"
    table = key_components([long_a, long_b, "w" * MAX_COMPONENT])
    assert all(len(c) <= MAX_COMPONENT for c in table.values())
    assert len(set(table.values())) == 3
    assert table["w" * MAX_COMPONENT] == "w" * MAX_COMPONENT


def test_reserved_components_are_never_taken():
    table = key_components(["at_sensitivity_0.9", "sex"], r"at_sensitivity_.*")
    assert table["sex"] == "sex"
    assert table["at_sensitivity_0.9"].startswith("at_sensitivity_0.9-")


def _task(names=("sex", "grp")):
    from trustbench.data.task import Split, TaskData

    def split(sex, grp, site):
        n = len(sex)
        return Split(
            X=pd.DataFrame({"x": np.zeros(n)}),
            y=np.zeros(n, dtype=int),
            sensitive=pd.DataFrame({"sex": sex, "grp": grp})[list(names)],
            row_id=np.arange(n),
            site=np.asarray(site, dtype=object),
        )

    splits = {
        "train": split(["男", "女"], ["<50", "x/y"], ["北京", "上海"]),
        "test": split(["男", "男"], ["<50", "<50"], ["北京", "北京"]),
        "ood": split(["女", "女"], ["lt50", "x_y"], ["广州", "广州"]),
    }
    return TaskData(
        name="cohort",
        features=[],
        target="y",
        classes=["0", "1"],
        sensitive_names=list(names),
        splits=splits,
        fingerprint="0" * 64,
    )


def test_a_label_has_one_component_in_every_split():
    """``<50`` is written ``lt50`` unless ``lt50`` is a label too; that is decided over the
    whole dataset, so a split without ``lt50`` does not write ``<50`` differently."""
    task = _task()
    names = key_names(task)
    assert names.group("grp", "<50").startswith("lt50-")
    per_split = {
        split: {
            a.name: {g: a.group_key(g) for g in np.unique(a.groups)}
            for a in attributes(
                task.splits[split].sensitive, task.sensitive_names, split, True, names
            )
        }
        for split in task.splits
    }
    assert per_split["test"]["grp"]["<50"] == per_split["train"]["grp"]["<50"]
    assert per_split["ood"]["grp"]["x_y"] == "x_y" != per_split["train"]["grp"]["x/y"]
    assert names.site("北京") != names.site("上海") != names.site("广州")
    assert names.renamed()["sites"][names.site("北京")] == "北京"
    assert (
        names.renamed()["groups"]["sex_x_grp"][names.group("sex_x_grp", "男 x <50")] == "男 x <50"
    )


def test_no_registered_key_can_pass_mlflow_limit_through_labels():
    """Every template, filled with labels at the longest component and the suites' longest
    words, fits in MLflow's 250 characters (a new long template fails here)."""
    long_name = "a" * MAX_COMPONENT
    names = KeyNames(
        {long_name: long_name}, {long_name: {long_name: long_name}}, {long_name: long_name}
    )
    length, key, _ = longest_key(
        names, load_suite_config(default_config()), ["train", "test", "ood"]
    )
    assert length <= MAX_KEY_LENGTH, key
    assert REGISTRY.resolve(key.removesuffix("/ci_high")) is not None


def test_a_key_over_the_limit_is_refused_naming_what_makes_it_long():
    cfg = load_suite_config(default_config())
    cfg = replace(cfg, privacy=replace(cfg.privacy, attacks=["loss", "x" * 200]))
    with pytest.raises(ConfigError, match=r"over MLflow's limit of 250 .*attack 'xxx") as info:
        check_key_lengths(key_names(_task()), cfg, ["train", "test"])
    assert "\n" not in str(info.value)
