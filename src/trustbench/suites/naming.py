"""Labels users give (groups, sites, attribute names) as components of MLflow metric keys.

MLflow keys allow letters, digits, ``_ - . /``, spaces (and colons off Windows), at most
:data:`MAX_KEY_LENGTH` characters. A label is one path component of a key such as
``fairness/<attribute>/<group>/<metric>``. :func:`key_components` writes the labels that share
one key position (the groups of one attribute, the sites, the attribute names) so that
**distinct labels always get distinct components**, readable ASCII labels keep their own name,
and every component fits in :data:`MAX_COMPONENT` characters:

1. A label of ASCII letters, digits, ``_ - .`` and inner spaces, at most 64 characters, is its
   own component: ``Female``, ``50-59``, ``VA Long Beach``, ``x_y``, ``a b``.
2. A label that only needs the words of :data:`WORDS` becomes that word form (``<50`` ->
   ``lt50``, ``60+`` -> ``60plus``, ``Female x 60+`` -> ``Female x 60plus``), unless another
   label of the same position is written the same way (``<50`` beside ``lt50``).
3. Every other label (non-ASCII letters, ``/`` or other punctuation, a leading or trailing
   space, ``.``, ``..``, the empty label, over 64 characters, or a clash under rule 2) is
   written ``<readable>-<hash>``: ``readable`` is the label folded to ASCII (accents dropped)
   with every other character ``_``, cut to 55 characters; ``hash`` is the first 8 hex digits
   of the SHA-256 of the UTF-8 label. ``男`` -> ``_-<hash>``, ``北京`` -> ``__-<hash>``,
   ``x/y`` -> ``x_y-<hash>``, ``Zürich`` -> ``Zurich-<hash>``. If that form still equals
   another label's component, the hash is lengthened (16, then 64 digits).

Rules 1 and 3 depend on the label alone; rule 2 on the other labels of the position, which the
suites take from the whole dataset (every split, :func:`trustbench.suites.keys.key_names`), so
a label has the same component in every split and every run of a dataset. The original labels
stay in each metric's definition (``within the group sex=男``), in the per-group tables
(``group`` column) and in ``trust_report.json`` under ``run.key_labels``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping

__all__ = ["MAX_COMPONENT", "MAX_KEY_LENGTH", "WORDS", "component_of", "key_components"]

#: MLflow's limit on the length of a metric or param key (``MAX_ENTITY_KEY_LENGTH``).
MAX_KEY_LENGTH = 250
#: The longest component a label becomes (rule 3 shortens longer labels).
MAX_COMPONENT = 64
#: Characters written as words, so that the usual age bands stay readable.
WORDS = {"<": "lt", ">": "gt", "+": "plus", "=": "eq", "%": "pct", "@": "at"}

_ALLOWED = re.compile(r"[A-Za-z0-9_\-. ]+")
_DISALLOWED = re.compile(r"[^A-Za-z0-9_\-. ]")
_HASH_LENGTHS = (8, 16, 64)


def safe_name(text: object) -> str:
    """The readable form of a label: :data:`WORDS` written out, any other disallowed character
    ``_``, outer spaces stripped (``<50`` -> ``lt50``, ``a/b@c`` -> ``a_batc``).

    Not injective on its own (``x/y`` and ``x_y`` both give ``x_y``): key components come
    from :func:`key_components`.
    """
    text = str(text)
    for char, word in WORDS.items():
        text = text.replace(char, word)
    return _DISALLOWED.sub("_", text).strip() or "_"


def _plain(label: str) -> bool:
    """Rule 1: the label is written as it is."""
    return (
        len(label) <= MAX_COMPONENT
        and _ALLOWED.fullmatch(label) is not None
        and label == label.strip()
        and label not in (".", "..")
    )


def _worded(label: str) -> str | None:
    """Rule 2's form of the label, or None when words alone do not make it plain."""
    if not any(char in label for char in WORDS):
        return None
    text = label
    for char, word in WORDS.items():
        text = text.replace(char, word)
    return text if _plain(text) else None


def _hashed(label: str, digits: int = 8) -> str:
    """Rule 3: ``<readable>-<hash>``."""
    folded = unicodedata.normalize("NFKD", label)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    readable = safe_name(folded)[: MAX_COMPONENT - 9].strip() or "_"
    if readable in (".", ".."):
        readable = "_"
    digest = hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:digits]
    return f"{readable}-{digest}"


def key_components(labels: Iterable[object], reserved: str | None = None) -> dict[str, str]:
    """Each distinct label of one key position -> its key component (module docstring).

    Parameters
    ----------
    labels : iterable
        The labels sharing the position (stringified with ``str``); repeats are fine.
    reserved : str, optional
        A regular expression of components the position cannot take, because a key
        template spells them out at the same place (``at_sensitivity_.*`` among attribute
        names); rule 3 applies to a label it matches in full.

    Returns
    -------
    dict of str to str
        Injective: distinct labels map to distinct components.
    """
    distinct = sorted({str(label) for label in labels})
    pattern = re.compile(reserved) if reserved else None

    def blocked(component: str) -> bool:
        return pattern is not None and pattern.fullmatch(component) is not None

    out: dict[str, str] = {}
    for label in distinct:
        if _plain(label) and not blocked(label):
            out[label] = label
    worded = {label: _worded(label) for label in distinct if label not in out}
    forms = list(out.values()) + [w for w in worded.values() if w is not None]
    for label, form in worded.items():
        if form is not None and forms.count(form) == 1 and not blocked(form):
            out[label] = form
    for label in distinct:
        if label not in out:
            out[label] = _hashed(label)
    for digits in _HASH_LENGTHS[1:]:
        clashes = _clashing(out)
        if not clashes:
            break
        for label in clashes:
            if out[label] != label:  # a plain label keeps its name; the hashed one grows
                out[label] = _hashed(label, digits)
    if _clashing(out):  # two labels whose SHA-256 agree: not reachable in practice
        raise ValueError(f"labels {sorted(_clashing(out))} share a key component")
    return out


def _clashing(out: dict[str, str]) -> list[str]:
    seen: dict[str, list[str]] = {}
    for label, component in out.items():
        seen.setdefault(component, []).append(label)
    return [
        label
        for component, labels in seen.items()
        if len(labels) > 1
        for label in labels
    ]


def component_of(label: object, components: Mapping[str, str], reserved: str | None = None) -> str:
    """``components[label]``; for a label the table lacks, its component among the table's
    labels plus itself (so a suite never falls back to a name another label already has)."""
    text = str(label)
    if text in components:
        return components[text]
    return key_components([*components, text], reserved)[text]
