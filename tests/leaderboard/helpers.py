"""Hand-built run records for leaderboard tests."""

from __future__ import annotations

from trustbench.leaderboard import RunRecord


def record(
    run_id: str,
    model: str,
    seed: int,
    metrics: dict[str, float | tuple[float, float, float]],
    status: str = "FINISHED",
    end_time: int = 0,
    **params: str,
) -> RunRecord:
    """A run of ``model`` with ``seed``; a metric given as ``(value, low, high)`` gets a CI."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, tuple):
            flat[key] = value[0]
            flat[f"{key}/ci_low"] = value[1]
            flat[f"{key}/ci_high"] = value[2]
        else:
            flat[key] = value
    return RunRecord(
        run_id=run_id,
        status=status,
        params={
            "model.name": model,
            "seed": str(seed),
            "tracking.uri": "sqlite:///x.db",
            "training.seconds": str(1.0 + seed),
            **params,
        },
        tags={},
        metrics=flat,
        end_time=end_time,
    )
