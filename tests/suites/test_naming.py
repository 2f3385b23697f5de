from trustbench.suites.naming import safe_name


def test_group_labels_become_valid_mlflow_names():
    assert safe_name("<50") == "lt50"
    assert safe_name("60+") == "60plus"
    assert safe_name("50-59") == "50-59"
    assert safe_name("VA Long Beach") == "VA Long Beach"
    assert safe_name("a/b@c") == "a_batc"
