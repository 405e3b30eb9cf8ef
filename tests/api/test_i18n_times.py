"""Times in the election's time zone: receipts, quarantine entries, batches (ISO 8601 with
the election's offset) and messages (local date and time with the zone's name)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from voting_support import GOOD, booth_id, issue, offline, open_election, provision

from votesvc.i18n.times import LocalTime, local
from votesvc.models import Receipt
from votesvc.models.base import db

Headers = dict[str, str]
LA = "America/Los_Angeles"


def _recorded_at(app: Flask, client: FlaskClient, election_id: int, stored: datetime) -> datetime:
    """Cast a ballot, move its receipt's stored hour to ``stored``, read the receipt back."""
    (token,) = issue(app, election_id, 1)
    cast = client.post(
        f"/api/v1/elections/{election_id}/ballots", json={"token": token.signed, "selections": GOOD}
    )
    assert cast.status_code == 201, cast.get_json()
    with app.app_context():
        db.session.execute(sa.update(Receipt).values(recorded_at=stored))
        db.session.commit()
    check = client.post(
        f"/api/v1/elections/{election_id}/receipt-check",
        json={"receipt": cast.get_json()["receipt"]},
    )
    assert check.status_code == 200, check.get_json()
    return datetime.fromisoformat(check.get_json()["recorded_at"])


def test_a_seoul_receipt_recorded_late_utc_shows_the_next_local_day(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election, timezone="Asia/Seoul")
    shown = _recorded_at(app, client, election_id, datetime(2026, 3, 1, 15, tzinfo=UTC))
    assert shown.isoformat() == "2026-03-02T00:00:00+09:00"


def test_a_los_angeles_receipt_recorded_early_utc_shows_the_previous_local_day(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election, timezone=LA)
    shown = _recorded_at(app, client, election_id, datetime(2026, 3, 2, 5, tzinfo=UTC))
    assert shown.isoformat() == "2026-03-01T21:00:00-08:00"


def _offset_is_the_zones(text: str, zone: str) -> bool:
    moment = datetime.fromisoformat(text)
    return moment.utcoffset() == moment.astimezone(ZoneInfo(zone)).utcoffset()


def test_quarantine_entries_and_batches_show_the_elections_offset(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Headers
) -> None:
    election_id = open_election(imported_election, timezone=LA)
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    (token,) = issue(app, election_id, 1, booth=booth)
    sync = f"/api/v1/elections/{election_id}/booths/{booth}/sync"
    credential = {"Authorization": f"Bearer {kiosk['credential']}"}
    for _ in range(2):  # the second is a replay of a spent token: quarantined
        client.post(sync, json={"ballots": [offline(token)]}, headers=credential)
    admin = f"/api/v1/admin/elections/{election_id}"
    [entry] = client.get(f"{admin}/quarantine", headers=admin_headers).get_json()
    assert entry["reason"] == "token_already_used"
    for name in ("cast_at", "received_at"):
        assert _offset_is_the_zones(entry[name], LA), entry[name]
        assert datetime.fromisoformat(entry[name]).utcoffset() != timedelta(0)
    batches = client.get(f"{admin}/token-batches", headers=admin_headers).get_json()
    assert batches and all(_offset_is_the_zones(b["created_at"], LA) for b in batches)


@pytest.mark.parametrize(
    ("lang", "shape"),
    [
        ("ko", r"(\d{4})년 (\d+)월 (\d+)일 (\d\d:\d\d) \(America/Los_Angeles\)까지"),
        ("en", r"until (\d+ \w+ \d{4}), (\d\d:\d\d) \(America/Los_Angeles\)"),
    ],
)
def test_a_message_shows_its_time_in_the_elections_zone(
    client: FlaskClient,
    imported_election: Callable[..., int],
    admin_headers: Headers,
    lang: str,
    shape: str,
) -> None:
    election_id = open_election(imported_election, timezone=LA)
    admin = f"/api/v1/admin/elections/{election_id}"
    client.post(f"{admin}/close", json={}, headers=admin_headers)
    ends_at = datetime.fromisoformat(client.get(admin, headers=admin_headers).get_json()["ends_at"])
    response = client.post(
        f"{admin}/count", json={}, headers={**admin_headers, "Accept-Language": lang}
    )
    assert_error(response, 409, "count_too_early", language=lang)
    text = response.get_json()["error"]["message"]
    assert re.search(shape, text), text
    grace = timedelta(minutes=client.application.config["VOTESVC_SYNC_GRACE_MINUTES"])
    assert LocalTime(ends_at + grace, LA).text(lang) in text


def test_local_times_read_the_same_in_both_languages() -> None:
    moment = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    assert LocalTime(moment, "Asia/Seoul").text("ko") == "2026년 3월 2일 00:30 (Asia/Seoul)"
    assert LocalTime(moment, "Asia/Seoul").text("en") == "2 March 2026, 00:30 (Asia/Seoul)"
    assert LocalTime(moment, LA).text("en") == "1 March 2026, 07:30 (America/Los_Angeles)"
    monrovia = datetime(1970, 1, 1, tzinfo=UTC)  # a local mean time then: -00:44:30
    assert local(monrovia, "Africa/Monrovia").isoformat() == "1970-01-01T00:00:00+00:00"
    assert LocalTime(monrovia, "Africa/Monrovia").text("en") == "1 January 1970, 00:00 (UTC)"
