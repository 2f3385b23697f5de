"""The dataset card: what is documented about a dataset, with every unknown left visibly empty.

A card has three views of the same documentation:

- ``documented``: the short facts a run needs to cite and judge its data (:data:`DOCUMENTED_FIELDS`);
- ``datasheet``: the questions of *Datasheets for Datasets* (Gebru et al., Communications of
  the ACM 64(12), 2021), grouped in its seven sections (:data:`DATASHEET_FIELDS`);
- ``croissant_rai``: the dataset-level properties of the Croissant RAI vocabulary 1.0
  (MLCommons, ``http://mlcommons.org/croissant/RAI/``; :data:`CROISSANT_RAI_FIELDS`).

Loaders put what their sources state in ``metadata["card"]``; :func:`documented_card`
builds the card from it and from the loader's top-level metadata (``source``, ``license``,
``doi``, ``attribution``, ``target_definition``). Every field is always present; a field
nobody documented is ``None``, so a gap shows instead of disappearing.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from trustbench.errors import DataError

__all__ = [
    "ALIASES",
    "CARD_KEYS",
    "CROISSANT_RAI_FIELDS",
    "DATASHEET_FIELDS",
    "DOCUMENTED_FIELDS",
    "documented_card",
]

#: The short documented facts, in card order.
DOCUMENTED_FIELDS: tuple[str, ...] = (
    "source",
    "license",
    "attribution",
    "doi",
    "citation",
    "collection",
    "target_definition",
    "sensitive_attributes",
    "sites",
    "known_limitations",
    "intended_use",
)

#: Datasheets for Datasets (Gebru et al. 2021): section -> the questions kept here, by name.
#: The choice favours what matters for clinical data (who is in it, how labels were made,
#: consent and review, what it must not be used for).
DATASHEET_FIELDS: dict[str, tuple[str, ...]] = {
    # For what purpose was the dataset created? Who created it? Who funded it?
    "motivation": ("purpose", "creators", "funding"),
    # What do the instances represent? How many? A sample of what? The label? Missing data?
    # Confidential data? Subpopulations identified (age, sex, ...)?
    "composition": (
        "instances",
        "count",
        "sampling",
        "label",
        "missing_data",
        "confidential",
        "sensitive_subpopulations",
    ),
    # How was the data acquired? Over what timeframe? By whom? Ethical review? Consent?
    "collection_process": ("acquisition", "timeframe", "collectors", "ethical_review", "consent"),
    # Preprocessing/cleaning? How were labels made? Is the raw data kept? Software?
    "preprocessing": ("cleaning", "labeling", "raw_data", "software"),
    # Used already? Other tasks? Risks from composition/collection? Tasks to avoid?
    "uses": ("prior_uses", "other_tasks", "risks", "unsuitable_tasks"),
    # How is it distributed? Under what licence? Any third-party restrictions?
    "distribution": ("how", "license", "restrictions"),
    # Who maintains it? Will it be updated? Versions? Can others contribute?
    "maintenance": ("maintainer", "updates", "versioning", "contributions"),
}

#: Dataset-level properties of the Croissant RAI vocabulary 1.0 (``croissant_rai.ttl``).
CROISSANT_RAI_FIELDS: tuple[str, ...] = (
    "rai:dataCollection",
    "rai:dataCollectionType",
    "rai:dataCollectionMissingData",
    "rai:dataCollectionRawData",
    "rai:dataCollectionTimeframe",
    "rai:dataPreprocessingProtocol",
    "rai:dataImputationProtocol",
    "rai:dataManipulationProtocol",
    "rai:dataAnnotationProtocol",
    "rai:dataAnnotationPlatform",
    "rai:dataAnnotationAnalysis",
    "rai:annotationsPerItem",
    "rai:annotatorDemographics",
    "rai:machineAnnotationTools",
    "rai:dataReleaseMaintenancePlan",
    "rai:personalSensitiveInformation",
    "rai:dataSocialImpact",
    "rai:dataBiases",
    "rai:dataLimitations",
    "rai:dataUseCases",
)

#: Names that answer the same question: a value given under one of them also fills the
#: others of its group that were not given themselves (the first given value, in this order).
ALIASES: tuple[tuple[str, ...], ...] = (
    ("source", "rai:dataCollectionRawData"),
    ("license", "distribution.license"),
    ("collection", "collection_process.acquisition", "rai:dataCollection"),
    (
        "sensitive_attributes",
        "composition.sensitive_subpopulations",
        "rai:personalSensitiveInformation",
    ),
    ("known_limitations", "rai:dataLimitations"),
    ("intended_use", "rai:dataUseCases"),
    ("composition.missing_data", "rai:dataCollectionMissingData"),
    ("preprocessing.cleaning", "rai:dataPreprocessingProtocol"),
    ("preprocessing.labeling", "rai:dataAnnotationProtocol"),
    ("maintenance.updates", "rai:dataReleaseMaintenancePlan"),
)

#: Every key ``metadata["card"]`` may hold.
CARD_KEYS: tuple[str, ...] = (
    DOCUMENTED_FIELDS
    + tuple(f"{section}.{name}" for section, names in DATASHEET_FIELDS.items() for name in names)
    + CROISSANT_RAI_FIELDS
)


def _plain(key: str, value: Any) -> Any:
    """``value`` as plain JSON data (a copy); a one-line :class:`DataError` if it is not."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"metadata['card'][{key!r}]: expected a JSON-serialisable value (text, number, "
            f"list, mapping or None), got {type(value).__name__} ({exc})"
        ) from None


def _given(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The values documented for card keys: top-level metadata first, ``card`` overriding."""
    if not isinstance(metadata, Mapping):
        raise DataError(f"metadata: expected a mapping, got {type(metadata).__name__}")
    card = metadata.get("card")
    card = {} if card is None else card
    if not isinstance(card, Mapping):
        raise DataError(f"metadata['card']: expected a mapping, got {type(card).__name__}")
    valid = set(CARD_KEYS)
    for key in card:
        if not isinstance(key, str) or key not in valid:
            closest = difflib.get_close_matches(str(key), CARD_KEYS, n=1, cutoff=0.0)
            raise DataError(
                f"metadata['card']: unknown key {key!r}; the closest valid key is "
                f"{closest[0]!r} (valid: the documented fields, 'section.field' datasheet "
                "names and 'rai:...' Croissant RAI properties; see trustbench.data.card)"
            )
    given = {
        key: _plain(key, metadata[key])
        for key in DOCUMENTED_FIELDS
        if key in metadata and metadata[key] is not None
    }
    given.update({key: _plain(key, value) for key, value in card.items() if value is not None})
    for group in ALIASES:
        value = next((given[name] for name in group if name in given), None)
        if value is not None:
            for name in group:
                given.setdefault(name, value)
    return given


def documented_card(name: str, metadata: Mapping[str, Any]) -> dict:
    """The dataset card of ``name``: every field present, ``None`` where nothing is known.

    Parameters
    ----------
    name : str
        The dataset's name (``TaskData.name``).
    metadata : mapping
        A ``TaskData.metadata`` dict. Its top-level ``source``, ``license``, ``attribution``,
        ``doi``, ``citation``, ... (any of :data:`DOCUMENTED_FIELDS`) are used, then
        ``metadata["card"]`` (optional), a mapping from any of :data:`CARD_KEYS` (a documented
        field, a ``"section.field"`` datasheet name, or a ``"rai:..."`` property) to a
        JSON-serialisable value, which overrides the top level. A value given under one name
        of an :data:`ALIASES` group also fills the group's other names not given themselves
        (e.g. ``license`` fills ``distribution.license``). ``None`` counts as not given.

    Returns
    -------
    dict
        JSON-serialisable: ``{"dataset": name, "documented": {field: value},
        "datasheet": {section: {field: value}}, "croissant_rai": {property: value}}`` with
        every field of :data:`DOCUMENTED_FIELDS`, :data:`DATASHEET_FIELDS` and
        :data:`CROISSANT_RAI_FIELDS` present, in that order. Values are copies.

    Raises
    ------
    DataError
        (a ``ValueError``) for an unknown key in ``metadata["card"]``, naming it and the
        closest valid key; for a value that is not JSON-serialisable; or when ``metadata``
        or ``metadata["card"]`` is not a mapping.
    """
    if not isinstance(name, str) or not name:
        raise DataError(f"name: expected a non-empty dataset name, got {name!r}")
    given = _given(metadata)
    return {
        "dataset": name,
        "documented": {key: given.get(key) for key in DOCUMENTED_FIELDS},
        "datasheet": {
            section: {field: given.get(f"{section}.{field}") for field in fields}
            for section, fields in DATASHEET_FIELDS.items()
        },
        "croissant_rai": {key: given.get(key) for key in CROISSANT_RAI_FIELDS},
    }
