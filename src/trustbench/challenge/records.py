"""How a scored submission is recorded: the tags and params of its MLflow run.

Every attempt is one run in the challenge's experiment, FINISHED or FAILED with a reason the
team may see. Queries never put a submitted string into a filter: a team is looked up by
``team_id``, a hash of its name.
"""

from __future__ import annotations

import hashlib

PREFIX = "trustbench.challenge"
NAME_TAG = f"{PREFIX}.name"
PHASE_TAG = f"{PREFIX}.phase"
TEAM_TAG = f"{PREFIX}.team"
TEAM_ID_TAG = f"{PREFIX}.team_id"
SHA_TAG = f"{PREFIX}.submission_sha256"
FORMAT_TAG = f"{PREFIX}.format"
SCORER_TAG = f"{PREFIX}.scorer_version"
REASON_TAG = f"{PREFIX}.reason"
COUNTED_TAG = f"{PREFIX}.counted"
SELECTED_TAG = f"{PREFIX}.selected"
ISOLATION_TAG = f"{PREFIX}.isolation"
#: The param the boards group rows by (one row per team).
TEAM_PARAM = "challenge.team"


def team_id(team: str) -> str:
    """A plain-token id for a team name (any characters) to query runs by."""
    return hashlib.sha256(team.encode("utf-8")).hexdigest()[:24]
