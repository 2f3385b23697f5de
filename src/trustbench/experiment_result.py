"""What one experiment produced (:class:`ExperimentResult`), and the exception that ends a
run whose suite failed (:class:`SuitesFailed`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trustbench.report import TrustReport


@dataclass
class ExperimentResult:
    """What one experiment produced.

    ``artifacts_dir`` is the local folder that holds the run's artifacts (its trust card,
    report, plots), None when the run kept no local copy.
    """

    report: TrustReport | None
    run_id: str | None
    seconds: float
    skipped: bool = False
    model: Any = None
    timings: dict[str, float] = field(default_factory=dict)
    artifacts_dir: Path | None = None

    @property
    def trust_card(self) -> Path | None:
        """The local ``trust_card.html`` of the run, None when there is none."""
        if self.artifacts_dir is None:
            return None
        card = Path(self.artifacts_dir) / "trust_card.html"
        return card if card.is_file() else None

    @property
    def failed_suites(self) -> dict[str, str]:
        """Family -> reason of every suite whose status is ``failed`` (empty when none)."""
        if self.report is None:
            return {}
        return {f: s.reason or "" for f, s in self.report.suites.items() if s.status == "failed"}

    def failure_line(self) -> str | None:
        """One line naming the failed suites and their errors, or None when none failed."""
        failed = self.failed_suites
        if not failed:
            return None
        what = "; ".join(f"{f}: {(r.splitlines() or [''])[0][:300]}" for f, r in failed.items())
        where = (
            f"; MLflow run {self.run_id} ended FAILED (tag trustbench.suites_failed), so "
            "resume=true runs it again"
            if self.run_id
            else ""
        )
        return f"suite(s) {', '.join(failed)} failed ({what}){where}"


class SuitesFailed(Exception):
    """Raised when a suite failed: inside the tracked run, so that its MLflow run ends FAILED
    (and ``resume=true`` does not count it as done); by the ``trustbench`` command of a sweep
    job, so that the sweep's other jobs still run and the sweep exits non-zero."""
