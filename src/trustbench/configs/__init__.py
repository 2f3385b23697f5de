"""Hydra configs shipped with trustbench (see DESIGN.md section 2)."""
