"""The dataset card: every field present, unknowns left visibly empty, typos refused."""

from __future__ import annotations

import json

import pytest

import trustbench.data
from trustbench.data.card import (
    ALIASES,
    CARD_KEYS,
    CROISSANT_RAI_FIELDS,
    DATASHEET_FIELDS,
    DOCUMENTED_FIELDS,
    documented_card,
)

#: The loaders' arguments for a quick load (lesions: its smallest configuration).
BUILT_IN = {
    "heart": {},
    "breast_cancer": {},
    "digits": {},
    "synthetic": {"n_samples": 200},
    "lesions": {"n_samples": 10, "n_ood": 2, "size": 8},
}

#: The dataset-level properties of croissant_rai.ttl (Croissant RAI 1.0), as published.
RAI_1_0 = {
    "dataCollection", "dataCollectionType", "dataCollectionMissingData", "dataCollectionRawData",
    "dataCollectionTimeframe", "dataPreprocessingProtocol", "dataImputationProtocol",
    "dataManipulationProtocol", "dataAnnotationProtocol", "dataAnnotationPlatform",
    "dataAnnotationAnalysis", "annotationsPerItem", "annotatorDemographics",
    "machineAnnotationTools", "dataReleaseMaintenancePlan", "personalSensitiveInformation",
    "dataSocialImpact", "dataBiases", "dataLimitations", "dataUseCases",
}  # fmt: skip


def _assert_complete(card: dict, name: str) -> None:
    assert list(card) == ["dataset", "documented", "datasheet", "croissant_rai"]
    assert card["dataset"] == name
    assert tuple(card["documented"]) == DOCUMENTED_FIELDS
    assert list(card["datasheet"]) == list(DATASHEET_FIELDS)
    for section, fields in DATASHEET_FIELDS.items():
        assert tuple(card["datasheet"][section]) == fields
    assert tuple(card["croissant_rai"]) == CROISSANT_RAI_FIELDS
    assert json.loads(json.dumps(card, allow_nan=False)) == card


def _values(card: dict) -> list:
    return (
        list(card["documented"].values())
        + [v for section in card["datasheet"].values() for v in section.values()]
        + list(card["croissant_rai"].values())
    )


def test_vocabularies():
    assert {key.removeprefix("rai:") for key in CROISSANT_RAI_FIELDS} == RAI_1_0
    assert all(key.startswith("rai:") for key in CROISSANT_RAI_FIELDS)
    assert list(DATASHEET_FIELDS) == [
        "motivation", "composition", "collection_process", "preprocessing", "uses",
        "distribution", "maintenance",
    ]  # fmt: skip
    for fields in DATASHEET_FIELDS.values():
        assert 3 <= len(fields) <= 7
        assert all(f.isidentifier() and f == f.lower() for f in fields)
    assert {"instances", "count", "sampling", "missing_data", "confidential"} <= set(
        DATASHEET_FIELDS["composition"]
    )
    assert len(CARD_KEYS) == len(set(CARD_KEYS))
    assert all(name in CARD_KEYS for group in ALIASES for name in group)


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_built_in_datasets_have_a_complete_card(name):
    task = trustbench.data.load(name, seed=0, **BUILT_IN[name])
    card = documented_card(task.name, task.metadata)
    _assert_complete(card, name)
    documented = card["documented"]
    for key in ("source", "license", "collection", "sensitive_attributes", "intended_use"):
        assert documented[key] is not None, key
    assert documented["license"] == card["datasheet"]["distribution"]["license"]
    assert card["datasheet"]["composition"]["count"] == task.metadata["n_rows"]
    assert card["datasheet"]["composition"]["label"]
    assert card["croissant_rai"]["rai:dataLimitations"] == documented["known_limitations"]
    # a site column's values are all described
    sites = {str(s) for split in task.splits.values() if split.site is not None for s in split.site}
    assert sites == set(documented["sites"])
    assert set(documented["sensitive_attributes"]) == set(task.sensitive_names)


def test_heart_card_states_its_sources():
    task = trustbench.data.load("heart", seed=0)
    card = documented_card("heart", task.metadata)
    documented = card["documented"]
    assert documented["doi"] == "10.24432/C52P4X"
    assert "CC BY 4.0" in documented["license"]
    assert "https://doi.org/10.24432/C52P4X" in documented["citation"]
    assert documented["attribution"].endswith("HEART_LICENSE.md")
    assert documented["target_definition"] == "disease = 'present' if num > 0 else 'absent'"
    assert card["croissant_rai"]["rai:dataCollectionTimeframe"] == "1981/1988"
    assert "Hungarian Institute of Cardiology" in documented["collection"]
    assert card["croissant_rai"]["rai:dataCollection"] == documented["collection"]


@pytest.mark.parametrize("name", ["synthetic", "lesions"])
def test_generated_data_say_no_person_is_in_them(name):
    task = trustbench.data.load(name, seed=0, **BUILT_IN[name])
    card = documented_card(name, task.metadata)
    assert "no patients, no personal information" in card["documented"]["collection"]
    assert card["croissant_rai"]["rai:personalSensitiveInformation"].startswith("none")
    assert card["documented"]["doi"] is None  # nothing to cite: left visibly empty


def test_csv_like_metadata_with_nothing_gives_all_none():
    card = documented_card("my_table", {"seed": 0, "n_rows": 12, "split_sizes": {"train": 8}})
    _assert_complete(card, "my_table")
    assert all(value is None for value in _values(card))
    assert documented_card("my_table", {"card": None}) == card
    assert documented_card("my_table", {"card": {}}) == card


def test_csv_loader_metadata_fills_only_source_and_license():
    metadata = {"source": "/data/table.csv", "license": "unknown (user-provided file)"}
    card = documented_card("csv", metadata)
    flat = {
        **card["documented"],
        **{f"{s}.{f}": v for s, fields in card["datasheet"].items() for f, v in fields.items()},
        **card["croissant_rai"],
    }
    assert set(flat) == set(CARD_KEYS)
    filled = {key for key, value in flat.items() if value is not None}
    assert filled == {"source", "license", "rai:dataCollectionRawData", "distribution.license"}


def test_card_keys_fill_every_view_and_override_the_top_level():
    metadata = {
        "source": "top-level source",
        "license": "top-level licence",
        "card": {
            "license": "CC0",
            "composition.count": 3,
            "composition.confidential": None,  # explicitly unknown
            "rai:dataBiases": ["all from one site"],
            "rai:dataLimitations": "explicit RAI text",
            "known_limitations": "documented text",
            "sites": {"a": "site a"},
        },
    }
    card = documented_card("toy", metadata)
    _assert_complete(card, "toy")
    assert card["documented"]["source"] == "top-level source"
    assert card["documented"]["license"] == "CC0"
    assert card["datasheet"]["distribution"]["license"] == "CC0"  # alias
    assert card["croissant_rai"]["rai:dataCollectionRawData"] == "top-level source"  # alias
    assert card["datasheet"]["composition"]["count"] == 3
    assert card["datasheet"]["composition"]["confidential"] is None
    assert card["croissant_rai"]["rai:dataBiases"] == ["all from one site"]
    # an explicit value is never replaced by its alias
    assert card["croissant_rai"]["rai:dataLimitations"] == "explicit RAI text"
    assert card["documented"]["known_limitations"] == "documented text"
    # values are copies
    card["documented"]["sites"]["a"] = "changed"
    assert metadata["card"]["sites"] == {"a": "site a"}


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        ("licence", "license"),
        ("composition.cout", "composition.count"),
        ("rai:dataBias", "rai:dataBiases"),
        ("rai:datacollectiontimeframe", "rai:dataCollectionTimeframe"),
        ("count", "composition.count"),
    ],
)
def test_unknown_card_keys_are_refused_with_the_closest_one(key, closest):
    with pytest.raises(ValueError, match="unknown key") as info:
        documented_card("toy", {"card": {key: "x"}})
    message = str(info.value)
    assert repr(key) in message
    assert f"closest valid key is {closest!r}" in message
    assert "\n" not in message


def test_bad_values_and_containers_are_refused():
    with pytest.raises(ValueError, match=r"metadata\['card'\]\['composition.count'\]: expected a"):
        documented_card("toy", {"card": {"composition.count": object()}})
    with pytest.raises(ValueError, match=r"JSON-serialisable"):
        documented_card("toy", {"card": {"composition.count": float("nan")}})
    with pytest.raises(ValueError, match=r"metadata\['card'\]: expected a mapping, got list"):
        documented_card("toy", {"card": ["license"]})
    with pytest.raises(ValueError, match=r"metadata: expected a mapping, got str"):
        documented_card("toy", "heart")
    with pytest.raises(ValueError, match=r"name: expected a non-empty dataset name"):
        documented_card("", {})
