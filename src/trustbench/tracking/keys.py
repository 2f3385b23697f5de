"""MLflow's rules for param keys, checked on the resolved config before a run opens.

The config is logged flattened as params (``dataset.sensitive_bins.age``), so a mapping whose
keys are column names makes param keys of them. MLflow refuses a param key over
:data:`MAX_KEY_LENGTH` characters, with characters other than letters, digits, ``_ - . / :``
and spaces, or that a path would rewrite (``a/../b``); it refuses it when the run logs its
config, which would leave a FAILED run and a traceback. :func:`check_param_keys` says so in
one line first. (Metric keys never break these rules: labels become key components that fit,
:mod:`trustbench.suites.naming`.)
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from trustbench.errors import ConfigError
from trustbench.tracking.identity import flatten

__all__ = ["MAX_KEY_LENGTH", "check_param_keys", "param_key_problem"]

#: MLflow's ``MAX_ENTITY_KEY_LENGTH``: the longest metric, param or tag key.
MAX_KEY_LENGTH = 250
_ALLOWED = re.compile(r"[/\w.\- :]*")


def param_key_problem(key: str) -> str | None:
    """Why MLflow would refuse ``key`` as a param key, or None when it accepts it."""
    if len(key) > MAX_KEY_LENGTH:
        return f"{len(key)} characters, over MLflow's limit of {MAX_KEY_LENGTH}"
    if not _ALLOWED.fullmatch(key):
        bad = sorted({c for c in key if not _ALLOWED.fullmatch(c)})
        return (
            f"characters MLflow refuses in a key ({''.join(bad)!r}; it allows letters, digits, "
            f"_ - . / : and spaces)"
        )
    normal = posixpath.normpath(key)
    if normal != key or normal == "." or normal.startswith(("..", "/")):
        return f"a path MLflow would read as {normal!r}"
    return None


def check_param_keys(config: Mapping[str, Any]) -> None:
    """Refuse a config whose flattened keys MLflow would not take as param keys.

    Raises
    ------
    ConfigError
        Naming the config key (cut to 80 characters), what is wrong with it and the fix.
    """
    for key in flatten(config):
        problem = param_key_problem(key)
        if problem is not None:
            shown = key if len(key) <= 80 else f"{key[:77]}..."
            raise ConfigError(
                f"config key '{shown}' cannot be logged as an MLflow param: {problem}; a key "
                f"inside a mapping such as dataset.sensitive_bins names a column, so give "
                f"that column a shorter name made of those characters"
            )
