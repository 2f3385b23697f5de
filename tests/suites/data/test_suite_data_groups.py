"""The data suite's representation checks on train: share, prevalence (Jeffreys interval, against
statsmodels) and missingness per sensitive group and per site, the missing-rate gap and its
warning, and the small-group warning; every expected value is counted by hand from the table
the task was built from (its rows ``train.row_id``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from trustbench.api import merged_suite_config
from trustbench.data import build_task
from trustbench.data.task import TaskData
from trustbench.suites import audit_data, load_suite_config
from trustbench.suites.context import ScoringContext
from trustbench.suites.data.groups import group_results

FAST = {"bootstrap": {"n_resamples": 200}, "data": {"plots": False}}
FEATURES = ["x0", "x1", "x2", "sex", "age_group"]  # the sensitive columns are features too
AXES = {"sex": "groups/sex", "age_group": "groups/age_group", "hospital": "sites"}


def cohort(n: int = 600, seed: int = 1, missing: bool = True) -> tuple[pd.DataFrame, TaskData]:
    """A binary cohort with sex, an age group with a rare level, three hospitals (a site, no
    held-out one) and, with ``missing``, x1 missing in about 40% of the women's rows and x2
    in about 30% of hospital H2's."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    sex = rng.choice(np.array(["F", "M"]), n, p=[0.4, 0.6])
    age = np.where(rng.random(n) < 0.04, "rare", rng.choice(np.array(["young", "old"]), n))
    hospital = rng.choice(np.array(["H1", "H2", "H3"]), n)
    logit = X[:, 0] + X[:, 1] + 0.8 * (sex == "M") - 0.4
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    frame["sex"], frame["age_group"], frame["hospital"] = sex, age, hospital
    frame["label"] = np.where(logit + rng.normal(size=n) > 0, "yes", "no")
    if missing:
        frame.loc[(sex == "F") & (rng.random(n) < 0.4), "x1"] = np.nan
        frame.loc[(hospital == "H2") & (rng.random(n) < 0.3), "x2"] = np.nan
    task = build_task(
        frame,
        name="cohort",
        target="label",
        positive_label="yes",
        sensitive=["sex", "age_group"],
        site="hospital",
        seed=0,
    )
    return frame, task


def groups(task: TaskData, **data: object):
    """``(metrics by key, warnings)`` of the representation checks under ``suite.data``
    options ``data``."""
    cfg = load_suite_config(merged_suite_config({**FAST, "data": {**FAST["data"], **data}}))
    ctx = ScoringContext(model=None, task=task, proba={}, config=cfg, seed=0)
    metrics, warnings, _ = group_results(ctx, cfg.data)
    return {m.key: m for m in metrics}, warnings


@pytest.fixture(scope="module")
def built() -> tuple[pd.DataFrame, TaskData]:
    return cohort()


@pytest.fixture(scope="module")
def train_rows(built) -> pd.DataFrame:
    """The source table's train rows: what every hand count reads."""
    frame, task = built
    return frame.iloc[task.train.row_id].reset_index(drop=True)


def test_features_and_sites(built):
    _, task = built
    assert task.feature_names == FEATURES  # the site is never a feature
    assert set(task.splits) == {"train", "test"}
    assert sorted(np.unique(task.train.site)) == ["H1", "H2", "H3"]


@pytest.mark.parametrize("column", list(AXES))
def test_share_and_prevalence_per_group_are_hand_counts(built, train_rows, column):
    _, task = built
    got, _ = groups(task)
    n = len(train_rows)
    prevalences = []
    for group in sorted(train_rows[column].unique()):
        member = (train_rows[column] == group).to_numpy()
        size = int(member.sum())
        positives = int((train_rows["label"].to_numpy()[member] == "yes").sum())
        share = got[f"data/{AXES[column]}/{group}/share"]
        assert share.value == size / n
        assert (share.n, share.split, share.ci_low) == (size, "train", None)
        prevalence = got[f"data/{AXES[column]}/{group}/prevalence"]
        assert prevalence.value == pytest.approx(positives / size, abs=1e-12)
        low, high = proportion_confint(positives, size, alpha=0.05, method="jeffreys")
        assert prevalence.ci_low == pytest.approx(low, abs=1e-9)
        assert prevalence.ci_high == pytest.approx(high, abs=1e-9)
        assert (prevalence.ci_method, prevalence.ci_level, prevalence.n) == ("jeffreys", 0.95, size)
        prevalences.append(positives / size)
    assert sum(
        got[f"data/{AXES[column]}/{g}/share"].value for g in train_rows[column].unique()
    ) == (pytest.approx(1.0, abs=1e-12))
    gap = got[f"data/{AXES[column]}/prevalence_gap"]
    assert gap.value == pytest.approx(max(prevalences) - min(prevalences), abs=1e-12)
    assert gap.ci_low <= gap.ci_high


@pytest.mark.parametrize("column", list(AXES))
def test_missing_rate_per_group_is_the_hand_count_of_nan_cells(built, train_rows, column):
    _, task = built
    got, _ = groups(task)
    cells = train_rows[FEATURES].isna().to_numpy()
    assert cells.sum() > 0
    for group in train_rows[column].unique():
        member = (train_rows[column] == group).to_numpy()
        missing = int(cells[member].sum())
        rate = got[f"data/{AXES[column]}/{group}/missing_rate"]
        assert rate.value == pytest.approx(missing / (member.sum() * len(FEATURES)), abs=1e-12)
        assert f"{missing} missing cells" in rate.definition


def hand_gap(train_rows: pd.DataFrame, column: str) -> tuple[float, str]:
    """Largest, over features, highest minus lowest group share of missing cells; the feature."""
    share = train_rows[FEATURES].isna().groupby(train_rows[column]).mean()  # group x feature
    gaps = share.max() - share.min()
    return float(gaps.max()), str(gaps.idxmax())


@pytest.mark.parametrize(("column", "feature"), [("sex", "x1"), ("hospital", "x2")])
def test_missing_rate_gap_names_the_feature_and_warns_above_the_threshold(
    built, train_rows, column, feature
):
    _, task = built
    gap, worst = hand_gap(train_rows, column)
    assert worst == feature and gap > 0.2  # by construction
    what = "attribute 'sex'" if column == "sex" else "site"
    for threshold, warned in [(gap - 0.01, True), (gap + 0.01, False), (0.2, True)]:
        got, warnings = groups(task, warn={"missing_rate_gap": threshold})
        metric = got[f"data/{AXES[column]}/missing_rate_gap"]
        assert metric.value == pytest.approx(gap, abs=1e-12)
        assert f"feature '{feature}'" in metric.definition
        found = [w for w in warnings if w.startswith(f"data: {what}: feature '{feature}'")]
        assert len(found) == int(warned), (threshold, warnings)


def test_no_missing_values_no_missing_rate_or_gap_warning():
    _, task = cohort(missing=False)
    got, warnings = groups(task)
    for key, metric in got.items():
        if key.endswith(("/missing_rate", "/missing_rate_gap")):
            assert metric.value == 0.0, key
    assert not [w for w in warnings if "imputation" in w]


def test_small_group_warning_below_min_group_size(built, train_rows):
    _, task = built
    size = int((train_rows["age_group"] == "rare").sum())
    assert 0 < size < 30  # below the default (suite.fairness.min_group_size)
    message = f"data: attribute 'age_group' group 'rare' has {size} train rows"
    for minimum, warned in [(size + 1, True), (size, False), (0, False)]:
        _, warnings = groups(task, min_group_size=minimum)
        found = [w for w in warnings if w.startswith(message)]
        assert len(found) == int(warned), (minimum, warnings)
        assert all("group 'young'" not in w and "group 'old'" not in w for w in warnings)
    _, warnings = groups(task)  # the default threshold flags it too
    assert [w for w in warnings if w.startswith(message)]
    assert f"min_group_size={30}" in next(w for w in warnings if w.startswith(message))


def test_sites_keys_and_representation_table(built, train_rows):
    _, task = built
    cfg = load_suite_config(
        merged_suite_config({**FAST, "data": {**FAST["data"], "label_issues": False}})
    )
    audit = audit_data(task, cfg, seed=0)
    keys = {m.key for m in audit.metrics}
    for site in ("H1", "H2", "H3"):
        assert {f"data/sites/{site}/{m}" for m in ("share", "prevalence", "missing_rate")} <= keys
    assert {"data/sites/prevalence_gap", "data/sites/missing_rate_gap"} <= keys
    assert not [k for k in keys if "hospital" in k]  # the site is no sensitive attribute
    table = audit.artifacts["data/representation.parquet"]
    assert set(table["axis"]) == {"attribute 'sex'", "attribute 'age_group'", "site"}
    assert len(table) == (2 + 3 + 3) * len(FEATURES)
    site_rows = table[table["axis"] == "site"].set_index(["group", "feature"])
    for site in ("H1", "H2", "H3"):
        member = (train_rows["hospital"] == site).to_numpy()
        for feature in FEATURES:
            expected = train_rows[feature].isna().to_numpy()[member].mean()
            assert site_rows.loc[(site, feature), "missing_rate"] == pytest.approx(expected)
            assert site_rows.loc[(site, feature), "n"] == member.sum()
