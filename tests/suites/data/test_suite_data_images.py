"""The data suite on an image task (lesions, small): exact and near twins of train images in
test, unrelated images not counted as twins, image properties (brightness, contrast, blur,
border) in place of columns for drift, the domain classifier and shortcuts, and label issues
as a note instead of a metric."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from scipy.stats import ks_2samp

from trustbench.api import merged_suite_config
from trustbench.data import load
from trustbench.data.task import TaskData
from trustbench.metrics.data_shortcuts import image_properties
from trustbench.report import MetricResult
from trustbench.suites import audit_data, load_suite_config
from trustbench.suites.data.suite import DataAudit

CONFIG = load_suite_config(
    merged_suite_config({"bootstrap": {"n_resamples": 200}, "data": {"plots": False}})
)
#: Small scans (the loader's minimum, 8 pixels, is tested on its own below).
SMALL = {"n_samples": 160, "n_ood": 40, "size": 16}
PROPERTIES = {"brightness", "contrast", "blur", "border"}
COPIES = 6


@pytest.fixture(scope="module")
def lesions() -> TaskData:
    return load("lesions", seed=0, **SMALL)


@pytest.fixture(scope="module")
def shipped(lesions) -> DataAudit:
    return audit_data(lesions, CONFIG, seed=0)


def _values(audit: DataAudit) -> dict[str, MetricResult]:
    return {m.key: m for m in audit.metrics}


def _with_split(task: TaskData, name: str, X: np.ndarray) -> TaskData:
    split = dataclasses.replace(task.splits[name], X=X.astype(np.float32))
    return dataclasses.replace(task, splits={**task.splits, name: split})


def _test_with_copies(task: TaskData, images: np.ndarray) -> TaskData:
    """``task`` with its first test images replaced by ``images``."""
    X = task.test.X.copy()
    X[: len(images)] = images
    return _with_split(task, "test", X)


def _named(metric: MetricResult) -> str:
    found = re.search(r"(?:feature|image property) '([^']+)'", metric.definition)
    assert found, metric.definition
    return found.group(1)


# -- twins -------------------------------------------------------------------------------------


def test_exact_copies_of_train_images_in_test_are_twins(lesions):
    task = _test_with_copies(lesions, lesions.train.X[:COPIES])
    found = _values(audit_data(task, CONFIG, seed=0))
    share = COPIES / len(task.test)
    assert found["data/splits/test/twin_share"].value == pytest.approx(share)
    assert found["data/splits/test/near_twin_share"].value == pytest.approx(share)
    assert found["data/splits/ood/twin_share"].value == 0.0


def test_a_noisy_brightened_copy_is_a_near_twin_not_an_exact_one(lesions):
    source = lesions.train.X[:COPIES]
    noise = np.random.default_rng(0).normal(0.0, 0.005, source.shape)  # about 1/255
    changed = np.clip(1.1 * source + 0.03 + noise, 0.0, 1.0)
    audit = audit_data(_test_with_copies(lesions, changed), CONFIG, seed=0)
    found = _values(audit)
    assert found["data/splits/test/twin_share"].value == 0.0
    near = found["data/splits/test/near_twin_share"]
    assert near.value == pytest.approx(COPIES / len(lesions.test))
    assert "average hashes within 4 bits" in near.definition
    twins = audit.artifacts["data/twins.parquet"]
    assert sorted(twins["row_id"]) == sorted(lesions.test.row_id[:COPIES])
    assert not twins["exact"].any()
    [warning] = [w for w in audit.warnings if "have a twin in train" in w]
    assert f"({COPIES} exact" not in warning and f"0 exact, {COPIES} near" in warning


def test_unrelated_images_are_not_near_twins(shipped):
    found = _values(shipped)
    for split in ("test", "ood"):
        assert found[f"data/splits/{split}/twin_share"].value == 0.0
        assert found[f"data/splits/{split}/near_twin_share"].value == 0.0
    assert "data/twins.parquet" not in shipped.artifacts
    assert not [w for w in shipped.warnings if "twin" in w]


def test_the_smallest_scans_the_loader_makes_are_audited():
    """The loader's minimum (10 scans of 8x8 pixels): smaller than the 16x16 thumbnails, yet
    an exact copy is still a twin and unrelated scans are not."""
    task = load("lesions", seed=0, n_samples=10, n_ood=2, size=8)
    found = _values(audit_data(task, CONFIG, seed=0))
    assert found["data/splits/test/near_twin_share"].value == 0.0
    copied = _values(audit_data(_test_with_copies(task, task.train.X[:1]), CONFIG, seed=0))
    assert copied["data/splits/test/twin_share"].value == pytest.approx(1 / len(task.test))
    assert copied["data/splits/test/near_twin_share"].value == pytest.approx(1 / len(task.test))


# -- image properties in place of columns -------------------------------------------------------


def test_image_properties_are_the_drift_features(lesions, shipped):
    table = shipped.artifacts["data/drift.parquet"]
    assert set(table["feature"]) == PROPERTIES and (table["kind"] == "continuous").all()
    assert sorted(table["split"].value_counts().items()) == [("ood", 4), ("test", 4)]
    found = _values(shipped)
    assert not [key for key in found if key.endswith("/max_js")]  # no categorical property
    train = image_properties(lesions.train.X)
    for split in ("test", "ood"):
        ks = found[f"data/drift/{split}/max_ks"]
        other = image_properties(lesions.splits[split].X)
        name = _named(ks)
        assert ks.value == pytest.approx(ks_2samp(train[name], other[name]).statistic, abs=1e-12)
    # scanner D (the ood split) is darker, blurrier and noisier: told apart, not a warning
    assert found["data/drift/ood/max_ks"].value > 0.5
    assert found["data/drift/ood/domain_auc"].value > 0.9
    assert found["data/drift/test/domain_auc"].value < CONFIG.data.warn.domain_auc
    assert not [w for w in shipped.warnings if "domain AUC" in w]


def test_a_brighter_test_split_drifts_in_brightness(lesions):
    task = _with_split(lesions, "test", np.clip(lesions.test.X + 0.15, 0.0, 1.0))
    audit = audit_data(task, CONFIG, seed=0)
    found = _values(audit)
    ks = found["data/drift/test/max_ks"]
    assert _named(ks) == "brightness" and ks.value > 0.9
    assert found["data/drift/test/domain_auc"].value > 0.9
    assert [w for w in audit.warnings if "test rows can be told from train rows" in w]


def test_max_feature_auc_names_an_image_property(shipped):
    best = _values(shipped)["data/shortcuts/max_feature_auc"]
    assert _named(best) in PROPERTIES and "image property" in best.definition
    assert best.value < CONFIG.data.warn.shortcut_auc
    assert not [w for w in shipped.warnings if "alone predicts the label" in w]
    table = shipped.artifacts["data/shortcuts.parquet"]
    assert set(table["column"]) == {*PROPERTIES, "(site)"}


def test_brighter_positive_scans_are_a_brightness_shortcut(lesions):
    train = lesions.train
    brighter = np.where(train.y[:, None, None, None] == 1, 0.2, 0.0)
    task = _with_split(lesions, "train", np.clip(train.X + brighter, 0.0, 1.0))
    audit = audit_data(task, CONFIG, seed=0)
    best = _values(audit)["data/shortcuts/max_feature_auc"]
    assert _named(best) == "brightness" and best.value > 0.95
    assert [w for w in audit.warnings if "the image property 'brightness' alone predicts" in w]


# -- label issues ------------------------------------------------------------------------------


def test_label_issues_are_a_note_not_a_metric(shipped):
    assert not [m.key for m in shipped.metrics if "label_issue" in m.key]
    assert "data/label_issues.parquet" not in shipped.artifacts
    [note] = [n for n in shipped.notes if "label issues not searched" in n]
    assert "image task" in note


def test_scanner_intensity_statistics_per_split_and_site(lesions, shipped):
    table = shipped.artifacts["data/sites.parquet"]
    for split_name, split in lesions.splits.items():
        props = image_properties(split.X)
        sites = np.asarray(split.site).astype(str)
        rows = table[table["split"] == split_name].set_index("site")
        assert sorted(rows.index) == sorted(set(sites))
        for site in set(sites):
            member = sites == site
            assert rows.loc[site, "n"] == member.sum()
            assert rows.loc[site, "brightness_mean"] == pytest.approx(
                props["brightness"][member].mean()
            )
            assert rows.loc[site, "contrast_std"] == pytest.approx(
                props["contrast"][member].std(ddof=1), nan_ok=True
            )
    assert any("scanner intensities" in note for note in shipped.notes)


def test_tabular_tasks_have_no_scanner_table():
    audit = audit_data(load("heart", seed=0), CONFIG, seed=0)
    assert "data/sites.parquet" not in audit.artifacts
