"""trustbench: a benchmark harness for trustworthy machine learning.

Train (or bring) a model, score it on performance, explainability, generalization,
fairness and privacy, and record everything in MLflow.

    >>> import trustbench
    >>> data = trustbench.data.load("heart", seed=0)      # doctest: +SKIP
    >>> report = trustbench.score(model, data)            # doctest: +SKIP
    >>> trustbench.tracking.log(report)                   # doctest: +SKIP
"""

import os as _os

# scikit-learn and torch each bring their own OpenMP runtime (libgomp). With libgomp's default
# busy-waiting, the idle thread team of one spins against the other's work: on 2 cores a small
# HistGradientBoosting fit ran 6x slower (1.9 s instead of 0.3 s). A short spin, set before
# either runtime loads, removes that without giving up threads. A value the user set wins.
_os.environ.setdefault("GOMP_SPINCOUNT", "10000")

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

if _TYPE_CHECKING:
    from trustbench import data, tracking
    from trustbench.api import score
    from trustbench.report import MetricResult, SuiteResult, TrustReport

__all__ = ["MetricResult", "SuiteResult", "TrustReport", "data", "score", "tracking"]
__version__ = "0.1.0"

#: Public name -> the module that defines it. Imported on first use (PEP 562), so that
#: ``import trustbench.run`` (the command line, ``--help``, a config error) loads neither
#: pandas nor scikit-learn nor torch.
_LAZY = {
    "data": "trustbench.data",
    "tracking": "trustbench.tracking",
    "score": "trustbench.api",
    "MetricResult": "trustbench.report",
    "SuiteResult": "trustbench.report",
    "TrustReport": "trustbench.report",
}


def __getattr__(name: str):
    """Import a public name of the package on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'trustbench' has no attribute {name!r}")
    module = _importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
