"""``/healthz``, ``/readyz`` and ``/metrics``: what each answers, when it refuses, and that
the counters move with the events they count, labelled by URL rule and code."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from results_support import count_and_wait, vote
from sql_support import sent_statements
from test_casting_limits import redis_socket  # noqa: F401 (the private redis-server fixture)
from voting_support import GOOD, booth_id, issue, offline, open_election, provision

from votesvc.models.base import db

CAST_RULE = "/api/v1/elections/<int:election_id>/ballots"


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process (0 before its first event)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_healthz_answers_without_touching_the_database(app: Flask, client: FlaskClient) -> None:
    with sent_statements(app) as sent:
        response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert sent == []


def test_readyz_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "not configured", "migrations": "ok"},
    }


@pytest.fixture
def stale_revision(app: Flask) -> Iterator[None]:
    """The database one migration behind (what a node sees before ``votesvc db upgrade``)."""
    with app.app_context():
        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()


@pytest.mark.usefixtures("stale_revision")
def test_readyz_refuses_a_database_behind_the_code(client: FlaskClient) -> None:
    response = client.get("/readyz", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    error = response.get_json()["error"]
    assert error["code"] == "not_ready"
    assert list(error["fields"]) == ["migrations"]
    assert "database at ['older']" in error["fields"]["migrations"][0]


def test_readyz_refuses_a_database_never_migrated(empty_database_app: Flask) -> None:
    response = empty_database_app.test_client().get("/readyz")
    assert response.status_code == 503
    fields = response.get_json()["error"]["fields"]
    assert fields == {"migrations": [fields["migrations"][0]]}
    assert "no revision" in fields["migrations"][0]


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Parametrised with ``"private"`` (a redis-server of the test's own) or a Redis URL."""
    redis = getattr(request, "param", None)
    if redis == "private":
        redis = f"unix://{request.getfixturevalue('redis_socket')}"
    return {"VOTESVC_REDIS_URL": redis} if redis else {}


@pytest.mark.parametrize("app_config", ["redis://127.0.0.1:1/0"], indirect=True)
def test_readyz_refuses_an_unreachable_redis(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert list(response.get_json()["error"]["fields"]) == ["redis"]


@pytest.mark.parametrize("app_config", ["private"], indirect=True)
def test_readyz_checks_a_configured_redis(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"]["redis"] == "ok"


def test_a_cast_and_its_refusal_are_counted_by_code_and_route(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    (token,) = issue(app, election_id, 1)
    url = f"/api/v1/elections/{election_id}/ballots"
    accepted, used = (
        sample("votesvc_casts_total", result="accepted"),
        sample("votesvc_refusals_total", route=CAST_RULE, code="token_already_used"),
    )
    timed = sample("votesvc_request_duration_seconds_count", route=CAST_RULE, method="POST")
    for _ in range(2):
        client.post(url, json={"token": token.signed, "selections": GOOD})
    assert sample("votesvc_casts_total", result="accepted") == accepted + 1
    refused = sample("votesvc_refusals_total", route=CAST_RULE, code="token_already_used")
    assert refused == used + 1
    assert (
        sample("votesvc_request_duration_seconds_count", route=CAST_RULE, method="POST")
        == timed + 2
    )


def test_kiosk_ballots_synced_and_quarantined_are_counted(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    good, spent = issue(app, election_id, 2, booth=booth)
    first = offline(spent)
    before = {
        "accepted": sample("votesvc_kiosk_ballots_total", outcome="accepted", reason=""),
        "quarantined": sample(
            "votesvc_kiosk_ballots_total", outcome="quarantined", reason="token_already_used"
        ),
    }
    headers = {"Authorization": f"Bearer {kiosk['credential']}"}
    sync = f"/api/v1/elections/{election_id}/booths/{booth}/sync"
    assert client.post(sync, json={"ballots": [first]}, headers=headers).status_code == 200
    again = offline(spent, selections={"city": {"choices": ["A2"]}})
    answer = client.post(sync, json={"ballots": [offline(good), again]}, headers=headers)
    assert [r["status"] for r in answer.get_json()["results"]] == ["accepted", "refused"]
    assert sample("votesvc_kiosk_ballots_total", outcome="accepted", reason="") == (
        before["accepted"] + 2
    )
    assert (
        sample("votesvc_kiosk_ballots_total", outcome="quarantined", reason="token_already_used")
        == before["quarantined"] + 1
    )


def test_a_count_job_is_counted_and_timed(
    app: Flask,
    client: FlaskClient,
    imported_election: Callable[..., int],
    admin_headers: dict[str, str],
) -> None:
    voted = vote(app, client, imported_election)
    closed = client.post(
        f"/api/v1/admin/elections/{voted.election_id}/close", headers=admin_headers
    )
    assert closed.status_code == 200
    done = sample("votesvc_count_jobs_total", status="done")
    timed = sample("votesvc_count_duration_seconds_count")
    assert count_and_wait(client, voted.election_id, admin_headers, force=True)["status"] == "done"
    assert sample("votesvc_count_jobs_total", status="done") == done + 1
    assert sample("votesvc_count_duration_seconds_count") == timed + 1


def test_requests_are_timed_by_url_rule_never_by_path(client: FlaskClient) -> None:
    client.get("/api/v1/elections/424242")
    client.get("/no/such/page/secret-looking-code")
    scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.content_type.startswith("text/plain")
    text = scraped.get_data(as_text=True)
    assert 'route="/api/v1/elections/<int:election_id>"' in text
    assert 'route="unmatched"' in text
    assert "424242" not in text and "secret-looking-code" not in text


SCRIPT = """
from votesvc.services import metrics
metrics.CAST_ACCEPTED.inc()
"""


def test_multiprocess_mode_adds_up_every_worker(tmp_path: Path) -> None:
    """Two processes (gunicorn's workers) each count a cast; a third one's exposition, as
    ``/metrics`` answers it in multiprocess mode, shows both."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", SCRIPT], env=environment, check=True)
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from votesvc.services import metrics; print(metrics.exposition()[0].decode())",
        ],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert 'votesvc_casts_total{result="accepted"} 2.0' in shown
