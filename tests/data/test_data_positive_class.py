"""The positive class of a binary task: never chosen by the alphabet, always stated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustbench.data import build_task, load
from trustbench.data.target import POSITIVE_RULE, positive_class_statement
from trustbench.errors import DataError


def _frame(labels: list) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    label = rng.choice(np.array(labels, dtype=object), 200)
    return pd.DataFrame({"x": rng.normal(size=200), "outcome": label})


def test_two_text_labels_without_a_positive_label_are_refused_naming_both():
    with pytest.raises(DataError) as info:
        build_task(_frame(["survived", "died"]), name="t", target="outcome", seed=0)
    assert str(info.value) == (
        "Target column 'outcome': expected dataset.positive_label to say which of the labels "
        "'died', 'survived' is the positive class (the one sensitivity, PPV and the ROC curve "
        "are about), got none, and text labels have no conventional positive (as yes/no or 1/0 "
        "do); set 'dataset.positive_label=died' or 'dataset.positive_label=survived' (Python: "
        "positive_label='died')."
    )


@pytest.mark.parametrize(
    ("labels", "positive"),
    [
        (["no", "yes"], "yes"),
        (["Yes", "No"], "Yes"),
        (["negative", "Positive"], "Positive"),  # not the second of the sorted labels
        (["absent", "present"], "present"),
        (["F", "T"], "T"),
        ([True, False], "True"),
    ],
)
def test_a_conventional_pair_defaults_to_its_positive_and_says_so(labels, positive):
    task = build_task(_frame(labels), name="t", target="outcome", seed=0)
    assert task.classes[1] == positive
    assert task.metadata[POSITIVE_RULE] == "conventional"
    statement = positive_class_statement(task.classes, task.metadata)
    assert statement.startswith(f"positive class '{positive}' (classes[1]) chosen implicitly")
    assert statement.endswith("set dataset.positive_label to choose")


def test_yes_no_keeps_its_sorted_statement():
    task = build_task(_frame(["yes", "no"]), name="t", target="outcome", seed=0)
    assert positive_class_statement(task.classes, task.metadata) == (
        "positive class 'yes' (classes[1]) chosen implicitly as the second of the sorted labels "
        "['no', 'yes'], the conventional positive of the pair; set dataset.positive_label to "
        "choose"
    )


def test_numeric_labels_default_to_the_larger_number():
    task = build_task(_frame([9, 10]), name="t", target="outcome", seed=0)
    assert task.classes == ["9", "10"]  # by number, not by text ('10' < '9')
    assert task.metadata[POSITIVE_RULE] == "numeric"
    assert positive_class_statement(task.classes, task.metadata) == (
        "positive class '10' (classes[1]) chosen implicitly as the larger of the numeric labels "
        "['9', '10']; set dataset.positive_label to choose"
    )


def test_a_given_positive_class_is_named_as_given():
    frame = _frame(["survived", "died"])
    task = build_task(frame, name="t", target="outcome", positive_label="died", seed=0)
    assert task.classes == ["survived", "died"]
    assert task.metadata[POSITIVE_RULE] == "given"
    statement = positive_class_statement(task.classes, task.metadata)
    assert statement.startswith("positive class 'died' (classes[1]) given as positive_label")
    heart = load("heart", seed=0)
    assert "positive class 'present'" in positive_class_statement(heart.classes, heart.metadata)


def test_declared_classes_and_multiclass_tasks():
    assert positive_class_statement(["healthy", "lesion"], {}) == (
        "positive class 'lesion' (classes[1], the second of the dataset's declared classes "
        "['healthy', 'lesion'])"
    )
    task = build_task(_frame(["a", "b", "c"]), name="t", target="outcome", seed=0)
    assert task.metadata[POSITIVE_RULE] is None
    assert positive_class_statement(task.classes, task.metadata) is None
    # records made before the choice was required still read
    assert "second of the sorted labels" in positive_class_statement(
        ["died", "survived"], {POSITIVE_RULE: "sorted"}
    )
