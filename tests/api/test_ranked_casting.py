"""Ranked ballots are cast as the contest's counting options read them: a skipped rank as
null, several agendas at one rank where the rule set has an overvote rule; stored canonically
and counted by RCTab's skipped-rank and overvote options exactly, online and at kiosks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from results_support import RANKED, count_and_wait
from voting_support import CONTESTS, booth_id, issue, offline, provision, window

from votesvc.models import Ballot
from votesvc.models.base import db
from votesvc.publication.verify import folder_source, verify
from votesvc.services import publication

Headers = dict[str, str]
SKIPPING = {"choices": ["R3", None, "R2"]}
BALLOTS = [{"choices": ["R1"]}] * 4 + [{"choices": ["R2"]}] * 3 + [SKIPPING] * 2
"""R3 goes first; its two ballots skip rank 2 before R2: they reach R2 (5 of 9, elected)
unless a skipped rank exhausts them (then R1 wins with 4 of 7)."""


def _election(imported_election: Callable[..., int], **options: Any) -> int:
    contest = {**RANKED, "rule_options": options}
    return imported_election(contests=[contest], phase="voting", **window())


def _cast(client: FlaskClient, election_id: int, token: str, selection: Any) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": token, "selections": {"rank": selection}},
    )


def _stored(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Ballot.content)))


@pytest.mark.parametrize(
    ("options", "winner", "skipped"),
    [({}, "R2", "0"), ({"max_skipped_ranks": 0}, "R1", "2"), ({"max_skipped_ranks": 1}, "R2", "0")],
)
def test_skipped_ranks_are_cast_and_counted_by_the_contest_options(
    app: Flask,
    client: FlaskClient,
    imported_election: Callable[..., int],
    admin_headers: Headers,
    tmp_path: Path,
    options: dict[str, Any],
    winner: str,
    skipped: str,
) -> None:
    election_id = _election(imported_election, **options)
    for token, ballot in zip(issue(app, election_id, len(BALLOTS)), BALLOTS, strict=True):
        response = _cast(client, election_id, token.signed, ballot)
        assert response.status_code == 201, response.get_json()
    assert _stored(app).count('{"choices":["R3",null,"R2"]}') == 2
    assert client.post(f"/api/v1/admin/elections/{election_id}/close", headers=admin_headers)
    job = count_and_wait(client, election_id, admin_headers, force=True)
    counted = job["result"]["contests"]["rank"]
    assert counted["funded"] == [winner]
    last = counted["outcome"]["rounds"][-1]
    assert last["inactive"].get("skipped_rankings", "0") == skipped
    published = client.post(f"/api/v1/admin/elections/{election_id}/publish", headers=admin_headers)
    assert published.status_code == 201
    with app.app_context():
        publication.export_to(election_id, tmp_path)
    assert verify(folder_source(tmp_path)).ok  # the RCV file keeps the skipped rank exactly


def test_skipped_and_trailing_ranks_are_stored_canonically(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = _election(imported_election, overvote="skip")
    tokens = issue(app, election_id, 3)
    for token, choices in zip(tokens, [[None, "R1", None], [["R3", "R2"], "R1"], []], strict=True):
        assert _cast(client, election_id, token.signed, {"choices": choices}).status_code == 201
    assert _stored(app) == [
        '{"choices":[["R2","R3"],"R1"]}',
        '{"choices":[]}',
        '{"choices":[null,"R1"]}',
    ]


@pytest.mark.parametrize(
    ("options", "choices", "message"),
    [
        ({}, ["R1", None, None, "R2"], "The ballot has 4 ranks; at most 3 are allowed."),
        ({}, ["R1", "R2", "R1"], "R1 is ranked both 1 and 3."),
        ({}, ["R9"], "R9 is not on this ballot."),
        (
            {"rule_set": "pyrankvote"},
            [["R1", "R2"]],
            "Rank 1 marks more than one candidate (R1, R2).",
        ),
    ],
)
def test_ranked_refusals_say_what_is_wrong(
    app: Flask,
    client: FlaskClient,
    imported_election: Callable[..., int],
    options: dict[str, Any],
    choices: list[Any],
    message: str,
) -> None:
    election_id = _election(imported_election, **options)
    (token,) = issue(app, election_id, 1)
    response = _cast(client, election_id, token.signed, {"choices": choices})
    fields = assert_error(response, 422, "ballot_invalid")
    assert fields == {"selections": {"rank": [message]}}


def test_a_contest_that_is_not_ranked_refuses_a_skipped_rank_truly(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(contests=CONTESTS, phase="voting", **window())
    (token,) = issue(app, election_id, 1)
    response = client.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": token.signed, "selections": {"city": {"choices": ["A1", None]}}},
    )
    (problem,) = assert_error(response, 422, "ballot_invalid")["selections"]["city"]
    assert "only in ranked contests" in problem


def test_a_kiosk_syncs_a_skipped_rank_through_the_same_check(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(
        contests=[{**RANKED, "rule_options": {"rule_set": "pyrankvote"}}],
        phase="voting",
        booths=[{"code": "b1", "name_ko": "투표소"}],
        **window(),
    )
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    good, overvoted = issue(app, election_id, 2, booth=booth)
    response = client.post(
        f"/api/v1/elections/{election_id}/booths/{booth}/sync",
        json={
            "ballots": [
                offline(good, selections={"rank": SKIPPING}),
                offline(overvoted, selections={"rank": {"choices": [["R1", "R2"]]}}),
            ]
        },
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )
    assert response.status_code == 200, response.get_json()
    accepted, refused = response.get_json()["results"]
    assert accepted["status"] == "accepted"
    assert (refused["status"], refused["reason"]) == ("refused", "ballot_invalid")
    assert _stored(app) == ['{"choices":["R3",null,"R2"]}']
