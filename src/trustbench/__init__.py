"""trustbench: a benchmark harness for trustworthy machine learning.

Train (or bring) a model, score it on performance, explainability, generalization,
fairness and privacy, and record everything in MLflow.

    >>> import trustbench
    >>> data = trustbench.data.load("heart", seed=0)      # doctest: +SKIP
    >>> report = trustbench.score(model, data)            # doctest: +SKIP
    >>> trustbench.tracking.log(report)                   # doctest: +SKIP
"""

from trustbench import data, tracking
from trustbench.api import score
from trustbench.report import MetricResult, SuiteResult, TrustReport

__all__ = ["MetricResult", "SuiteResult", "TrustReport", "data", "score", "tracking"]
__version__ = "0.1.0"
