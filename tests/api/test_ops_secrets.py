"""No token, receipt, voter identifier or credential in a log line or a metric.

A whole small election runs through the endpoints (online casts, a voter who claims a token
from the roll, a kiosk sync, a receipt check, close, count, publish) with every logger at
DEBUG; then every secret it used is looked for in what was logged and in ``/metrics``, each in
the form it travelled and without its hyphens (a log could strip them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, Response, request
from flask.testing import FlaskClient
from results_support import BOOTH_BALLOTS, ONLINE_BALLOTS, RANKED, close_count_publish
from voting_support import CONTESTS, booth_id, issue, offline, open_election, provision

from votesvc.models.base import db

# Long enough that no timestamp, id or float in a log line can contain one by chance (a bare
# "800002" once matched the microseconds of a logged time).
ROLL = [("RESIDENTQX800001", "BORN19900101"), ("RESIDENTQX800002", "BORN19851231")]


def _forms(secret: str) -> set[str]:
    return {secret, secret.replace("-", "")}


def _run_election(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin: dict[str, str]
) -> set[str]:
    """Run the election; the secrets it used."""
    secrets: set[str] = {admin["Authorization"].removeprefix("Bearer ")}
    election_id = open_election(imported_election, contests=[*CONTESTS, RANKED])
    url = f"/api/v1/elections/{election_id}"

    def cast(token: str, selections: dict[str, Any]) -> None:
        answer = client.post(f"{url}/ballots", json={"token": token, "selections": selections})
        assert answer.status_code == 201, answer.get_json()
        secrets.add(answer.get_json()["receipt"])

    for token, selections in zip(issue(app, election_id, 3), ONLINE_BALLOTS, strict=False):
        secrets.update({token.signed, token.short_code})
        cast(token.signed, selections)

    roll = "identifier,factor\n" + "".join(f"{who},{factor}\n" for who, factor in ROLL)
    imported = client.post(
        f"/api/v1/admin/elections/{election_id}/voter-roll",
        data=roll.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert imported.status_code in (200, 201), imported.get_json()
    for who, factor in ROLL:
        secrets.update({who, factor})
        claimed = client.post(
            f"{url}/online-tokens/claim", json={"identifier": who, "factor": factor}
        ).get_json()
        secrets.update({claimed["token"], claimed["short_code"]})
        cast(claimed["token"], ONLINE_BALLOTS[-1])

    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    secrets.add(kiosk["credential"])
    cards = issue(app, election_id, len(BOOTH_BALLOTS), booth=booth)
    queued = [offline(c, selections=s) for c, s in zip(cards, BOOTH_BALLOTS, strict=True)]
    secrets.update({c.signed for c in cards} | {c.short_code for c in cards})
    secrets.update(item["id"] for item in queued)
    synced = client.post(
        f"{url}/booths/{booth}/sync",
        json={"ballots": queued},
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )
    assert synced.get_json()["counts"] == {"accepted": len(queued)}

    checked = client.post(f"{url}/receipt-check", json={"receipt": queued[0]["id"]})
    assert checked.status_code == 200, checked.get_json()
    close_count_publish(client, election_id, admin)
    return secrets


@pytest.fixture
def every_logger() -> Iterator[None]:
    """Every logger on and at DEBUG: Alembic's ``fileConfig`` (the session's migration)
    turned off the loggers that existed before it, votesvc's among them, and set SQLAlchemy's
    to warnings only."""
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.disabled, logger.level) for logger in loggers]
    for logger in loggers:
        logger.disabled = False
        logger.setLevel(logging.DEBUG)
    yield
    for logger, disabled, level in saved:
        logger.disabled = disabled
        logger.setLevel(level)


def _access_log(app: Flask) -> None:
    """What gunicorn's access log would write for each request: its method, path and query."""
    access = logging.getLogger("test.access")

    def line(response: Response) -> Response:
        access.info("%s %s %s", request.method, request.full_path, response.status_code)
        return response

    app.after_request(line)


@pytest.mark.usefixtures("every_logger")
def test_a_whole_election_leaves_no_secret_in_logs_or_metrics(
    app: Flask,
    client: FlaskClient,
    imported_election: Callable[..., int],
    admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _access_log(app)
    with app.app_context():
        db.engine.echo = "debug"  # every statement, its parameters and the rows it returned
    secrets = _run_election(app, client, imported_election, admin_headers)
    scraped = client.get("/metrics").get_data(as_text=True)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(secrets) > 20  # the run happened, and logged its requests and statements
    assert {"test.access", "sqlalchemy.engine.Engine"} <= {r.name for r in caplog.records}
    assert 'votesvc_count_jobs_total{status="done"}' in scraped  # the scrape saw the run
    leaked = sorted(s for s in secrets for form in _forms(s) if form in logged or form in scraped)
    assert leaked == []
