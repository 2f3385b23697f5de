"""The key components of one dataset's labels, and the longest metric key a run will log.

:func:`key_names` writes every attribute name, group label and site of a :class:`TaskData`
as a key component (:func:`trustbench.suites.naming.key_components`), each position over the
labels of every split, so a label has one component everywhere. The suites build their keys
from it (``ScoringContext.key_names``). :func:`check_key_lengths` computes, before training,
the longest key the run can log (every registered key template, filled with this dataset's
longest components and the configured explainer and attack names) and refuses a run whose
key would pass MLflow's 250-character limit. Labels never make a key too long (a component
is at most 64 characters, :data:`~trustbench.suites.naming.MAX_COMPONENT`), so only
configured names can.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustbench.errors import ConfigError
from trustbench.metrics import REGISTRY
from trustbench.suites.naming import MAX_KEY_LENGTH, component_of, key_components

if TYPE_CHECKING:
    from trustbench.data.task import TaskData
    from trustbench.suites.config import SuiteConfig

__all__ = [
    "ATTRIBUTE_RESERVED",
    "CROSS",
    "KeyNames",
    "check_key_lengths",
    "cross_labels",
    "key_names",
    "longest_key",
]

#: Separator of group labels in an intersectional group (``"Female x 60+"``).
CROSS = " x "
#: Attribute components a key template spells out where an attribute goes
#: (``fairness/at_sensitivity_{target}/{metric}`` beside ``fairness/{attribute}/{metric}``).
ATTRIBUTE_RESERVED = r"at_sensitivity_.*"
#: Characters allowed for placeholders the suites fill with their own words (``lac_mondrian``,
#: a shift's kind) and with numbers written ``:g`` (``0.01``, ``1e-05``).
_WORD, _NUMBER = 24, 12
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CI_SUFFIX = "/ci_high"


def label_strings(values: Any) -> np.ndarray:
    """Group labels as the suites read them: ``str`` of each value, as an object array."""
    return np.asarray(pd.Series(np.asarray(values), dtype=object).astype(str).to_numpy(), object)


def cross_labels(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Intersectional group labels ``"<first> x <second>"`` row by row."""
    return np.asarray([f"{u}{CROSS}{v}" for u, v in zip(first, second, strict=True)], object)


@dataclass(frozen=True)
class KeyNames:
    """Key components of one dataset's attribute names, group labels and sites.

    Attributes
    ----------
    attributes : dict of str to str
        Attribute name (declared, or an intersection ``a_x_b``) -> component.
    groups : dict of str to dict of str to str
        Attribute name -> group label -> component.
    sites : dict of str to str
        Site label -> component.
    """

    attributes: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sites: Mapping[str, str] = field(default_factory=dict)

    def attribute(self, name: object) -> str:
        """The component of an attribute name."""
        return component_of(name, self.attributes, ATTRIBUTE_RESERVED)

    def group_keys(self, attribute: str) -> Mapping[str, str]:
        """Group label -> component for one attribute (empty when the dataset lacks it)."""
        return self.groups.get(attribute, {})

    def group(self, attribute: str, label: object) -> str:
        """The component of a group label of ``attribute``."""
        return component_of(label, self.group_keys(attribute))

    def site(self, label: object) -> str:
        """The component of a site label."""
        return component_of(label, self.sites)

    def renamed(self) -> dict[str, Any]:
        """Every component that differs from its label, by component: the table a reader
        of the MLflow keys needs (``trust_report.json`` keeps it as ``run.key_labels``)."""
        groups = {
            self.attribute(name): changed
            for name, table in self.groups.items()
            if (changed := _changed(table))
        }
        out = {
            "attributes": _changed(self.attributes),
            "groups": groups,
            "sites": _changed(self.sites),
        }
        return {kind: table for kind, table in out.items() if table}

    def longest(self) -> dict[str, tuple[str, str]]:
        """``placeholder -> (component, what it names)`` of the longest attribute, group and
        site components."""
        out: dict[str, tuple[str, str]] = {}
        for kind, table, what in (
            ("attribute", self.attributes, "sensitive attribute"),
            ("site", self.sites, "site"),
        ):
            if table:
                label = max(table, key=lambda k: len(table[k]))
                out[kind] = (table[label], f"{what} {label!r}")
        groups = [
            (t[label], f"group {label!r} of {name!r}")
            for name, t in self.groups.items()
            for label in t
        ]
        if groups:
            out["group"] = max(groups, key=lambda g: len(g[0]))
        return out


def _changed(table: Mapping[str, str]) -> dict[str, str]:
    return {component: label for label, component in table.items() if component != label}


def key_names(task: TaskData) -> KeyNames:
    """The :class:`KeyNames` of ``task``: each position over the labels of every split.

    Attribute names cover the declared attributes and every pairwise intersection (whichever
    the suites score), groups every label seen in any split, sites every site.
    """
    names = list(task.sensitive_names)
    pairs = list(itertools.combinations(names, 2))
    labels: dict[str, list[np.ndarray]] = {name: [] for name in names}
    sites: list[np.ndarray] = []
    for split in task.splits.values():
        frame = split.sensitive
        for name in names:
            if name in frame.columns:
                labels[name].append(label_strings(frame[name].to_numpy()))
        if split.site is not None:
            sites.append(label_strings(split.site))
    for a, b in pairs:
        pieces = zip(labels[a], labels[b], strict=True)
        labels[f"{a}_x_{b}"] = [cross_labels(first, second) for first, second in pieces]
    attributes = key_components([*names, *(f"{a}_x_{b}" for a, b in pairs)], ATTRIBUTE_RESERVED)
    groups = {name: key_components(_distinct(parts)) for name, parts in labels.items()}
    return KeyNames(attributes, groups, key_components(_distinct(sites)))


def _distinct(parts: Iterable[np.ndarray]) -> list[str]:
    found: set[str] = set()
    for part in parts:
        found.update(pd.unique(part).tolist())
    return sorted(found)


def _fills(names: KeyNames, cfg: SuiteConfig, splits: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``placeholder -> (longest value, what it is)`` for every placeholder of a key template."""
    fills = dict(names.longest())
    fills.setdefault("site", ("site", "the site"))
    explain = cfg.explainability
    explainers = [*explain.explainers, *(explain.gradient_explainers or []), *explain.baselines]
    for kind, values, what in (
        ("explainer", explainers, "suite.explainability explainer"),
        ("attack", list(cfg.privacy.attacks), "suite.privacy attack"),
        ("split", list(splits), "split"),
    ):
        if values:
            value = max(map(str, values), key=len)
            fills[kind] = (value, f"{what} {value!r}")
    return fills


def longest_key(names: KeyNames, cfg: SuiteConfig, splits: Sequence[str]) -> tuple[int, str, str]:
    """``(length, key, cause)`` of the longest metric key (its ``/ci_high`` bound included)
    that the run can log: every registered template, each placeholder filled with its longest
    value here (the suites' own words and numbers with their bounds, 24 and 12 characters).

    ``cause`` names the filled values of that key (``sensitive attribute 'ccc…'``).
    """
    fills = _fills(names, cfg, splits)
    best = (0, "", "")
    for spec in REGISTRY:
        for template in spec.keys:
            causes: list[str] = []

            def fill(found: re.Match[str], causes: list[str] = causes) -> str:
                name = found.group(1)
                if name in fills:
                    causes.append(fills[name][1])
                    return fills[name][0]
                return "9" * _NUMBER if name in ("target", "level") else "w" * _WORD

            key = _PLACEHOLDER.sub(fill, template.replace("{metric}", spec.name)) + _CI_SUFFIX
            if len(key) > best[0]:
                best = (len(key), key, ", ".join(causes))
    return best


def check_key_lengths(names: KeyNames, cfg: SuiteConfig, splits: Sequence[str]) -> None:
    """Refuse, before training, a run whose longest metric key passes MLflow's limit.

    Raises
    ------
    ConfigError
        Naming the key's length, the limit and the configured names that make it long.
    """
    length, key, cause = longest_key(names, cfg, splits)
    if length > MAX_KEY_LENGTH:
        raise ConfigError(
            f"metric key '{key[:60]}…' would be {length} characters, over MLflow's limit of "
            f"{MAX_KEY_LENGTH} (it names {cause}); choose shorter names"
        )
