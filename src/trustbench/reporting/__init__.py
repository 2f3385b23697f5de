"""Reading a TrustReport for people: the console summary and the trust card (no MLflow here)."""
