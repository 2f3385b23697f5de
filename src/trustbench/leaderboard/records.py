"""RunRecord: the plain, library-free view of one tracked run that the leaderboard works on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from trustbench.metrics import REGISTRY

#: Suffixes of the interval bounds the tracking layer logs beside each metric.
CI_SUFFIXES = ("/ci_low", "/ci_high")


@dataclass(frozen=True)
class RunRecord:
    """One run: identity, status, params, tags and metrics (interval bounds included).

    Attributes
    ----------
    run_id : str
    status : str
        MLflow status: ``FINISHED``, ``FAILED``, ``KILLED``, ``RUNNING`` or ``SCHEDULED``.
    params, tags : dict of str to str
    metrics : dict of str to float
        Every logged metric, including ``<key>/ci_low`` and ``<key>/ci_high``.
    experiment_id : str
    end_time : int
        Milliseconds since the epoch (0 when unknown); the latest finished duplicate wins.
    artifact_uri : str
        The run's artifact root ("" when unknown); the board links its trust card from it.
    """

    run_id: str
    status: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    experiment_id: str = ""
    end_time: int = 0
    artifact_uri: str = ""

    def metric_keys(self) -> list[str]:
        """The metric keys of this run without the interval-bound keys, sorted."""
        return sorted(k for k in self.metrics if not k.endswith(CI_SUFFIXES))

    def interval(self, key: str) -> tuple[float, float] | None:
        """``(ci_low, ci_high)`` of ``key`` when both bounds were logged, else None."""
        low = self.metrics.get(f"{key}/ci_low")
        high = self.metrics.get(f"{key}/ci_high")
        return None if low is None or high is None else (low, high)


def canonical_key(key: str) -> str:
    """Today's name of a logged key (or of its ``/ci_low``/``/ci_high`` bound): runs logged
    with an earlier key layout are read under today's keys (see ``REGISTRY.canonical``)."""
    for suffix in CI_SUFFIXES:
        if key.endswith(suffix):
            return REGISTRY.canonical(key[: -len(suffix)]) + suffix
    return REGISTRY.canonical(key)


def canonical_record(record: RunRecord) -> RunRecord:
    """``record`` with every metric key in today's layout (the same object when nothing moves)."""
    renamed = {canonical_key(k): v for k, v in record.metrics.items()}
    if renamed.keys() == record.metrics.keys():
        return record
    return replace(record, metrics=renamed)
