"""Reference models for membership-inference attacks: pools, vectorised training, caching."""
