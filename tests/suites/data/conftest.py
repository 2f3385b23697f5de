"""The data suite's tests call its checks directly (as the audit does for small tables, with
one thread): on a few shared cores, spinning OpenMP workers can make the checks' 0.1 s
gradient-boosting fits (shortcuts, domain classifier, label issues) take seconds each."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One OpenMP thread for every test module in this folder."""
    with threadpool_limits(1):
        yield
