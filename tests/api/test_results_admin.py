"""Closing, counting and publishing as admins see it: guards, failures, retries, the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from results_support import EXPECTED_BALLOTS, count_and_wait, sync_booth, vote
from voting_support import GOOD, issue, open_election, window

from votesvc.models import CountJob, Election
from votesvc.models.base import db
from votesvc.publication.audit_chain import chain_problems
from votesvc.services import counting, results

Headers = dict[str, str]


def _admin(client: FlaskClient, headers: Headers, election_id: int, what: str, **body: Any) -> Any:
    return client.post(f"/api/v1/admin/elections/{election_id}/{what}", json=body, headers=headers)


def _phase(app: Flask, election_id: int) -> str:
    with app.app_context():
        return db.session.get(Election, election_id).phase


def test_only_a_closed_election_is_counted_or_published(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(imported_election)
    assert_error(_admin(client, admin_headers, election_id, "count"), 409, "election_not_closed")
    assert_error(_admin(client, admin_headers, election_id, "publish"), 409, "election_not_closed")
    assert_error(
        client.get(f"/api/v1/admin/elections/{election_id}/count", headers=admin_headers),
        404,
        "not_counted",
    )
    assert _admin(client, admin_headers, election_id, "close").status_code == 200
    assert_error(_admin(client, admin_headers, election_id, "publish"), 409, "not_counted")
    assert_error(
        _admin(client, admin_headers, election_id, "close"), 409, "illegal_phase_transition"
    )


def test_closing_stops_casting(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(imported_election)
    (token,) = issue(app, election_id, 1)
    assert _admin(client, admin_headers, election_id, "close").status_code == 200
    response = client.post(
        f"/api/v1/elections/{election_id}/ballots", json={"token": token.signed, "selections": GOOD}
    )
    assert_error(response, 409, "election_not_open")


def test_the_count_waits_for_the_kiosk_grace_period_unless_forced(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(imported_election)
    _admin(client, admin_headers, election_id, "close")
    assert_error(_admin(client, admin_headers, election_id, "count"), 409, "count_too_early")
    job = count_and_wait(client, election_id, admin_headers, force=True)
    assert (job["status"], job["progress"], job["forced"]) == ("done", 1.0, True)


@pytest.mark.parametrize("app_config", [{"VOTESVC_SYNC_GRACE_MINUTES": 0}])
def test_closing_by_the_phase_endpoint_ends_the_window_now(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(imported_election)  # the window runs for days yet
    response = client.post(
        f"/api/v1/admin/elections/{election_id}/phase",
        json={"phase": "closed"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    job = count_and_wait(client, election_id, admin_headers)  # no force: the grace ran from now
    assert job["status"] == "done"
    with app.app_context():
        election = db.session.get(Election, election_id)
        assert election.ends_at <= datetime.now(UTC)


@pytest.mark.parametrize("app_config", [{"VOTESVC_SYNC_GRACE_MINUTES": 0}])
def test_an_election_closes_itself_when_its_window_has_passed(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(
        imported_election, **window(opened=timedelta(days=2), closes=-timedelta(minutes=1))
    )
    assert _phase(app, election_id) == "voting"
    job = count_and_wait(client, election_id, admin_headers)  # no force: the grace is over
    assert job["status"] == "done" and _phase(app, election_id) == "closed"


def test_a_failed_count_leaves_the_election_closed_and_can_be_retried(
    app: Flask,
    client: FlaskClient,
    imported_election: Callable[..., int],
    admin_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    voted = vote(app, client, imported_election)
    _admin(client, admin_headers, voted.election_id, "close")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(results, "count_contest", broken)
    job = count_and_wait(client, voted.election_id, admin_headers, force=True)
    assert (job["status"], job["error_code"], job["result"]) == ("failed", "count_failed", None)
    assert job["error"].startswith("The count stopped on an unexpected error")
    assert "RuntimeError" not in job["error"]  # the log has it, not the admin's screen
    assert _phase(app, voted.election_id) == "closed"
    assert_error(_admin(client, admin_headers, voted.election_id, "publish"), 409, "not_counted")
    assert_error(
        client.get(f"/api/v1/elections/{voted.election_id}/results"), 404, "results_not_published"
    )
    monkeypatch.setattr(results, "count_contest", counting.count_contest)
    job = count_and_wait(client, voted.election_id, admin_headers, force=True)
    assert job["status"] == "done"
    assert _admin(client, admin_headers, voted.election_id, "publish").status_code == 201


def test_preliminary_results_are_for_admins(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    voted = vote(app, client, imported_election)
    _admin(client, admin_headers, voted.election_id, "close")
    sync_booth(client, voted)
    job = count_and_wait(client, voted.election_id, admin_headers, force=True)
    counted = {code: c["ballots"] for code, c in job["result"]["contests"].items()}
    assert counted == EXPECTED_BALLOTS
    url = f"/api/v1/admin/elections/{voted.election_id}/count"
    assert_error(client.get(url), 401, "unauthorized")


def test_a_count_in_progress_is_not_started_twice(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(imported_election)
    _admin(client, admin_headers, election_id, "close")
    with app.app_context():
        db.session.add(CountJob(election_id=election_id, seed="0" * 32, status="running"))
        db.session.commit()
    response = _admin(client, admin_headers, election_id, "count", force=True)
    assert_error(response, 409, "count_in_progress")


def test_ballots_synced_after_a_forced_count_make_it_stale(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    voted = vote(app, client, imported_election)
    _admin(client, admin_headers, voted.election_id, "close")
    assert count_and_wait(client, voted.election_id, admin_headers, force=True)["status"] == "done"
    sync_booth(client, voted)
    assert_error(_admin(client, admin_headers, voted.election_id, "publish"), 409, "count_stale")
    count_and_wait(client, voted.election_id, admin_headers, force=True)
    assert _admin(client, admin_headers, voted.election_id, "publish").status_code == 201


def test_the_audit_log_records_every_admin_action_in_an_intact_chain(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    voted = vote(app, client, imported_election)
    _admin(client, admin_headers, voted.election_id, "close")
    count_and_wait(client, voted.election_id, admin_headers, force=True)
    _admin(client, admin_headers, voted.election_id, "publish")
    body = client.get(f"/api/v1/elections/{voted.election_id}/results/files/audit.json")
    entries = json.loads(body.data)
    assert chain_problems(entries) == []
    assert [e["action"] for e in entries] == [
        "election.imported",
        "tokens.issued",
        "tokens.issued",
        "kiosk.provisioned",
        "election.closed",
        "count.requested",
        "count.done",
        "results.published",
    ]
    closed = entries[4]
    assert closed["actor"].startswith("key:") and entries[6]["actor"] == "system"


def test_a_receipt_says_when_its_ballots_are_counted(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(imported_election)
    (token,) = issue(app, election_id, 1)
    cast = client.post(
        f"/api/v1/elections/{election_id}/ballots", json={"token": token.signed, "selections": GOOD}
    )
    url = f"/api/v1/elections/{election_id}/receipt-check"
    receipt = {"receipt": cast.get_json()["receipt"]}
    before = client.post(url, json=receipt).get_json()
    assert before["counted"] is False and set(before) == {
        "recorded",
        "recorded_at",
        "contests",
        "counted",
    }
    _admin(client, admin_headers, election_id, "close")
    count_and_wait(client, election_id, admin_headers, force=True)
    assert client.post(url, json=receipt).get_json()["counted"] is False  # not yet published
    _admin(client, admin_headers, election_id, "publish")
    assert client.post(url, json=receipt).get_json() == {**before, "counted": True}
