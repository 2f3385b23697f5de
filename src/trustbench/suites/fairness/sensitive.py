"""Sensitive attributes as the fairness suites see them.

:func:`attributes` turns a split's ``sensitive`` frame into the attributes the suites compare
groups over: each declared attribute, then (by default) the intersection of every pair, such
as ``sex_x_age_group`` with groups like ``"Female x 60+"``. A column that looks continuous is
refused with a message saying how to bin it.

Models that need the sensitive attributes to predict are called through
:func:`trustbench.models.facade.predict_proba`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trustbench.data.sensitive import MAX_SENSITIVE_NUMERIC_GROUPS
from trustbench.errors import ConfigError, DataError
from trustbench.suites.keys import ATTRIBUTE_RESERVED, CROSS, KeyNames, cross_labels
from trustbench.suites.naming import component_of, key_components

__all__ = ["CROSS", "Attribute", "attributes", "intersection_pairs"]


@dataclass(frozen=True)
class Attribute:
    """One way of splitting rows into groups.

    Attributes
    ----------
    name : str
        ``"sex"``, or ``"sex_x_age_group"`` for an intersection.
    key : str
        ``name`` as a key component (:mod:`trustbench.suites.naming`: injective, readable
        for ASCII names).
    groups : numpy.ndarray of shape (n,)
        The group label (a string) of every row.
    parts : tuple of str
        The declared attributes it is made of (one, or two for an intersection).
    group_keys : dict of str to str
        Group label -> key component, over the labels of every split of the dataset.
    """

    name: str
    key: str
    groups: np.ndarray
    parts: tuple[str, ...]
    group_keys: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_intersection(self) -> bool:
        return len(self.parts) > 1

    def group_key(self, label: object) -> str:
        """The key component of one of its group labels (distinct labels, distinct keys)."""
        return component_of(label, self.group_keys)


def _looks_continuous(values: np.ndarray) -> int:
    """Number of distinct values if they are all numbers and more than the group limit, else 0."""
    distinct = pd.unique(pd.Series(values, dtype=object))
    if len(distinct) <= MAX_SENSITIVE_NUMERIC_GROUPS:
        return 0
    numeric = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
    return len(distinct) if numeric.notna().all() else 0


def check_attribute(values: np.ndarray, name: str, split: str) -> np.ndarray:
    """Group labels of one declared attribute as strings; refuse a continuous column.

    Raises
    ------
    DataError
        When the column holds more than ``MAX_SENSITIVE_NUMERIC_GROUPS`` distinct numbers (a
        measurement such as age, not a group label), saying how to bin it.
    """
    n_distinct = _looks_continuous(values)
    if n_distinct:
        raise DataError(
            f"Sensitive attribute '{name}' in split '{split}': expected group labels, got "
            f"{n_distinct} distinct numeric values that look continuous; bin it into groups "
            f"first, e.g. dataset.sensitive_bins={{{name}: [0, 50, 60, 200]}} (left-closed bins "
            f"<50, 50-59, 60+) or binned labels in TaskData.sensitive."
        )
    return np.asarray(pd.Series(values, dtype=object).astype(str).to_numpy(), dtype=object)


def intersection_pairs(names: Sequence[str], setting: Any) -> list[tuple[str, str]]:
    """The attribute pairs to intersect: ``true`` = every pair, ``false``/empty = none, or an
    explicit list of pairs such as ``[[sex, age_group]]``."""
    if setting is True:
        return list(itertools.combinations(names, 2))
    if setting in (False, None) or (isinstance(setting, Sequence) and not setting):
        return []
    if isinstance(setting, str) or not isinstance(setting, Sequence):
        raise ConfigError(
            f"suite.fairness.intersections: expected true, false or a list of attribute pairs, "
            f"got {setting!r}"
        )
    pairs = []
    for pair in setting:
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ConfigError(
                f"suite.fairness.intersections: expected pairs such as [sex, age_group], got {pair!r}"
            )
        for part in pair:
            if part not in names:
                raise ConfigError(
                    f"suite.fairness.intersections: unknown sensitive attribute '{part}'; "
                    f"the dataset has {list(names)}"
                )
        pairs.append((str(pair[0]), str(pair[1])))
    return pairs


def attributes(
    sensitive: pd.DataFrame,
    names: Sequence[str],
    split: str,
    intersections: Any = True,
    keys: KeyNames | None = None,
) -> list[Attribute]:
    """Declared attributes, then the configured pairwise intersections.

    Parameters
    ----------
    sensitive : pandas.DataFrame
        The split's sensitive columns.
    names : sequence of str
        The declared attributes (``TaskData.sensitive_names``).
    split : str
        Split name, for messages.
    intersections : bool or list of pairs
        See :func:`intersection_pairs`.
    keys : KeyNames, optional
        The dataset's key components (``ScoringContext.key_names``), so that a label has
        the same component in every split; by default those of this frame alone.
    """
    labels = {name: check_attribute(sensitive[name].to_numpy(), name, split) for name in names}
    pairs = intersection_pairs(list(names), intersections)
    crossed = {(a, b): cross_labels(labels[a], labels[b]) for a, b in pairs}
    if keys is None:
        every_pair = [f"{a}_x_{b}" for a, b in itertools.combinations(names, 2)]
        table = key_components([*names, *every_pair], ATTRIBUTE_RESERVED)
        groups = {name: key_components(values) for name, values in labels.items()}
        groups |= {f"{a}_x_{b}": key_components(values) for (a, b), values in crossed.items()}
        keys = KeyNames(table, groups)
    out = [
        Attribute(name, keys.attribute(name), labels[name], (name,), keys.group_keys(name))
        for name in names
    ]
    for (a, b), values in crossed.items():
        name = f"{a}_x_{b}"
        out.append(Attribute(name, keys.attribute(name), values, (a, b), keys.group_keys(name)))
    return out


def group_sizes(groups: np.ndarray) -> Mapping[str, int]:
    """Rows per group label, in sorted label order."""
    labels, counts = np.unique(groups, return_counts=True)
    return {str(k): int(v) for k, v in zip(labels, counts, strict=True)}
