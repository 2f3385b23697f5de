from trustbench.tracking.run_names import run_name


def test_default_name_is_dataset_model_trainer_seed():
    config = {
        "dataset": {"name": "heart"},
        "model": {"name": "logreg"},
        "trainer": {"name": "standard"},
        "seed": 0,
        "run_name": None,
    }
    assert run_name(config) == "heart-logreg-standard-s0"


def test_csv_runs_are_named_by_their_file_and_odd_characters_replaced():
    config = {
        "dataset": {"name": "csv", "path": "/data/my cohort (2024).csv"},
        "model": {"name": "mlp"},
        "trainer": {"name": "dp"},
        "seed": 3,
    }
    assert run_name(config) == "my_cohort_2024-mlp-dp-s3"


def test_a_given_run_name_wins():
    assert run_name({"run_name": "baseline", "dataset": {"name": "heart"}}) == "baseline"


def test_an_api_run_without_trainer_leaves_it_out():
    config = {"dataset": {"name": "heart"}, "model": {"name": "LogisticRegression"}, "seed": 1}
    assert run_name(config) == "heart-LogisticRegression-s1"
