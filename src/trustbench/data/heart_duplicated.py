"""A duplicated copy of the Cleveland heart patients, as widely shared copies of the data are:
1,025 rows of which 304 are distinct patients (shipped table, repeated; no new data).

Several much-shared copies of the Cleveland heart data hold each patient about 3.4 times (one
has 1,025 rows of which 302 are unique). A random train/test split of such a table puts most
test patients in training as well, so every test number looks better than it is. This loader
rebuilds that situation from the shipped UCI table, so that the data suite's leakage checks
can be seen at work: ``trustbench dataset=heart_duplicated model=gbdt``.
"""

from __future__ import annotations

import numpy as np

from trustbench.data.heart import heart_metadata, heart_task, read_heart_table
from trustbench.data.registration import dataset
from trustbench.data.task import TaskData

__all__ = ["DUPLICATED_ROWS", "load_heart_duplicated"]

#: Rows of the duplicated table (the size of the widely shared copy).
DUPLICATED_ROWS = 1025
#: The duplication is part of the dataset, the same for every run seed.
_COPIES_SEED = 1025


def duplicated_cleveland() -> tuple[np.ndarray, int]:
    """Row positions of the duplicated table in the shipped heart table: every Cleveland
    patient once, then ``DUPLICATED_ROWS - 304`` more copies drawn uniformly (fixed seed),
    shuffled; and the number of distinct patients."""
    frame, _ = read_heart_table()
    cleveland = np.flatnonzero(frame["dataset"].to_numpy() == "Cleveland")
    rng = np.random.default_rng(_COPIES_SEED)
    extra = rng.choice(cleveland, size=DUPLICATED_ROWS - cleveland.size, replace=True)
    rows = rng.permutation(np.concatenate([cleveland, extra]))
    return rows, int(cleveland.size)


@dataset("heart_duplicated")
def load_heart_duplicated(
    *, seed: int = 0, test_size: float = 0.3, sensitive_as_features: bool = True
) -> TaskData:
    """The Cleveland patients of UCI Heart Disease, each repeated about 3.4 times (1,025 rows).

    The rows are the shipped table's 304 Cleveland patients, each once, plus 721 copies of
    them drawn uniformly with a fixed seed, shuffled: a table like the widely shared 1,025-row
    copy. Train and test are a random stratified split of the 1,025 rows (so most test rows
    have a twin in train); ``ood`` is the test split plus Gaussian noise (one hospital: no
    site to hold out). Target, sensitive attributes and missing values as in ``heart``. The
    data suite flags the twins and reports the test AUC with and without them.

    Parameters
    ----------
    seed : int
        Seed of the train/test split (the duplication itself is fixed).
    test_size : float
        Fraction of the rows in ``test``.
    sensitive_as_features : bool
        Whether ``sex`` is a model input.
    """
    frame, recoded = read_heart_table()
    rows, distinct = duplicated_cleveland()
    table = frame.iloc[rows].reset_index(drop=True)
    metadata = heart_metadata(recoded)
    card = dict(metadata.get("card", {}))
    card["known_limitations"] = (
        f"{DUPLICATED_ROWS} rows but only {distinct} distinct patients (the Cleveland patients "
        "of the UCI table, repeated as in widely shared copies): a random split leaks patients "
        "from train into test. " + str(card.get("known_limitations", ""))
    )
    card["composition.count"] = DUPLICATED_ROWS
    card["preprocessing.software"] = "trustbench.data.heart_duplicated.load_heart_duplicated"
    metadata["card"] = card
    metadata["duplication"] = (
        f"{distinct} Cleveland patients repeated to {DUPLICATED_ROWS} rows (fixed seed "
        f"{_COPIES_SEED}); the split is random over rows, not patients"
    )
    return heart_task(
        table,
        metadata,
        name="heart_duplicated",
        seed=seed,
        ood_sites=None,
        test_size=test_size,
        sensitive_as_features=sensitive_as_features,
    )
