"""The data suite: audit the dataset (leakage, duplicates, representation, shortcuts, drift,
label issues, a dataset card) before a model trained on it is trusted."""
