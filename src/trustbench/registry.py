"""One small name -> object registry, shared by datasets, models, trainers, explainers and metrics."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from trustbench.errors import ConfigError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """Return `` Did you mean 'x'?`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown_name_message(kind: str, name: str, choices: list[str] | tuple[str, ...]) -> str:
    """One-line message for an unknown name, listing the valid choices."""
    listed = ", ".join(sorted(choices))
    return f"Unknown {kind} '{name}'.{did_you_mean(name, choices)} Valid choices: {listed}."


class Registry(Generic[T]):
    """Map names to objects, with a helpful error for unknown names.

    Parameters
    ----------
    kind : str
        What the registry holds (``"dataset"``, ``"metric"``, ...), used in messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers an object under ``name``."""

        def decorator(obj: T) -> T:
            self.add(name, obj)
            return obj

        return decorator

    def add(self, name: str, obj: T) -> None:
        """Register ``obj`` under ``name``; a second object under one name is an error."""
        if name in self._items and self._items[name] is not obj:
            raise ConfigError(f"{self.kind} '{name}' is already registered.")
        self._items[name] = obj

    def get(self, name: str) -> T:
        """Return the object registered under ``name``.

        Raises
        ------
        ConfigError
            If ``name`` is unknown; the message lists the valid names and the closest one.
        """
        try:
            return self._items[name]
        except KeyError:
            raise ConfigError(unknown_name_message(self.kind, name, self.names())) from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
