"""The spec tables of every metric family; :data:`trustbench.metrics.REGISTRY` is built from them.

One module per family. A spec is declared once; derived metrics (``ood_<m>``, ``<m>_drop``,
per-site and per-shift values, fairness gaps) are generated from the spec or table they derive
from, so their direction, range and definition follow it.
"""

from trustbench.metrics.specs.data import SPECS as DATA
from trustbench.metrics.specs.explainability import SPECS as EXPLAINABILITY
from trustbench.metrics.specs.fairness import LEGACY_KEYS
from trustbench.metrics.specs.fairness import SPECS as FAIRNESS
from trustbench.metrics.specs.generalization import SPECS as GENERALIZATION
from trustbench.metrics.specs.performance import REGISTERED as PERFORMANCE
from trustbench.metrics.specs.privacy import SPECS as PRIVACY
from trustbench.metrics.specs.uncertainty import SPECS as UNCERTAINTY

ALL_SPECS = (
    *DATA,
    *PERFORMANCE,
    *FAIRNESS,
    *GENERALIZATION,
    *UNCERTAINTY,
    *EXPLAINABILITY,
    *PRIVACY,
)

__all__ = ["ALL_SPECS", "LEGACY_KEYS"]
