"""The data suite through :func:`trustbench.score`: the audit computed inside or passed in gives
the same numbers, headline metrics first, the disabled status, ``data/card.json``, the trust
card's "Dataset card" section (escaping what a card field holds), and every data metric key
registered with its value in the registered range."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import trustbench
from trustbench.api import merged_suite_config
from trustbench.data import build_task
from trustbench.data.card import CROISSANT_RAI_FIELDS, DATASHEET_FIELDS, DOCUMENTED_FIELDS
from trustbench.data.task import TaskData
from trustbench.metrics import REGISTRY
from trustbench.models import make_preprocessor
from trustbench.reporting.card import render_card
from trustbench.suites import audit_data, load_suite_config

FAST = {"bootstrap": {"n_resamples": 200}, "data": {"plots": False}}
LEAN = {
    **FAST,
    "data": {"plots": False, "label_issues": False},
}  # where label issues are not the point
HOSTILE = "<script>alert(1)</script>"


def cohort(n: int = 400, copies: int = 120, seed: int = 0, **kwargs: object) -> TaskData:
    """A binary cohort with sex, three hospitals (H3 held out as ood), x1 missing in some
    women's rows, and ``copies`` rows repeated so that a random split leaks twins."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    sex = rng.choice(np.array(["F", "M"]), n, p=[0.45, 0.55])
    hospital = rng.choice(np.array(["H1", "H2", "H3"]), n, p=[0.4, 0.35, 0.25])
    logit = 1.5 * X[:, 0] - X[:, 1] + 0.5 * (sex == "M")
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    frame["sex"], frame["hospital"] = sex, hospital
    frame["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame.loc[(sex == "F") & (rng.random(n) < 0.2), "x1"] = np.nan
    frame = pd.concat([frame, frame.iloc[rng.choice(n, copies, replace=False)]])
    return build_task(
        frame.reset_index(drop=True),
        name="cohort",
        target="label",
        positive_label="yes",
        sensitive=["sex"],
        site="hospital",
        ood_sites=["H3"],
        seed=seed,
        **kwargs,
    )


def fitted(task: TaskData):
    model = make_pipeline(make_preprocessor(task.features), LogisticRegression(max_iter=500))
    return model.fit(task.train.X, task.train.y)


def rows(report) -> list[tuple]:
    return [
        (m.key, m.value, m.ci_low, m.ci_high, m.n, m.split, m.definition)
        for m in report.suites["data"].metrics
    ]


@pytest.fixture(scope="module")
def task() -> TaskData:
    return cohort()


@pytest.fixture(scope="module")
def model(task):
    return fitted(task)


@pytest.fixture(scope="module")
def report(task, model):
    return trustbench.score(model, task, suites=["data"], config=FAST, seed=3)


def test_the_suite_runs_and_finds_the_twins(report):
    data = report.suites["data"]
    assert data.status == "ok", data.reason
    keys = {m.key for m in data.metrics}
    assert {"data/splits/test/roc_auc_twin_free", "data/splits/test/twin_auc_inflation"} <= keys
    # the copies of H3 rows are all in ood (the held-out site): twins within ood, none in train
    assert next(m.value for m in data.metrics if m.key == "data/splits/ood/twin_share") == 0.0
    assert "data/splits/ood/roc_auc_twin_free" not in keys
    assert {"data/sites/H1/share", "data/groups/sex/F/missing_rate"} <= keys
    assert any("have a twin in train" in w for w in data.warnings)


def test_precomputed_audit_gives_the_same_numbers(task, model, report):
    audit = audit_data(task, load_suite_config(merged_suite_config(FAST)), seed=3)
    again = trustbench.score(model, task, suites=["data"], config=FAST, seed=3, data_audit=audit)
    assert again.suites["data"].status == "ok"
    assert rows(again) == rows(report)
    assert again.suites["data"].warnings == report.suites["data"].warnings
    assert again.suites["data"].notes == report.suites["data"].notes
    data_files = sorted(k for k in report.artifacts if k.startswith("data/"))
    assert sorted(k for k in again.artifacts if k.startswith("data/")) == data_files
    assert again.artifacts["data/card.json"] == report.artifacts["data/card.json"]
    assert any(m.ci_low is not None for m in report.suites["data"].metrics)
    # the audit passed in is the one used: another audit (seed, options) gives other numbers
    lean = audit_data(task, load_suite_config(merged_suite_config(LEAN)), seed=4)
    other = trustbench.score(model, task, suites=["data"], config=FAST, seed=3, data_audit=lean)
    assert not [key for key, *_ in rows(other) if key.startswith("data/labels/")]
    assert rows(other) != rows(report)


def _headline(key: str) -> bool:
    found = REGISTRY.require(key)
    return found.spec.headline and found.primary


def test_headline_metrics_come_first_in_registry_order(report):
    metrics = report.suites["data"].metrics
    flags = [_headline(m.key) for m in metrics]
    assert any(flags) and not all(flags)
    assert flags == sorted(flags, reverse=True), [m.key for m in metrics]
    order = {spec: i for i, spec in enumerate(REGISTRY.headlines("data"))}
    ranks = [order[REGISTRY.require(m.key).spec] for m, f in zip(metrics, flags, strict=True) if f]
    assert ranks == sorted(ranks)
    assert metrics[0].key == "data/splits/test/twin_share"


def test_disabled_suite(task, model):
    config = {**FAST, "data": {**FAST["data"], "enabled": False}}
    report = trustbench.score(model, task, suites=["data", "performance"], config=config)
    data = report.suites["data"]
    assert (data.status, data.metrics) == ("disabled", [])
    assert data.reason == "suite.data.enabled=false"
    assert not [k for k in report.artifacts if k.startswith("data/")]
    assert report.suites["performance"].status == "ok"


def test_card_json_holds_every_field(task, report):
    card = json.loads(report.artifacts["data/card.json"])
    assert {"documented", "datasheet", "croissant_rai", "measured"} <= set(card)
    assert card["dataset"] == "cohort"
    assert list(card["documented"]) == list(DOCUMENTED_FIELDS)
    assert {s: list(f) for s, f in card["datasheet"].items()} == {
        s: list(f) for s, f in DATASHEET_FIELDS.items()
    }
    assert list(card["croissant_rai"]) == list(CROISSANT_RAI_FIELDS)
    measured = card["measured"]
    assert measured["splits"] == {name: len(s) for name, s in task.splits.items()}
    assert measured["classes"] == ["no", "yes"] and measured["target"] == "label"
    assert measured["sensitive_attributes"] == ["sex"]
    metrics = {m.key: m for m in report.suites["data"].metrics if "twin_free" not in m.key}
    metrics = {k: m for k, m in metrics.items() if not k.endswith("twin_auc_inflation")}
    assert set(measured["metrics"]) == set(metrics)  # the model-free audit's metrics
    for key, metric in metrics.items():
        assert measured["metrics"][key]["value"] == pytest.approx(metric.value, nan_ok=True)
    assert measured["warnings"] == report.suites["data"].warnings


def test_trust_card_shows_the_dataset_card_and_escapes_its_fields():
    hostile = cohort(metadata={"card": {"known_limitations": HOSTILE}})
    model = fitted(hostile)
    report = trustbench.score(model, hostile, suites=["data"], config=LEAN)
    card = json.loads(report.artifacts["data/card.json"])
    assert card["documented"]["known_limitations"] == HOSTILE  # the data, kept as given
    assert card["croissant_rai"]["rai:dataLimitations"] == HOSTILE  # its alias
    html = render_card(report)
    assert "<h2>Dataset card</h2>" in html
    assert HOSTILE not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    benign = cohort(metadata={"card": {"known_limitations": "small"}})
    plain = render_card(trustbench.score(fitted(benign), benign, suites=["data"], config=LEAN))
    assert html.lower().count("<script") == plain.lower().count("<script")


def test_every_data_metric_is_registered_and_in_range(report):
    metrics = report.suites["data"].metrics
    assert len(metrics) > 30
    for metric in metrics:
        found = REGISTRY.resolve(metric.key)
        assert found is not None, metric.key
        spec = found.spec
        assert spec.family == "data" and metric.family == "data"
        assert metric.direction == spec.direction
        assert metric.value is not None and spec.contains(metric.value), metric.key
        if metric.ci_low is not None:
            assert spec.lower <= metric.ci_low <= metric.ci_high <= spec.upper, metric.key
