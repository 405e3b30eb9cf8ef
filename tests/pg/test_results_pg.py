"""Results on PostgreSQL: the whole flow with the count on its own thread and connection, racing
publications and racing count requests (exactly one wins) and racing audit appends (the chain
never forks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from results_support import (
    EXPECTED_BALLOTS,
    close_count_publish,
    count_and_wait,
    sync_booth,
    vote,
)
from sqlalchemy import func, select
from voting_support import open_election

from votesvc.models import CountJob
from votesvc.models.base import db
from votesvc.publication.audit_chain import chain_problems
from votesvc.publication.verify import url_source, verify
from votesvc.services import audit, results
from votesvc.services.errors import Conflict
from votesvc.services.transaction import unit_of_work

Headers = dict[str, str]


def test_close_count_publish_and_verify_on_postgresql(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    voted = vote(app, client, imported_election)
    sync_booth(client, voted)
    close_count_publish(client, voted.election_id, admin_headers)
    body = client.get(f"/api/v1/elections/{voted.election_id}/results").get_json()
    assert {c["code"]: c["ballots"] for c in body["contests"]} == EXPECTED_BALLOTS
    report = verify(
        url_source(
            f"/api/v1/elections/{voted.election_id}/results", lambda url: client.get(url).data
        )
    )
    assert report.ok, report.text()


def _race(app: Flask, url: str, headers: Headers, body: dict[str, Any] | None = None) -> list[int]:
    """The statuses of 4 clients POSTing ``url`` at once, each on its own thread and session."""
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        local = app.test_client()
        barrier.wait()
        statuses.append(local.post(url, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_racing_publications_publish_once(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    voted = vote(app, client, imported_election)
    election = voted.election_id
    client.post(f"/api/v1/admin/elections/{election}/close", headers=admin_headers)
    assert count_and_wait(client, election, admin_headers, force=True)["status"] == "done"
    url = f"/api/v1/admin/elections/{election}/publish"
    assert _race(app, url, admin_headers) == [201, 409, 409, 409]


def test_racing_count_requests_start_one_count(
    app: Flask,
    imported_election: Callable[..., int],
    admin_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Say several admins press "count" after a crash: one new count, not one each."""
    election = open_election(imported_election)
    with app.app_context():
        results.close_election(election)
    monkeypatch.setattr(results, "launch", lambda app, job_id: None)  # jobs stay queued
    url = f"/api/v1/admin/elections/{election}/count"
    assert _race(app, url, admin_headers, {"force": True}) == [202, 409, 409, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CountJob)) == 1


def test_racing_audit_appends_never_fork_the_chain(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    barrier = threading.Barrier(8)
    refused: list[str] = []

    def append(n: int) -> None:
        with app.app_context():
            barrier.wait()
            for attempt in range(20):
                try:
                    with unit_of_work():
                        audit.record("test.race", election_id, {"n": n, "attempt": attempt})
                    return
                except Conflict as error:
                    refused.append(error.code)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        entries = audit.export(election_id)
    assert chain_problems(entries) == []
    assert sorted(e["payload"]["n"] for e in entries if e["action"] == "test.race") == list(
        range(8)
    )
    assert set(refused) <= {"duplicate"}
