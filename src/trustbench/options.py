"""Typed options: a plain mapping checked against a dataclass, so that a typo is an error.

A config section (``suite.privacy``, ``trainer``, ...) is declared as a frozen dataclass
whose fields name its options and their types. :func:`load` turns the mapping the config
holds into that dataclass, and refuses, in one line naming the full key:

- a key the dataclass does not declare (with the closest declared key);
- a declared key that is missing;
- a value of the wrong type (``int``, ``float``, ``bool``, ``str``, ``None``, ``Literal``,
  ``list[...]``, ``dict[str, ...]``, unions of these, nested dataclasses).

An ``int`` is accepted (and converted) where a ``float`` is declared; a ``bool`` is never a
number. A field may carry its own check as ``field(metadata={"check": fn})`` (written
``checked(fn)``), called as ``fn(value, key)`` and returning the value to store; the range
checks :func:`at_least`, :func:`within` and :func:`each` cover counts, fractions and
positive numbers. A check across fields is a method ``check_fields(self, key)`` of the
dataclass, called once every field is loaded.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, Union

from trustbench.errors import ConfigError
from trustbench.registry import did_you_mean

T = TypeVar("T")
#: A field check: ``fn(value, key)`` returns the value to store or raises ConfigError.
Check = Callable[[Any, str], Any]

__all__ = [
    "at_least",
    "check_keys",
    "check_value",
    "checked",
    "describe",
    "each",
    "load",
    "merge",
    "signature_options",
    "to_dict",
    "within",
]


def check_keys(key: str, given: Mapping[str, Any], valid: list[str] | tuple[str, ...]) -> None:
    """Refuse the first key of ``given`` that is not in ``valid``, naming it as ``key.<name>``."""
    for name in given:
        if name not in valid:
            raise ConfigError(
                f"Unknown key '{_join(key, name)}'.{did_you_mean(str(name), list(valid))} "
                f"Valid keys of {key or 'the config'}: {', '.join(valid)}."
            )


def load(cls: type[T], values: Mapping[str, Any], key: str) -> T:
    """``values`` as an instance of the dataclass ``cls``, every key and type checked.

    Parameters
    ----------
    cls : dataclass type
    values : mapping
        Plain values (``OmegaConf.to_container(..., resolve=True)`` of a config node).
    key : str
        Where ``values`` sits in the config (``"suite.privacy"``), for messages.

    Raises
    ------
    ConfigError
        For an unknown or missing key, or a value of the wrong type.
    """
    if isinstance(values, cls):
        return values
    if not isinstance(values, Mapping):
        raise ConfigError(f"{key}: expected a mapping of options, got {values!r}.")
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = [f.name for f in fields]
    check_keys(key, values, names)
    missing = [name for name in names if name not in values]
    if missing:
        raise ConfigError(f"{key}: missing key(s) {', '.join(missing)}.")
    hints = typing.get_type_hints(cls)
    out = {}
    for f in fields:
        full = _join(key, f.name)
        value = check_value(values[f.name], hints[f.name], full)
        check = f.metadata.get("check")
        out[f.name] = check(value, full) if check is not None else value
    loaded = cls(**out)
    if hasattr(loaded, "check_fields"):
        loaded.check_fields(key)
    return loaded


def checked(check: Check) -> Any:
    """A dataclass field (no default) whose loaded value must also pass ``check``:
    ``n_rows: int = checked(at_least(1))``."""
    return dataclasses.field(metadata={"check": check})


def at_least(low: int) -> Check:
    """Check of an integer option: ``value >= low`` (null passes, where the type admits it)."""

    def check(value: Any, key: str) -> Any:
        if value is not None and value < low:
            raise ConfigError(f"{key}: expected an integer >= {low}, got {value!r}.")
        return value

    return check


def within(low: float, high: float = math.inf, closed: str = "()") -> Check:
    """Check of a number option: finite and between ``low`` and ``high``.

    ``closed`` says which ends belong to the interval: ``"()"``, ``"[)"``, ``"(]"`` or
    ``"[]"``. Null passes (where the type admits it); NaN and infinities never do.
    """
    if math.isinf(high):
        words = f"a finite number {'>=' if closed[0] == '[' else '>'} {low:g}"
    else:
        words = f"a number in {closed[0]}{low:g}, {high:g}{closed[1]}"

    def check(value: Any, key: str) -> Any:
        if value is None:
            return value
        above = value >= low if closed[0] == "[" else value > low
        below = value <= high if closed[1] == "]" else value < high
        if not (math.isfinite(value) and above and below):
            raise ConfigError(f"{key}: expected {words}, got {value!r}.")
        return value

    return check


def each(check: Check) -> Check:
    """Check of a list option: ``check`` on every item, named ``key[i]`` (null passes)."""

    def check_items(values: Any, key: str) -> Any:
        if values is None:
            return values
        return [check(value, f"{key}[{i}]") for i, value in enumerate(values)]

    return check_items


def check_value(value: Any, hint: Any, key: str) -> Any:
    """``value`` if it has type ``hint`` (ints converted to float where a float is declared);
    otherwise a :class:`ConfigError` naming ``key``, what was expected and what was received."""
    ok, converted = _convert(value, hint, key)
    if not ok:
        raise ConfigError(f"{key}: expected {describe(hint)}, got {value!r}.")
    return converted


def describe(hint: Any) -> str:
    """``hint`` in words: ``int | None`` -> ``"null or an integer"``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return "any value"
    if hint is type(None) or hint is None:
        return "null"
    if hint is bool:
        return "true or false"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        parts = [describe(a) for a in args if a is not type(None)]
        words = " or ".join(parts)
        return f"null or {words}" if type(None) in args else words
    if origin in (list, tuple):
        inner = args[0] if args else Any
        plural = {str: "strings", int: "integers", float: "numbers", bool: "booleans"}
        if inner is Any:
            return "a list"
        return f"a list of {plural[inner]}" if inner in plural else f"a list of ({describe(inner)})"
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return "a mapping"
    if dataclasses.is_dataclass(hint):
        return f"a mapping of {hint.__name__} options"
    return getattr(hint, "__name__", str(hint))


def _convert(value: Any, hint: Any, key: str) -> tuple[bool, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True, value
    if hint is type(None) or hint is None:
        return value is None, value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    if origin is Literal:
        if value in args and not isinstance(value, bool):
            return True, value
        if isinstance(value, str):  # a misspelt choice: say which one was meant
            choices = [str(a) for a in args]
            raise ConfigError(
                f"{key}: expected {describe(hint)}, got {value!r}.{did_you_mean(value, choices)}"
            )
        return False, value
    if origin in (Union, types.UnionType):
        for arm in args:  # None and scalars first, so that a list arm does not swallow errors
            try:
                ok, converted = _convert(value, arm, key)
            except ConfigError:
                continue
            if ok:
                return True, converted
        return False, value
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            return False, value
        inner = args[0] if args else Any
        return True, [check_value(v, inner, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        if not isinstance(value, Mapping):
            return False, value
        inner = args[1] if len(args) == 2 else Any
        return True, {str(k): check_value(v, inner, _join(key, k)) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping | hint):
            return False, value
        return True, load(hint, value, key)
    raise TypeError(f"{key}: unsupported option type {hint!r}")


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` merged in, recursively for mappings (lists are replaced).

    Keys are not checked here: :func:`load` refuses the unknown ones afterwards.
    """
    out = dict(base)
    for name, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(name), Mapping):
            out[name] = merge(out[name], value)
        else:
            out[name] = value
    return out


def to_dict(options: Any) -> dict[str, Any]:
    """A loaded dataclass back to plain values (as the config held them)."""
    return dataclasses.asdict(options)


def signature_options(
    fn: Callable[..., Any], skip: tuple[str, ...] = ()
) -> dict[str, inspect.Parameter]:
    """The keyword parameters ``fn`` accepts (``self`` and ``skip`` left out), annotations
    evaluated.

    For a class, its ``__init__`` and, while an ``__init__`` forwards ``**kwargs``, those of
    its bases in method-resolution order: the options a subclass adds and those it passes on.
    """
    chain = (
        [k.__dict__["__init__"] for k in fn.__mro__ if "__init__" in k.__dict__]
        if inspect.isclass(fn)
        else [fn]
    )
    found: dict[str, inspect.Parameter] = {}
    for init in chain:
        params = inspect.signature(init, eval_str=True).parameters.values()
        for p in params:
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self":
                found.setdefault(p.name, p)
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return {name: p for name, p in found.items() if name not in skip}


def _join(key: str, name: object) -> str:
    return f"{key}.{name}" if key else str(name)
