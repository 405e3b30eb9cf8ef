"""PostgreSQL races on casting: one spend per token whatever the concurrency, every distinct
token counted, kiosk syncs retried (or duplicated in flight) storing each ballot once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from voting_support import booth_id, issue, offline, open_election, provision

from votesvc.models import Ballot, QuarantinedBallot, Receipt, Token
from votesvc.models.base import db

CITY = {"city": {"choices": ["A1"]}}


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Enough connections for every thread, and no rate limit (all threads are one client)."""
    return {"RATELIMIT_ENABLED": False, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 55}}


def _together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at once; their results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_fifty_threads_spend_one_token_once(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    token = issue(app, election_id, 1)[0]

    def cast(_: int) -> tuple[int, Any]:
        response = app.test_client().post(
            f"/api/v1/elections/{election_id}/ballots",
            json={"token": token.signed, "selections": CITY},
        )
        return response.status_code, response.get_json()

    results = _together(50, cast)
    assert Counter(status for status, _ in results) == {201: 1, 409: 49}
    refusals = [body for status, body in results if status == 409]
    assert {body["error"]["code"] for body in refusals} == {"token_already_used"}
    assert _count(app, Ballot) == 1 and _count(app, Receipt) == 1


@pytest.mark.slow
def test_twenty_threads_cast_a_hundred_tokens_each(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    tokens = issue(app, election_id, 2000)

    def cast_hundred(thread: int) -> Counter[int]:
        client = app.test_client()
        statuses: Counter[int] = Counter()
        for token in tokens[thread * 100 : (thread + 1) * 100]:
            response = client.post(
                f"/api/v1/elections/{election_id}/ballots",
                json={"token": token.short_code, "selections": CITY},
            )
            statuses[response.status_code] += 1
        return statuses

    results = _together(20, cast_hundred)
    assert sum(results, Counter()) == {201: 2000}
    assert _count(app, Ballot) == 2000
    with app.app_context():
        statuses = Counter(db.session.scalars(sa.select(Token.status)))
    assert statuses == {"spent": 2000}


def test_a_kiosk_sync_retried_or_duplicated_in_flight_stores_each_ballot_once(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    ballots = [offline(token) for token in issue(app, election_id, 300, booth=booth)]
    url = f"/api/v1/elections/{election_id}/booths/{booth}/sync"
    headers = {"Authorization": f"Bearer {kiosk['credential']}"}

    def sync(_: int) -> list[str]:
        response = app.test_client().post(url, json={"ballots": ballots}, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [result["status"] for result in response.get_json()["results"]]

    first, second = _together(2, sync)  # the same batch twice at once
    for one, other in zip(first, second, strict=True):
        assert sorted([one, other]) == ["accepted", "already_accepted"]
    assert sync(0) == ["already_accepted"] * 300  # and again after the "dropped" answer
    assert _count(app, Ballot) == 300 * 2 and _count(app, Receipt) == 300
    assert _count(app, QuarantinedBallot) == 0


def test_set_wise_sync_and_contest_restriction_on_postgresql(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    """The PostgreSQL statements (array lookups, the UPDATE joined to unnest, unnest INSERTs,
    the restriction inside the online spend) answer like SQLite's."""
    election_id = open_election(imported_election)
    booth = booth_id(app, election_id)
    district = issue(app, election_id, 2, booth=booth, contests=["city"])
    more = issue(app, election_id, 2, booth=booth, contests=["city"])  # the booth's ballot
    kiosk = provision(app, election_id, booth)
    ballots = [
        offline(district[0]),
        offline(district[1], selections=CITY),
        offline(more[0], selections=CITY),
        offline(more[0], selections=CITY),  # another ballot with the same token
        offline(more[1], selections={"city": {"choices": ["nope"]}}),
    ]
    url = f"/api/v1/elections/{election_id}/booths/{booth}/sync"
    headers = {"Authorization": f"Bearer {kiosk['credential']}"}
    response = app.test_client().post(url, json={"ballots": ballots}, headers=headers)
    assert [(r["status"], r.get("reason")) for r in response.get_json()["results"]] == [
        ("refused", "token_contest_not_allowed"),
        ("accepted", None),
        ("accepted", None),
        ("refused", "token_already_used"),
        ("refused", "ballot_invalid"),
    ]
    again = app.test_client().post(url, json={"ballots": ballots[1:3]}, headers=headers)
    assert [r["status"] for r in again.get_json()["results"]] == ["already_accepted"] * 2
    assert _count(app, Receipt) == 2 and _count(app, QuarantinedBallot) == 3

    online = issue(app, election_id, 1, contests=["north"])[0]
    cast_url = f"/api/v1/elections/{election_id}/ballots"
    refused = app.test_client().post(cast_url, json={"token": online.signed, "selections": CITY})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "token_contest_not_allowed"
    north = {"north": {"choices": ["N1"], "points": [6]}}
    cast = app.test_client().post(cast_url, json={"token": online.signed, "selections": north})
    assert cast.status_code == 201, cast.get_json()
    receipt = cast.get_json()["receipt"]
    check = app.test_client().post(
        f"/api/v1/elections/{election_id}/receipt-check", json={"receipt": receipt}
    )
    assert check.get_json()["contests"] == ["north"]
    with app.app_context():
        stored = db.session.execute(
            sa.select(Ballot.channel, Ballot.content, Ballot.cast_at).where(
                Ballot.channel == "online"
            )
        ).one()
    assert stored.channel == "online" and stored.content == '{"choices":["N1"],"points":[6]}'
    assert (stored.cast_at.minute, stored.cast_at.second, stored.cast_at.microsecond) == (0, 0, 0)
