"""Count jobs whose process died: a stale heartbeat or an admin's restart sets them aside,
audited, and a set-aside job can never come back to pass for the latest count.

Times are set in the rows (no sleeping): a job is as old as its ``heartbeat_at`` says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from results_support import count_and_wait
from sqlalchemy import update
from voting_support import open_election

from votesvc.models import CountJob
from votesvc.models.base import db
from votesvc.services import audit, counting, results

Headers = dict[str, str]
DEAD = "crashed-host:4242:1"


@pytest.fixture
def closed(
    client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> int:
    """A closed election with no count yet."""
    election_id = open_election(imported_election)
    url = f"/api/v1/admin/elections/{election_id}/close"
    assert client.post(url, headers=admin_headers).status_code == 200
    return election_id


def _left_behind(app: Flask, election_id: int, status: str, past_stale: timedelta) -> int:
    """A job as a process that died would leave it: ``status``, last heard of ``past_stale``
    beyond the stale limit (negative: still within it)."""
    stale = timedelta(seconds=app.config["VOTESVC_COUNT_STALE_SECONDS"])
    then = datetime.now(UTC) - stale - past_stale
    running = status == "running"
    job = CountJob(
        election_id=election_id,
        seed="0" * 32,
        status=status,
        created_at=then,
        owner=DEAD if running else "",
        started_at=then if running else None,
        heartbeat_at=then if running else None,
    )
    with app.app_context():
        db.session.add(job)
        db.session.commit()
        return job.id


def _job(app: Flask, job_id: int) -> CountJob:
    with app.app_context():
        job = db.session.get(CountJob, job_id)
        db.session.expunge(job)
        return job


def _audited(app: Flask, election_id: int, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        return [e["payload"] for e in audit.export(election_id) if e["action"] == action]


def test_a_running_count_with_a_stale_heartbeat_is_set_aside_and_audited(
    app: Flask, client: FlaskClient, closed: int, admin_headers: Headers
) -> None:
    election_id = closed
    dead = _left_behind(app, election_id, "running", timedelta(seconds=1))
    polled = client.get(f"/api/v1/admin/elections/{election_id}/count", headers=admin_headers)
    assert polled.get_json()["stale"] is True and polled.get_json()["owner"] == DEAD

    job = count_and_wait(client, election_id, admin_headers, force=True)
    assert job["status"] == "done" and job["id"] != dead and job["stale"] is False
    assert job["owner"] and job["started_at"] and job["heartbeat_at"]
    old = _job(app, dead)
    assert old.status == "failed" and old.error.startswith("abandoned (stale)")
    assert DEAD in old.error and old.finished_at is not None
    (entry,) = _audited(app, election_id, "count.abandoned")
    assert entry == {
        "job": dead,
        "owner": DEAD,
        "last_sign_of_life": old.heartbeat_at.isoformat(),
        "reason": "stale",
    }


def test_a_live_heartbeat_blocks_a_new_count_unless_an_admin_restarts_it(
    app: Flask, client: FlaskClient, closed: int, admin_headers: Headers
) -> None:
    election_id = closed
    alive = _left_behind(app, election_id, "running", -timedelta(seconds=5))
    url = f"/api/v1/admin/elections/{election_id}/count"
    assert_error(
        client.post(url, json={"force": True}, headers=admin_headers), 409, "count_in_progress"
    )
    assert (
        _job(app, alive).status == "running" and _audited(app, election_id, "count.abandoned") == []
    )

    job = count_and_wait(client, election_id, admin_headers, force=True, restart=True)
    assert job["status"] == "done"
    assert _job(app, alive).error.startswith("abandoned (restart)")
    assert [e["reason"] for e in _audited(app, election_id, "count.abandoned")] == ["restart"]


def test_a_queued_count_no_worker_took_goes_stale_and_is_never_run_after(
    app: Flask, client: FlaskClient, closed: int, admin_headers: Headers
) -> None:
    election_id = closed
    queued = _left_behind(app, election_id, "queued", timedelta(minutes=1))
    assert count_and_wait(client, election_id, admin_headers, force=True)["status"] == "done"
    with app.app_context():
        results.run_job(queued)  # a worker finally picks the old job up: it is not claimed
    old = _job(app, queued)
    assert (old.status, old.owner) == ("failed", "")
    assert old.result == {"failure": {"code": "count_abandoned", "contest": None}}  # no outcome
    assert queued not in [e["job"] for e in _audited(app, election_id, "count.done")]


def test_a_count_set_aside_while_it_runs_drops_its_outcome(
    app: Flask,
    client: FlaskClient,
    closed: int,
    admin_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    election_id = closed

    def set_aside_meanwhile(contest: Any, *args: Any) -> Any:
        """What another admin's restart does while this count is inside the core."""
        db.session.execute(
            update(CountJob)
            .where(CountJob.election_id == election_id)
            .values(status="failed", error="abandoned (restart)")
        )
        db.session.commit()
        return counting.count_contest(contest, *args)

    monkeypatch.setattr(results, "count_contest", set_aside_meanwhile)
    job = count_and_wait(client, election_id, admin_headers, force=True)
    assert (job["status"], job["error"], job["result"]) == ("failed", "abandoned (restart)", None)
    assert _audited(app, election_id, "count.done") == []
    assert _audited(app, election_id, "count.failed") == []


def test_a_heartbeat_moves_only_its_owners_running_job(
    app: Flask, client: FlaskClient, closed: int, admin_headers: Headers
) -> None:
    election_id = closed
    job_id = _left_behind(app, election_id, "running", -timedelta(minutes=1))
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with app.app_context():
        assert results.beat(db.engine, job_id, "someone-else", moment) is False
        assert results.beat(db.engine, job_id, DEAD, moment) is True
    assert _job(app, job_id).heartbeat_at == moment
    with app.app_context():
        db.session.execute(update(CountJob).values(status="done"))
        db.session.commit()
        assert results.beat(db.engine, job_id, DEAD, moment) is False
