"""Helpers shared by the results tests on SQLite (tests/api) and PostgreSQL (tests/pg): an
election with an allocation, a points and a ranked contest, voted through the real endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from voting_support import CONTESTS, booth_id, issue, offline, open_election, provision

from votesvc.services import results

RANKED = {
    "code": "rank",
    "title_en": "Ranked choice",
    "title_ko": "선호 투표",
    "budget": 300_000,
    "ballot_type": "ordinal",
    "rule": "irv",
    "max_ranks": 3,
    "agendas": [
        {"code": "R1", "title_en": "Park benches", "cost": 100_000},
        {"code": "R2", "title_en": "Community garden", "cost": 200_000},
        {"code": "R3", "title_en": "Street art", "cost": 150_000},
    ],
}

ONLINE_BALLOTS: list[dict[str, Any]] = [
    {
        "city": {"choices": ["A1", "A3"]},
        "north": {"choices": ["N1", "N2"], "points": [6, 4]},
        "rank": {"choices": ["R1", "R2"]},
    },
    {
        "city": {"choices": ["A2"]},
        "north": {"choices": ["N1", "N2"], "points": [4, 6]},
        "rank": {"choices": ["R2", "R3"]},
    },
    {
        "city": {"choices": ["A3"]},
        "north": {"choices": ["N2"], "points": [6]},
        "rank": {"choices": ["R3", "R1"]},
    },
    {"city": {"choices": ["A1"]}, "rank": {"choices": ["R2"]}},
]
BOOTH_BALLOTS: list[dict[str, Any]] = [
    {
        "city": {"choices": ["A1", "A3"]},
        "north": {"choices": ["N1"], "points": [6]},
        "rank": {"choices": ["R1"]},
    },
    {
        "city": {"choices": ["A3"]},
        "north": {"choices": ["N1", "N2"], "points": [5, 5]},
        "rank": {"choices": ["R2", "R1"]},
    },
    {"city": {"choices": ["A2"]}, "rank": {"choices": ["R1", "R3", "R2"]}},
]
EXPECTED_BALLOTS = {"city": 7, "north": 5, "rank": 7}
"""Accepted ballots per contest: every voter marked city and rank, two left north blank."""


@dataclass(frozen=True)
class Voted:
    election_id: int
    booth_id: int
    booth_code: str
    kiosk: dict[str, Any]
    booth_tokens: list[Any]


def vote(app: Flask, client: FlaskClient, imported_election: Callable[..., int]) -> Voted:
    """Open an election with three contests, issue 5 online and 3 booth tokens, cast the online
    ballots (one token stays unused) and provision a kiosk; the booth ballots are left for
    the caller to sync (before or after closing)."""
    election_id = open_election(imported_election, contests=[*CONTESTS, RANKED])
    online = issue(app, election_id, 5)
    for token, selections in zip(online, ONLINE_BALLOTS, strict=False):
        response = client.post(
            f"/api/v1/elections/{election_id}/ballots",
            json={"token": token.signed, "selections": selections},
        )
        assert response.status_code == 201, response.get_json()
    booth = booth_id(app, election_id)
    booth_tokens = issue(app, election_id, 3, booth=booth)
    return Voted(election_id, booth, "b1", provision(app, election_id, booth), booth_tokens)


def sync_booth(client: FlaskClient, voted: Voted) -> None:
    ballots = [
        offline(token, selections=selections)
        for token, selections in zip(voted.booth_tokens, BOOTH_BALLOTS, strict=True)
    ]
    response = client.post(
        f"/api/v1/elections/{voted.election_id}/booths/{voted.booth_id}/sync",
        json={"ballots": ballots},
        headers={"Authorization": f"Bearer {voted.kiosk['credential']}"},
    )
    assert response.status_code == 200, response.get_json()
    assert [r["status"] for r in response.get_json()["results"]] == ["accepted"] * 3


def count_and_wait(
    client: FlaskClient, election_id: int, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    """Start a count, wait for its thread to end, and return the job as admins poll it."""
    response = client.post(
        f"/api/v1/admin/elections/{election_id}/count", json=body, headers=headers
    )
    assert response.status_code == 202, response.get_json()
    results.wait(response.get_json()["id"])
    polled = client.get(f"/api/v1/admin/elections/{election_id}/count", headers=headers)
    assert polled.status_code == 200
    return polled.get_json()


def close_count_publish(client: FlaskClient, election_id: int, headers: dict[str, str]) -> None:
    assert (
        client.post(f"/api/v1/admin/elections/{election_id}/close", headers=headers).status_code
        == 200
    )
    count_and_publish(client, election_id, headers)


def count_and_publish(client: FlaskClient, election_id: int, headers: dict[str, str]) -> None:
    """Count a closed election (forced: no kiosk grace) and publish it: the only way to the
    ``published`` phase."""
    job = count_and_wait(client, election_id, headers, force=True)
    assert job["status"] == "done", job
    response = client.post(f"/api/v1/admin/elections/{election_id}/publish", headers=headers)
    assert response.status_code == 201, response.get_json()
