import os

from trustbench.tracking import flatten, prepare_experiment, resolve_tracking_uri, run_identity


def test_relative_sqlite_uri_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (
        resolve_tracking_uri("sqlite:///mlflow.db")
        == f"sqlite:///{os.path.realpath(tmp_path)}/mlflow.db"
    )
    assert resolve_tracking_uri("sqlite:////abs/x.db") == "sqlite:////abs/x.db"
    assert resolve_tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_prepare_experiment_is_idempotent(tmp_path):
    uri = f"sqlite:///{tmp_path}/store/mlflow.db"
    first = prepare_experiment(uri, "exp")
    assert prepare_experiment(uri, "exp") == first
    assert prepare_experiment(uri, "other") != first


def test_run_identity_ignores_tracking_but_not_what_is_computed():
    config = {"seed": 0, "model": {"name": "mlp"}, "tracking": {"uri": "a"}}
    same = run_identity({**config, "tracking": {"uri": "b"}, "run_name": "x"}, "fp", "0.1")
    assert run_identity(config, "fp", "0.1") == same
    assert run_identity({**config, "seed": 1}, "fp", "0.1") != same
    assert run_identity(config, "fp2", "0.1") != same
    assert run_identity(config, "fp", "0.2") != same


def test_flatten():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": None}) == {"a.b": 1, "a.c": [1, 2], "d": None}
