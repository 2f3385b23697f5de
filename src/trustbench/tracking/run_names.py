"""The MLflow run name of an experiment: what a reader of the MLflow UI's run table needs to
tell runs apart at a glance, ``<dataset>-<model>-<trainer>-s<seed>`` (``heart-logreg-standard-s0``).

A CSV dataset is named by its file (``dataset=csv dataset.path=cohort.csv`` gives
``cohort-...``); an API run (:func:`trustbench.tracking.log` without a config) is named from
its identity, ``<dataset>-<model>-s<seed>`` when no trainer is recorded. A ``run_name`` set in
the config wins. The name is a label only: the run's
identity (:func:`trustbench.tracking.identity.run_identity`) is what tells configurations
apart, so two runs may share a name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9._+=]+")
MAX_LENGTH = 120


def _part(value: Any) -> str:
    return _UNSAFE.sub("_", str(value)).strip("_") or "?"


def run_name(config: Mapping[str, Any]) -> str:
    """The run name for a resolved ``config``: its ``run_name`` if set, else
    ``<dataset>-<model>-<trainer>-s<seed>`` with characters other than letters, digits and
    ``. _ + =`` replaced by ``_``, at most ``MAX_LENGTH`` characters."""
    given = config.get("run_name")
    if given not in (None, ""):
        return str(given)
    dataset = dict(config.get("dataset") or {})
    name = dataset.get("name", "?")
    if dataset.get("path") not in (None, "", "???"):
        name = PurePath(str(dataset["path"])).stem
    model = (config.get("model") or {}).get("name", "?")
    trainer = (config.get("trainer") or {}).get("name")  # an API run may name none
    parts = [_part(name), _part(model)] + ([_part(trainer)] if trainer else [])
    parts.append(f"s{_part(config.get('seed', '?'))}")
    return "-".join(parts)[:MAX_LENGTH]
