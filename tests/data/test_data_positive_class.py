"""The positive class of a binary task, and how it was chosen, in one sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustbench.data import build_task, load
from trustbench.data.target import POSITIVE_RULE, positive_class_statement


def _frame(labels: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    label = rng.choice(np.array(labels), 200)
    return pd.DataFrame({"x": rng.normal(size=200), "outcome": label})


def test_an_implicit_positive_class_says_how_it_was_chosen():
    task = build_task(_frame(["survived", "died"]), name="t", target="outcome", seed=0)
    assert task.classes == ["died", "survived"]
    assert task.metadata[POSITIVE_RULE] == "sorted"
    assert positive_class_statement(task.classes, task.metadata) == (
        "positive class 'survived' (classes[1]) chosen implicitly as the second of the sorted "
        "labels ['died', 'survived']; set dataset.positive_label to choose"
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
