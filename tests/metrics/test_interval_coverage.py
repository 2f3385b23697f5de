"""Coverage simulation: each registered interval covers the truth in 92-98% of draws (seeded).

The full table (more draws, two sample sizes) is in docs/intervals.md, written by
scripts/interval_coverage.py from the same :mod:`trustbench.metrics.coverage`.
"""

from __future__ import annotations

import pytest

from trustbench.metrics.coverage import CASES, coverage_table


@pytest.fixture(scope="module")
def table():
    return coverage_table(n=1000, n_draws=500, n_resamples=500, seed=11)


@pytest.mark.parametrize("case", list(CASES))
def test_registered_interval_covers_near_its_level(table, case):
    row = table[case]
    assert 0.92 <= row["coverage"] <= 0.98, row
    assert row["zero_width"] == 0.0, row


def test_the_percentile_bootstrap_fails_where_the_registered_method_does_not(table):
    # A rate with 0-2 events: the percentile interval collapses to [0, 0] whenever no event
    # falls in the sample, and covers far less than 95%.
    rare = table["TPR, group C (0-2 events)"]
    assert rare["method"] == "jeffreys" and rare["percentile"] < 0.85
    assert table["demographic parity gap (sex)"]["method"] in ("bc", "box")
    assert table["roc_auc drop (paired ood)"]["method"] == "percentile"
