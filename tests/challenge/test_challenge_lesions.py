"""The image challenge end to end: kit -> validate -> score three teams -> board."""

from __future__ import annotations

import json
import shutil

import mlflow
import yaml

from trustbench.challenge.cli import run

SHRINK = [
    "challenge.suites.bootstrap.n_resamples=50",
    "challenge.suites.explainability.image_rows=8",
    "challenge.suites.explainability.robustness_rows=4",
    "challenge.suites.explainability.robustness_samples=2",
    "challenge.suites.explainability.faithfulness_runs=4",
    "challenge.suites.generalization.shifts.severities=[1.0]",
]


def test_lesions_challenge_from_kit_to_board(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(["kit", "challenge=lesions_trust", "output=kit", *SHRINK]) == 0
    examples = sorted((tmp_path / "kit" / "examples").iterdir())
    assert [p.name for p in examples] == ["onnx_baseline", "safetensors_baseline"]
    for example in examples:
        assert run(["validate", str(example)]) == 0
    out = capsys.readouterr().out
    assert sum(line.startswith("OK ") for line in out.splitlines()) == 2
    for i, example in enumerate([*examples, examples[0]]):
        target = tmp_path / "inbox" / f"team{i}"
        shutil.copytree(example, target)
        manifest = yaml.safe_load((target / "submission.yaml").read_text())
        manifest["team"] = f"Team {i}"
        (target / "submission.yaml").write_text(yaml.safe_dump(manifest))
    args = ["challenge=lesions_trust", "phase=final", *SHRINK]
    assert run(["score", "submissions=inbox", *args]) == 0
    assert run(["board", "output=board", *args[:2]]) == 0
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("challenge-lesions_trust")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.info.status for r in runs) == ["FINISHED"] * 3
    for r in runs:
        metrics = r.data.metrics
        assert "generalization/ood_roc_auc" in metrics
        assert "explainability/ablation/relevance_mass_accuracy" in metrics  # masks, hidden
        assert "generalization/shift/blur/1/accuracy" in metrics
        white = r.data.tags["trustbench.challenge.format"] == "safetensors"
        assert ("explainability/saliency/pointing_game" in metrics) == white
    board = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    assert sorted(row["label"] for row in board["rows"]) == ["Team 0", "Team 1", "Team 2"]
    assert "explainability/ablation/relevance_mass_accuracy" in board["ranking_metrics"]
    assert board["challenge"] == {"name": "lesions_trust", "phase": "final", "board": "private"}
