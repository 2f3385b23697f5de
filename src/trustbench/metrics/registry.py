"""The one metric registry: every metric's spec, and the resolution of logged keys to specs.

A logged key reads ``<family>/<scope...>/<metric>`` with the metric last. :meth:`resolve`
matches the key against the key templates of the specs whose name fits the last component,
so a key resolves by template (``privacy/loss/balanced_accuracy`` is the privacy metric, not
the performance one), never by its last component alone or by a pattern list kept elsewhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from trustbench.errors import ConfigError
from trustbench.metrics.spec import FAMILIES, MetricSpec
from trustbench.metrics.specs import ALL_SPECS, LEGACY_KEYS
from trustbench.registry import did_you_mean

__all__ = ["REGISTRY", "MetricRegistry", "Resolved"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Resolved:
    """A logged key and the spec it belongs to: ``scope`` holds the template's placeholders."""

    key: str
    spec: MetricSpec
    template: str
    scope: dict[str, str]

    @property
    def primary(self) -> bool:
        """Whether the key is logged under the spec's first (primary) template."""
        return self.template == self.spec.keys[0]


def _pattern(text: str, fill: dict[str, str]) -> str:
    """Regex of a template: literal text, and a named group per placeholder."""
    out, pos = [], 0
    for found in _PLACEHOLDER.finditer(text):
        out.append(re.escape(text[pos : found.start()]))
        name = found.group(1)
        out.append(fill.get(name) or f"(?P<{name}>[^/]+?)")
        pos = found.end()
    out.append(re.escape(text[pos:]))
    return "".join(out)


def _compile(spec: MetricSpec, template: str) -> re.Pattern[str]:
    metric = _pattern(spec.name, {}) if spec.parameters else re.escape(spec.name)
    return re.compile("^" + _pattern(template, {"metric": metric}) + "$")


class MetricRegistry:
    """Metric specs by family and name, with key resolution and helpful errors.

    Parameters
    ----------
    specs : iterable of MetricSpec
        Two specs may share a name inside a family only with different key templates
        (``generalization/site/{site}/accuracy`` and ``generalization/train_test_gap/accuracy``
        are different metrics).
    legacy : iterable of (regex, template)
        Key layouts of earlier versions and the template each is rewritten to by
        :meth:`canonical`, so that old runs are read under today's keys.
    """

    def __init__(self, specs: Iterable[MetricSpec], legacy: Iterable[tuple[str, str]] = ()) -> None:
        self._legacy = [(re.compile(pattern), template) for pattern, template in legacy]
        self._specs: list[MetricSpec] = []
        self._by_name: dict[tuple[str, str], list[MetricSpec]] = {}
        self._parametrised: dict[str, list[MetricSpec]] = {}
        self._compiled: dict[tuple[int, str], re.Pattern[str]] = {}
        seen: dict[str, MetricSpec] = {}
        for spec in specs:
            for template in spec.keys:
                full = template.replace("{metric}", spec.name)
                if full in seen:
                    raise ValueError(f"metric key template {full!r} is declared twice")
                seen[full] = spec
                self._compiled[(id(spec), template)] = _compile(spec, template)
            self._specs.append(spec)
            if spec.parameters:
                self._parametrised.setdefault(spec.family, []).append(spec)
            else:
                self._by_name.setdefault((spec.family, spec.name), []).append(spec)

    # -- lookup -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[MetricSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def family(self, family: str) -> list[MetricSpec]:
        """Specs of one family, in declaration order."""
        return [s for s in self._specs if s.family == family]

    def names(self, family: str | None = None) -> list[str]:
        """Distinct metric names (of one family, or all), sorted."""
        return sorted({s.name for s in self._specs if family in (None, s.family)})

    def get(self, family: str, name: str) -> MetricSpec:
        """The spec of ``name`` in ``family`` (its primary one if several share the name).

        Raises
        ------
        ConfigError
            For an unknown family or name, with the closest valid name.
        """
        if family not in FAMILIES:
            raise ConfigError(
                f"Unknown metric family '{family}'.{did_you_mean(family, FAMILIES)} "
                f"Valid families: {', '.join(FAMILIES)}."
            )
        found = self._by_name.get((family, name))
        if found:
            return found[0]
        for spec in self._parametrised.get(family, ()):
            if _compile_name(spec).match(name):
                return spec
        choices = self.names(family)
        raise ConfigError(
            f"Unknown {family} metric '{name}'.{did_you_mean(name, choices)} "
            f"Valid choices: {', '.join(choices)}."
        )

    def resolve(self, key: str) -> Resolved | None:
        """The spec and scope of a logged key, or None when no template matches."""
        return _resolve_cached(self, key)

    def canonical(self, key: str) -> str:
        """Today's name of a logged key: unchanged if it resolves, else rewritten from a legacy
        layout when one matches (and then resolves), else unchanged."""
        if self.resolve(key) is not None:
            return key
        for pattern, template in self._legacy:
            found = pattern.match(key)
            if found:
                new = template.format(**found.groupdict())
                if self.resolve(new) is not None:
                    return new
        return key

    def require(self, key: str) -> Resolved:
        """:meth:`resolve`, raising a ConfigError that names the closest registered key."""
        found = self.resolve(key)
        if found is not None:
            return found
        family = key.split("/", 1)[0]
        templates = [
            t.replace("{metric}", s.name) for s in self._specs if s.family == family for t in s.keys
        ]
        raise ConfigError(
            f"metric key '{key}' matches no registered metric template.{did_you_mean(key, templates)}"
            " Register the metric in trustbench/metrics/specs/ (see CONTRIBUTING.md)."
        )

    def _match(self, key: str) -> Resolved | None:
        parts = key.split("/")
        family, last = parts[0], parts[-1]
        candidates = list(self._by_name.get((family, last), ()))
        candidates += [
            s for s in self._parametrised.get(family, ()) if _compile_name(s).match(last)
        ]
        options = [(spec, template) for spec in candidates for template in spec.keys]
        # The most literal template wins: canary/auc before {attack}/auc, and
        # at_sensitivity_{target}/{metric} before {attribute}/{metric}.
        options.sort(
            key=lambda st: (len(_PLACEHOLDER.findall(st[1])), -len(_PLACEHOLDER.sub("", st[1])))
        )
        for spec, template in options:
            found = self._compiled[(id(spec), template)].match(key)
            if found:
                return Resolved(key, spec, template, found.groupdict())
        return None

    # -- what readers need --------------------------------------------------------------
    def headlines(self, family: str) -> list[MetricSpec]:
        """The headline specs of a family, in declaration order."""
        return [s for s in self.family(family) if s.headline]

    def ranking_patterns(self) -> list[str]:
        """Key patterns the leaderboard ranks on by default, in declaration order."""
        return [pattern for spec in self._specs for pattern in spec.rank]

    def bounds(self, key: str) -> tuple[float, float] | None:
        """The range of the metric logged under ``key``, or None if it is not registered."""
        found = self.resolve(key)
        return None if found is None else (found.spec.lower, found.spec.upper)


@functools.cache
def _compile_name(spec: MetricSpec) -> re.Pattern[str]:
    return re.compile("^" + _pattern(spec.name, {}) + "$")


@functools.lru_cache(maxsize=65536)
def _resolve_cached(registry: MetricRegistry, key: str) -> Resolved | None:
    return registry._match(key)


REGISTRY = MetricRegistry(ALL_SPECS, legacy=LEGACY_KEYS)
"""Every metric trustbench logs (see :mod:`trustbench.metrics.specs`)."""
