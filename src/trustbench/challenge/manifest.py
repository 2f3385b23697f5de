"""The manifest of a submission, ``submission.yaml``: parsing and the check of every key.

The YAML is read with a safe loader that also refuses duplicate keys. Unknown keys are an
error with the closest valid key; each check returns one line naming the key, what was expected
and what was received. See :mod:`trustbench.challenge.submission` for the keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from trustbench.challenge import formats
from trustbench.registry import did_you_mean

if TYPE_CHECKING:
    from trustbench.challenge.submission import ChallengeInput

MANIFEST = "submission.yaml"
SUFFIXES = {"onnx": ".onnx", "safetensors": ".safetensors"}
REQUIRED = (
    "team",
    "challenge",
    "format",
    "model",
    "input",
    "seed",
    "licence",
    "sample_predictions",
)
OPTIONAL = ("architecture", "description", "selected")
INPUT_KEYS = ("name", "dtype", "shape")
MAX_MANIFEST_BYTES = 64 * 1024
MAX_TEAM = 64
MAX_DESCRIPTION = 2000

_LICENCE = re.compile(r"[A-Za-z0-9(][A-Za-z0-9.+\-() ]{0,127}")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HELP = {
    "team": "your team's name, 1-64 characters",
    "challenge": "the challenge's name",
    "format": "onnx or safetensors",
    "model": "the model file's name inside the folder",
    "input": "{name, dtype, shape} of the model input, shape with null for the batch",
    "seed": "the integer seed you trained with",
    "licence": "an SPDX licence expression such as Apache-2.0",
    "sample_predictions": "the .npy file of probabilities on the public sample inputs",
    "architecture": "the challenge architecture the safetensors weights are for",
}


class _ManifestLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys instead of keeping the last, and aliases
    (``*name``): a few hundred bytes of nested aliases expand to billions of values ("billion
    laughs"), which would hang whatever reads or prints them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted", self.peek_event().start_mark
            )
        return super().compose_node(parent, index)


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_ManifestLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def manifest_fields(
    data: bytes | None, names: set[str], expected: ChallengeInput, problems: list[str]
) -> tuple[dict[str, Any], set[str] | None]:
    """Parse and check ``submission.yaml``.

    Returns the fields that passed, and the file names the manifest claims (``model`` and
    ``sample_predictions`` as written, valid or not; ``None`` when the manifest is unreadable).
    """
    doc = parse_manifest(data, names, problems)
    if doc is None:
        return {}, None
    claimed = {doc[k] for k in ("model", "sample_predictions") if isinstance(doc.get(k), str)}
    allowed = REQUIRED + OPTIONAL
    for key in doc:
        if key not in allowed:
            problems.append(
                f"{MANIFEST}: unknown key {formats.show(key)}."
                f"{did_you_mean(str(key), allowed)} Allowed keys: {', '.join(allowed)}."
            )
    for key in REQUIRED:
        if key not in doc:
            problems.append(f"{MANIFEST}: missing key {key!r} ({_HELP[key]}); add it.")
    fields: dict[str, Any] = {}
    checks = {
        "team": check_team, "challenge": _challenge, "format": _format, "input": _input,
        "seed": _seed, "licence": _licence, "description": _description, "selected": _selected,
    }  # fmt: skip
    for key, check in checks.items():
        if key in doc:
            value, line = check(doc[key], expected)
            if line:
                problems.append(f"{MANIFEST}: {line}")
            else:
                fields[key] = value
    for key, suffix in (
        ("model", SUFFIXES.get(fields.get("format"))),
        ("sample_predictions", ".npy"),
    ):
        if key in doc:
            value, line = _member(key, doc[key], suffix)
            if line:
                problems.append(f"{MANIFEST}: {line}")
            else:
                fields[key] = value
    line = _architecture(doc, fields.get("format"), expected)
    if line:
        problems.append(f"{MANIFEST}: {line}")
    elif doc.get("architecture") is not None:
        fields["architecture"] = doc["architecture"]
    return fields, claimed


def parse_manifest(data: bytes | None, names: set[str], problems: list[str]) -> dict | None:
    if data is None:
        if MANIFEST not in names:
            near = did_you_mean(MANIFEST, sorted(names))
            problems.append(
                f"{MANIFEST}: missing; the folder must hold a {MANIFEST} manifest "
                f"(the kit has a template).{near}"
            )
        return None
    if len(data) > MAX_MANIFEST_BYTES:
        problems.append(
            f"{MANIFEST}: is {len(data)} bytes; expected at most "
            f"{MAX_MANIFEST_BYTES}; keep it to the manifest keys."
        )
        return None
    line = formats.refusal(MANIFEST, data)
    if line:
        problems.append(line)
        return None
    try:
        doc = yaml.load(data.decode("utf-8"), Loader=_ManifestLoader)  # a SafeLoader
    except UnicodeDecodeError:
        problems.append(f"{MANIFEST}: is not UTF-8 text; save it as UTF-8.")
        return None
    except Exception as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        what = getattr(err, "problem", None) or type(err).__name__
        problems.append(f"{MANIFEST}: is not valid YAML{where} ({what}); fix it.")
        return None
    if not isinstance(doc, dict):
        problems.append(
            f"{MANIFEST}: expected a mapping of keys to values; received "
            f"{type(doc).__name__}; write one 'key: value' per line."
        )
        return None
    return doc


def _bad_char(text: str, allowed: str = "") -> str | None:
    for i, ch in enumerate(text):
        if ch in allowed:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or ch in _BIDI:
            return f"the control character U+{ord(ch):04X} at position {i}"
    return None


def check_team(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, (
            f"team must be a non-empty string ({_HELP['team']}); received "
            f"{formats.show(value)}; quote it."
        )
    if len(value) > MAX_TEAM:
        return None, f"team has {len(value)} characters; expected at most {MAX_TEAM}; shorten it."
    bad = _bad_char(value)
    if bad:
        return None, f"team contains {bad}; expected printable text; remove it."
    return value, None


def _challenge(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    if value != expected.challenge:
        return None, (
            f"challenge is {formats.show(value)}; this folder is checked against "
            f"{expected.challenge!r}; set challenge: {expected.challenge}."
        )
    return value, None


def _format(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    if value not in expected.formats:
        near = did_you_mean(str(value), expected.formats)
        return None, (
            f"format is {formats.show(value)}; expected one of {', '.join(expected.formats)}.{near}"
        )
    return value, None


def _input(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    want = {"name": expected.input_name, "dtype": expected.dtype,
            "shape": [None, *expected.shape]}  # fmt: skip
    wanted = (
        f"{{name: {want['name']}, dtype: {want['dtype']}, shape: [null, "
        + ", ".join(map(str, expected.shape))
        + "]}"
    )
    if not isinstance(value, dict):
        return None, f"input must be a mapping; expected {wanted}; received {formats.show(value)}."
    unknown = [k for k in value if k not in INPUT_KEYS]
    if unknown:
        near = did_you_mean(str(unknown[0]), INPUT_KEYS)
        return None, f"input has unknown key {formats.show(unknown[0])}.{near} Expected {wanted}."
    got = {k: value.get(k) for k in INPUT_KEYS}
    wrong = [k for k in INPUT_KEYS if got[k] != want[k] or type(got[k]) is bool]
    if wrong:
        received = ", ".join(f"{k}={formats.show(got[k])}" for k in wrong)
        return None, (
            f"input does not match the challenge in {', '.join(wrong)}: received "
            f"{received}; expected {wanted}."
        )
    return want, None


def _seed(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    if not isinstance(value, int) or isinstance(value, bool):
        return None, f"seed must be an integer; received {formats.show(value)}."
    return value, None


def _licence(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    if not isinstance(value, str) or not _LICENCE.fullmatch(value):
        return None, (
            f"licence must be an SPDX licence expression such as Apache-2.0, MIT or "
            f"CC-BY-4.0 (letters, digits, '.', '+', '-', parentheses, spaces); "
            f"received {formats.show(value)}."
        )
    return value, None


def _description(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        return None, (
            f"description must be text of at most {MAX_DESCRIPTION} characters; "
            f"received {formats.show(value)}."
        )
    bad = _bad_char(value, allowed="\n\t")
    if bad:
        return None, f"description contains {bad}; remove it."
    return value, None


def _selected(value: Any, expected: ChallengeInput) -> tuple[Any, str | None]:
    if not isinstance(value, bool):
        return None, f"selected must be true or false; received {formats.show(value)}."
    return value, None


def _member(key: str, value: Any, suffix: str | None) -> tuple[Any, str | None]:
    """A file name inside the folder: relative, '/'-separated, at most one sub-folder deep."""
    if not isinstance(value, str) or not value:
        return None, f"{key} must be a file name inside the folder; received {formats.show(value)}."
    parts = value.split("/")
    if value.startswith("/") or "\\" in value or ":" in value or ".." in parts:
        return None, (
            f"{key} is {formats.show(value)}, which leaves the folder; expected a file "
            f"name inside it (such as {'model' + (suffix or '.onnx')})."
        )
    if len(parts) > 2 or any(p in ("", ".") for p in parts):
        return None, (
            f"{key} is {formats.show(value)}; expected a plain relative file name, at "
            f"most one sub-folder deep."
        )
    if suffix and not value.endswith(suffix):
        return None, f"{key} is {formats.show(value)}; expected a file name ending in {suffix}."
    return value, None


def _architecture(doc: Mapping[str, Any], fmt: str | None, expected: ChallengeInput) -> str | None:
    value = doc.get("architecture")
    if fmt == "onnx" and value is not None:
        return "architecture applies to format safetensors only; remove it for an ONNX model."
    if fmt != "safetensors":
        return None
    choices = list(expected.architectures)
    if value is None:
        return (
            f"missing key 'architecture' ({_HELP['architecture']}); expected one of "
            f"{', '.join(choices)}."
        )
    if not isinstance(value, str) or value not in expected.architectures:
        return (
            f"architecture is {formats.show(value)}; expected one of {', '.join(choices)}."
            f"{did_you_mean(str(value), choices)}"
        )
    return None
