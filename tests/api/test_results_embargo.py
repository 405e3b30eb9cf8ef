"""Before publication nothing about the count is public: every results route and export answers
404 ``results_not_published``, identically in every phase, and no other route changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from results_support import count_and_wait, sync_booth, vote

from votesvc.api.immutable import ImmutableResponses
from votesvc.models import Election
from votesvc.models.base import db

Headers = dict[str, str]

FILES = ("publication.json", "results.json", "audit.json")
CONTEST_FILES = ("ballots.pb", "ballots.csv", "ballots.rcv.json", "results.json")


def _contest_ids(app: Flask, election_id: int) -> list[int]:
    with app.app_context():
        return [c.id for c in db.session.get(Election, election_id).contests]


def _public_results_routes(app: Flask, election_id: int) -> list[str]:
    base = f"/api/v1/elections/{election_id}/results"
    routes = [base, *(f"{base}/files/{name}" for name in FILES)]
    for contest_id in [*_contest_ids(app, election_id), 999_999]:
        routes.append(f"{base}/contests/{contest_id}")
        routes.extend(f"{base}/files/contests/{contest_id}/{name}" for name in CONTEST_FILES)
    return routes


def _assert_embargoed(client: FlaskClient, routes: list[str]) -> None:
    for route in routes:
        response = assert_error(client.get(route), 404, "results_not_published")
        assert response == {}
        assert "ETag" not in client.get(route).headers


def _public_snapshot(client: FlaskClient, election_id: int) -> dict[str, Any]:
    """What anyone can read about the election outside the results routes."""
    return {
        "list": client.get("/api/v1/elections").get_data(),
        "election": client.get(f"/api/v1/elections/{election_id}").get_data(),
    }


def test_every_results_route_is_embargoed_until_publication(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    voted = vote(app, client, imported_election)
    routes = _public_results_routes(app, voted.election_id)
    _assert_embargoed(client, routes)  # voting
    voting_view = _public_snapshot(client, voted.election_id)
    client.post(f"/api/v1/admin/elections/{voted.election_id}/close", headers=admin_headers)
    sync_booth(client, voted)
    _assert_embargoed(client, routes)  # closed, not counted
    assert count_and_wait(client, voted.election_id, admin_headers, force=True)["status"] == "done"
    _assert_embargoed(client, routes)  # counted: preliminary results exist
    # Closed elections are not public at all; the voting-phase view said nothing about counts.
    assert client.get(f"/api/v1/elections/{voted.election_id}").status_code == 404
    assert b"ballots" not in voting_view["election"] and b"support" not in voting_view["election"]
    assert ImmutableResponses.of(app).answers == {}  # no refusal was kept
    client.post(f"/api/v1/admin/elections/{voted.election_id}/publish", headers=admin_headers)
    assert client.get(routes[0]).status_code == 200
    assert list(ImmutableResponses.of(app).answers) == [routes[0]]


def test_a_draft_election_and_an_unknown_one_look_the_same(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    _assert_embargoed(client, _public_results_routes(app, election_id)[:4])
    _assert_embargoed(client, ["/api/v1/elections/987654/results"])


@pytest.mark.parametrize("app_config", [{"VOTESVC_CODE_LIMIT": "3 per minute"}])
def test_receipt_guessing_is_rate_limited(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    statuses = [
        client.post(
            f"/api/v1/elections/{election_id}/receipt-check",
            json={"receipt": "AAAA-BBBB-CCCC-DDDD"},
        ).status_code
        for _ in range(4)
    ]
    assert statuses[3] == 429 and 429 not in statuses[:3]
