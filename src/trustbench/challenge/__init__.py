"""Challenge mode: a challenge config, the participant kit, the sandboxed worker, scoring and boards."""
