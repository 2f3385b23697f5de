"""End to end: a two-seed sweep (4 runs) -> trustbench-leaderboard -> headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import SMALL
from tests.leaderboard.browser import chromium, require_chromium

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_ENV = "TRUSTBENCH_SAVE_SCREENSHOT"


def _run(args: list[str], cwd: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]


@pytest.mark.slow
def test_sweep_to_site_renders_and_sorts_in_chromium(tmp_path: Path):
    require_chromium()
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    _run(
        [
            "trustbench.run",
            "-m",
            "model=logreg,mlp",
            "seed=0,1",
            *SMALL,
            "suite.bootstrap.n_resamples=50",
            "suite.explainability.n_rows=20",
            "tracking.log_model=false",
            f"tracking.uri={uri}",
        ],
        tmp_path,
    )
    # every run logged its trust card
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri)
    (experiment,) = [x for x in client.search_experiments() if x.name == "trustbench"]
    run = client.search_runs([experiment.experiment_id], max_results=1)[0]
    card = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id,
            artifact_path="trust_card.html",
            dst_path=str(tmp_path / "card"),
            tracking_uri=uri,
        )
    ).read_text()
    assert "Trust card · heart" in card and "data:image/png;base64," in card

    site = tmp_path / "site"
    _run(["trustbench.leaderboard.cli", f"tracking_uri={uri}", f"output_dir={site}"], tmp_path)
    board = json.loads((site / "leaderboard.json").read_text())
    assert board["counts"]["runs"] == 4 and board["counts"]["ranked"] == 2
    assert {r["n_seeds"] for r in board["rows"]} == {2}
    # two seeds each: flagged, still ranked, and the board says why it cannot tell them apart
    assert all(r["too_few_seeds"] for r in board["rows"]) and len(board["warnings"]) == 1

    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get((site / "index.html").as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
        labels = [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows]
        assert sorted(labels) == ["model=logreg", "model=mlp"]
        warning = driver.find_element(By.ID, "seed-warning")
        assert warning.is_displayed() and "fewer than 5 seeds" in warning.text
        assert "seed=0,1,2,3,4" in warning.text
        assert [r.get_attribute("data-too-few-seeds") for r in rows] == ["true", "true"]

        def column(index: int) -> list[str]:
            cells = driver.find_elements(
                By.CSS_SELECTOR, f"#ranking tbody tr td:nth-child({index})"
            )
            return [c.text for c in cells]

        header = driver.find_element(By.CSS_SELECTOR, "#ranking thead th:nth-child(2)")
        header.click()
        assert header.get_attribute("aria-sort") == "ascending"
        assert column(2) == ["model=logreg", "model=mlp"]
        header.click()
        assert header.get_attribute("aria-sort") == "descending"
        assert column(2) == ["model=mlp", "model=logreg"]

        # the family selector shows that family's columns only
        driver.find_element(By.CSS_SELECTOR, "#family option[value='privacy']").click()
        visible = [
            th.text
            for th in driver.find_elements(By.CSS_SELECTOR, "#metrics thead th")
            if th.is_displayed()
        ]
        assert visible[2:] and all(t.startswith("privacy/") for t in visible[2:])
        driver.find_element(By.CSS_SELECTOR, "#family option[value='ranking']").click()
        assert driver.find_elements(By.CSS_SELECTOR, "svg circle")  # trade-off plots drawn

        shot = tmp_path / "screenshot.png"
        driver.set_window_size(1400, 2000)
        assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get(SCREENSHOT_ENV):
        target = REPO / "results" / "leaderboard" / "screenshot.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
