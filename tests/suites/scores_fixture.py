"""Every suite's values on a small synthetic task, the record that chunked replicates keep.

    python tests/suites/scores_fixture.py   # rewrite tests/suites/fixtures/scores_synthetic.json

The fixture was first written at commit 2d915d5, before bootstrap replicates were drawn and
evaluated in bounded chunks (uint8 counts, :func:`trustbench.metrics.weights.replicated`);
``test_scores_unchanged.py`` checks that the values and intervals of every metric are still
those, at the default chunk size and at a chunk size of a few replicates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "fixtures" / "scores_synthetic.json"
N_SAMPLES = 1500
N_RESAMPLES = 200


def score_values() -> dict[str, list[Any]]:
    """``{family/metric: [value, ci_low, ci_high]}`` of a logistic regression on synthetic data."""
    from omegaconf import OmegaConf

    import trustbench.configs
    from trustbench.api import score
    from trustbench.data import load
    from trustbench.training import train

    configs = Path(trustbench.configs.__file__).parent
    model, trainer = (
        OmegaConf.to_container(OmegaConf.load(configs / group / "logreg.yaml"))
        if group == "model"
        else OmegaConf.to_container(OmegaConf.load(configs / group / "standard.yaml"))
        for group in ("model", "trainer")
    )
    task = load("synthetic", seed=0, n_samples=N_SAMPLES)
    trained = train(model, trainer, task, seed=0, device="cpu")
    report = score(
        trained.model,
        task,
        seed=0,
        training=trained.record,
        config={"bootstrap": {"n_resamples": N_RESAMPLES}},
    )
    values = {}
    for family, suite in report.suites.items():
        assert suite.status == "ok", (family, suite.reason)
        for m in suite.metrics:
            values[f"{family}/{m.name}"] = [m.value, m.ci_low, m.ci_high]
    return values


if __name__ == "__main__":
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(score_values(), indent=0, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE}")
