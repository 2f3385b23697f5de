"""A realistic messy clinical table, as a hospital export looks: for the data tests.

2,000 patients with 1 to 4 admissions each (``patient_id`` repeats), an ``admit_date`` per
admission from 2016 to 2023, ``age`` missing on 3% of rows, ``sex`` missing on 30 rows, a lab
value missing now and then, and a ``died``/``survived`` outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["N_PATIENTS", "messy_cohort"]

N_PATIENTS = 2000


def messy_cohort(seed: int = 0, n_patients: int = N_PATIENTS) -> pd.DataFrame:
    """One row per admission, in admission order, as written to a CSV by a hospital system.

    Parameters
    ----------
    seed : int
        Seed of every draw.
    n_patients : int
        Number of distinct patients.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id`` (``P00001`` ...), ``admit_date`` (``YYYY-MM-DD`` text), ``age``
        (float, 3% missing), ``sex`` (``F``/``M``, 30 missing), ``lactate`` (float, about 5%
        missing), ``heart_rate``, ``ward`` (4 wards) and ``outcome`` (``died``/``survived``).
    """
    rng = np.random.default_rng(seed)
    visits = rng.integers(1, 5, n_patients)
    pid = np.repeat(np.arange(1, n_patients + 1), visits)
    n = len(pid)
    base_age = rng.normal(62, 15, n_patients).clip(18, 99)
    sex = rng.choice(np.array(["F", "M"], dtype=object), n_patients)
    frailty = rng.normal(size=n_patients)  # a patient's own risk, shared by their visits
    first_day = rng.integers(0, 365 * 7, n_patients)
    visit_no = np.concatenate([np.arange(k) for k in visits])
    gaps = np.where(visit_no == 0, 0, rng.integers(20, 300, n))  # days since the last visit
    day = first_day[pid - 1] + pd.Series(gaps).groupby(pid).cumsum().to_numpy()
    dates = pd.Timestamp("2016-01-01") + pd.to_timedelta(day, unit="D")
    age = (base_age[pid - 1] + day / 365.25 - first_day[pid - 1] / 365.25).round(0)
    lactate = rng.gamma(2.0, 1.0, n) + 0.5 * frailty[pid - 1].clip(0)
    heart_rate = rng.normal(85, 15, n) + 5 * frailty[pid - 1]
    logit = -2.5 + 0.05 * (age - 62) + 0.6 * (lactate - 2) + 0.8 * frailty[pid - 1]
    died = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "patient_id": [f"P{p:05d}" for p in pid],
            "admit_date": dates.strftime("%Y-%m-%d"),
            "age": age,
            "sex": sex[pid - 1],
            "lactate": lactate.round(2),
            "heart_rate": heart_rate.round(0),
            "ward": rng.choice(np.array(["A", "B", "C", "D"], dtype=object), n),
            "outcome": np.where(died, "died", "survived"),
        }
    )
    frame.loc[rng.choice(n, round(0.03 * n), replace=False), "age"] = np.nan
    frame.loc[rng.choice(n, 30, replace=False), "sex"] = np.nan
    frame.loc[rng.random(n) < 0.05, "lactate"] = np.nan
    return frame.sort_values(["admit_date", "patient_id"], kind="stable").reset_index(drop=True)
