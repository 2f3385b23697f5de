"""Hydra configs shipped with trustbench (README.md, "Choosing what to run")."""
