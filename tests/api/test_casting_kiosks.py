"""Booth kiosks: provisioning, offline verification, sync outcomes, quarantine, retries."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from voting_support import (
    add_booth,
    booth_id,
    issue,
    offline,
    open_election,
    provision,
    receipt_id,
    window,
)

from votesvc.models import Ballot, Election, Phase, QuarantinedBallot
from votesvc.models.base import db
from votesvc.services import tokens
from votesvc.voting.tokens import KioskVerifier, TokenClaims, booth_channel, sign

Headers = dict[str, str]


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


@pytest.fixture
def booth(app: Flask, election_id: int) -> int:
    return booth_id(app, election_id)


@pytest.fixture
def kiosk(app: Flask, election_id: int, booth: int) -> dict[str, Any]:
    return provision(app, election_id, booth)


def _sync(
    client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any], ballots: list
) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/booths/{booth}/sync",
        json={"ballots": ballots},
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )


def _results(response: Any) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.get_json()
    return [(r["status"], r.get("reason")) for r in response.get_json()["results"]]


def _ballots(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Ballot.channel)))


def _quarantine(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(QuarantinedBallot.reason)))


def test_provisioning_gives_the_keys_to_check_the_booths_tokens_offline(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    booth: int,
) -> None:
    response = client.post(
        f"/api/v1/admin/elections/{election_id}/booths/{booth}/kiosks",
        json={"label": "front desk"},
        headers=admin_headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["credential"].startswith("vkc_") and body["channel"] == booth_channel(booth)
    keys = [base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)) for k in body["channel_keys"]]
    verifier = KioskVerifier(body["channel"], keys)
    token = issue(app, election_id, 1, booth=booth)[0]
    assert verifier.verify(token.signed, expected_election=body["election"]).token_id == (
        token.token_id
    )


def test_provisioning_refuses_another_elections_booth(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    election_id: int,
) -> None:
    other = open_election(imported_election, slug="other")
    response = client.post(
        f"/api/v1/admin/elections/{other}/booths/{booth_id(app, election_id)}/kiosks",
        json={},
        headers=admin_headers,
    )
    assert_error(response, 404, "not_found")


def test_accepted_then_retried_then_spent_elsewhere(
    app: Flask, client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    first, second = issue(app, election_id, 2, booth=booth)
    ballots = [offline(first), offline(second.short_code)]
    response = _sync(client, election_id, booth, kiosk, ballots)
    assert _results(response) == [("accepted", None), ("accepted", None)]
    receipts = [r["receipt"] for r in response.get_json()["results"]]
    assert receipts == [b["id"] for b in ballots]
    assert _ballots(app) == [booth_channel(booth)] * 4

    retry = _sync(client, election_id, booth, kiosk, ballots)
    assert _results(retry) == [("already_accepted", None)] * 2
    assert [r["receipt"] for r in retry.get_json()["results"]] == receipts

    elsewhere = _sync(client, election_id, booth, kiosk, [offline(first)])
    assert _results(elsewhere) == [("refused", "token_already_used")]
    assert len(_ballots(app)) == 4
    assert _quarantine(app) == ["token_already_used"]
    check = client.post(
        f"/api/v1/elections/{election_id}/receipt-check", json={"receipt": receipts[0]}
    )
    assert check.get_json()["contests"] == ["city", "north"]


def test_one_batch_holding_the_same_token_twice(
    app: Flask, client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    token = issue(app, election_id, 1, booth=booth)[0]
    ballot = offline(token)
    response = _sync(client, election_id, booth, kiosk, [ballot, ballot, offline(token)])
    assert _results(response) == [
        ("accepted", None),
        ("already_accepted", None),
        ("refused", "token_already_used"),
    ]
    assert len(_ballots(app)) == 2


def test_every_refusal_is_answered_and_quarantined_once(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    booth: int,
    kiosk: dict[str, Any],
) -> None:
    other_booth = add_booth(app, election_id, "b2")
    mine = issue(app, election_id, 4, booth=booth)
    theirs = issue(app, election_id, 1, booth=other_booth)[0]
    online = issue(app, election_id, 1)[0]
    with app.app_context():
        tokens.void_token(election_id, mine[0].short_code)
    now = datetime.now(UTC)
    ballots = [
        offline(mine[0]),
        offline(theirs),
        offline(theirs.short_code),
        offline(online.short_code),
        offline(mine[1], selections={"city": {"choices": ["A1", "A2"]}}),
        offline(mine[2], cast_at=now + timedelta(hours=2)),
        offline(mine[3], cast_at=now - timedelta(days=2)),
        offline("0000-0000-0000-0000-0"),
        offline(mine[3], id="not-a-receipt"),
    ]
    response = _sync(client, election_id, booth, kiosk, ballots)
    assert _results(response) == [
        ("refused", "token_void"),
        ("refused", "token_wrong_channel"),
        ("refused", "token_wrong_channel"),
        ("refused", "token_wrong_channel"),
        ("refused", "ballot_invalid"),
        ("refused", "cast_in_future"),
        ("refused", "cast_before_open"),
        ("refused", "token_unknown"),
        ("refused", "receipt_malformed"),
    ]
    results = response.get_json()["results"]
    assert all(r["message"] for r in results)
    assert "over" in results[4]["detail"] or "exceeds" in results[4]["detail"]
    assert response.get_json()["counts"] == {"refused": 9}
    assert _ballots(app) == []
    assert len(_quarantine(app)) == 9

    assert _results(_sync(client, election_id, booth, kiosk, ballots))[0] == (
        "refused",
        "token_void",
    )
    assert len(_quarantine(app)) == 9  # a retried sync records nothing twice

    listed = client.get(
        f"/api/v1/admin/elections/{election_id}/quarantine?booth_id={booth}",
        headers=admin_headers,
    )
    assert listed.status_code == 200
    rows = listed.get_json()
    assert len(rows) == 9 and {row["booth_id"] for row in rows} == {booth}
    invalid = [row for row in rows if row["reason"] == "ballot_invalid"]
    assert len(invalid) == 1 and '"A2"' in invalid[0]["content"]
    # whole hours, shown in the election's zone (Asia/Seoul, the default)
    assert all(row["cast_at"].endswith(":00:00+09:00") for row in rows)


def test_a_restricted_booth_batch_is_checked_at_sync_and_told_to_kiosks(
    app: Flask, client: FlaskClient, election_id: int, booth: int
) -> None:
    district = issue(app, election_id, 3, booth=booth, contests=["city"])
    kiosk = provision(app, election_id, booth)
    assert kiosk["contests"] == ["city"]

    city_only = {"city": {"choices": ["A1"]}}
    ballots = [
        offline(district[0]),
        offline(district[1], selections=city_only),
        offline(district[2], selections={"north": {"choices": ["N1"], "points": [6]}}),
    ]
    response = _sync(client, election_id, booth, kiosk, ballots)
    assert _results(response) == [
        ("refused", "token_contest_not_allowed"),
        ("accepted", None),
        ("refused", "token_contest_not_allowed"),
    ]
    refused = response.get_json()["results"][0]
    assert json.loads(refused["detail"]) == {
        "selections": {"north": ["This voting code does not allow a vote in this contest."]}
    }
    assert _ballots(app) == [booth_channel(booth)]
    assert _quarantine(app) == ["token_contest_not_allowed"] * 2
    assert _results(_sync(client, election_id, booth, kiosk, ballots[1:2])) == [
        ("already_accepted", None)
    ]


@pytest.mark.parametrize("first", ["batch", "kiosk"])
def test_every_batch_of_a_booth_allows_the_contests_its_kiosks_show(
    app: Flask,
    client: FlaskClient,
    election_id: int,
    booth: int,
    admin_headers: dict[str, str],
    first: str,
) -> None:
    """A kiosk shows one ballot to every voter of its booth, so a batch that allowed other
    contests would have its voters' ballots refused after they left: it is not issued."""
    if first == "batch":
        issue(app, election_id, 1, booth=booth, contests=["city"])
        shown, other = ["city"], None
    else:  # a kiosk provisioned before any batch shows every contest
        provision(app, election_id, booth)
        shown, other = ["city", "north"], ["city"]
    url = f"/api/v1/admin/elections/{election_id}/token-batches"
    for contests in (["north"], other):
        body = {"size": 1, "booth_id": booth} | ({"contests": contests} if contests else {})
        refused = client.post(url, json=body, headers=admin_headers)
        assert_error(refused, 409, "booth_contests_differ")
        assert ", ".join(shown) in refused.get_json()["error"]["message"]
    issue(app, election_id, 1, booth=booth, contests=shown)  # the booth's own ballot is fine
    assert provision(app, election_id, booth)["contests"] == shown


def test_test_tokens_are_checked_and_never_stored(
    app: Flask, client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    token = issue(app, election_id, 1, booth=booth, test=True)[0]
    response = _sync(client, election_id, booth, kiosk, [offline(token), offline(token)])
    assert _results(response) == [("test", None), ("test", None)]
    assert _ballots(app) == [] and _quarantine(app) == []


def test_close_and_grace_period(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(
        imported_election, **window(opened=timedelta(days=2), closes=-timedelta(hours=2))
    )
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    before, after = issue(app, election_id, 2, booth=booth)
    now = datetime.now(UTC)
    response = _sync(
        client,
        election_id,
        booth,
        kiosk,
        [offline(before, cast_at=now - timedelta(hours=3)), offline(after, cast_at=now)],
    )
    assert _results(response) == [("accepted", None), ("refused", "cast_after_close")]


@pytest.mark.parametrize("app_config", [{"VOTESVC_SYNC_GRACE_MINUTES": 60}])
def test_ballots_synced_after_the_grace_period_are_refused(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(
        imported_election, **window(opened=timedelta(days=2), closes=-timedelta(hours=2))
    )
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    token = issue(app, election_id, 1, booth=booth)[0]
    cast_at = datetime.now(UTC) - timedelta(hours=3)
    response = _sync(client, election_id, booth, kiosk, [offline(token, cast_at=cast_at)])
    assert _results(response) == [("refused", "synced_too_late")]


def test_kiosk_credentials(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    booth: int,
    kiosk: dict[str, Any],
) -> None:
    url = f"/api/v1/elections/{election_id}/booths/{booth}/sync"
    body = {"ballots": [offline(receipt_id())]}
    assert_error(client.post(url, json=body), 401, "kiosk_unauthorized")
    wrong = {"Authorization": "Bearer vkc_wrong"}
    assert_error(client.post(url, json=body, headers=wrong), 401, "invalid_kiosk_credential")
    assert_error(
        client.post(url, json=body, headers=admin_headers), 401, "invalid_kiosk_credential"
    )
    other = add_booth(app, election_id, "b2")
    own = {"Authorization": f"Bearer {kiosk['credential']}"}
    other_url = f"/api/v1/elections/{election_id}/booths/{other}/sync"
    assert_error(client.post(other_url, json=body, headers=own), 403, "kiosk_wrong_booth")


def test_malformed_sync_bodies(
    client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    naive = offline(receipt_id(), cast_at=None)
    naive["cast_at"] = "2025-05-02T10:00:00"
    fields = assert_error(
        _sync(client, election_id, booth, kiosk, [naive]), 422, "validation_failed"
    )
    assert "cast_at" in str(fields)
    assert_error(_sync(client, election_id, booth, kiosk, []), 422, "validation_failed")


def test_syncing_a_draft_election_refuses_counted_ballots(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election, phase="draft")
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    real, test = (
        issue(app, election_id, 1, booth=booth)[0],
        issue(app, election_id, 1, booth=booth, test=True)[0],
    )
    response = _sync(client, election_id, booth, kiosk, [offline(real), offline(test)])
    assert _results(response) == [("refused", "election_not_open"), ("test", None)]


def test_a_stolen_kiosk_key_signs_nothing_valid_at_another_booth(
    app: Flask, client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    """Booth b1's keys (what its kiosk holds) sign a token naming booth b2: b2 refuses it."""
    other = add_booth(app, election_id, "b2")
    other_kiosk = provision(app, election_id, other)
    genuine = issue(app, election_id, 1, booth=other)[0]
    stolen = [base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)) for k in kiosk["channel_keys"]]
    forged = sign(TokenClaims(str(election_id), booth_channel(other), genuine.token_id), stolen)
    response = _sync(client, election_id, other, other_kiosk, [offline(forged)])
    assert _results(response) == [("refused", "token_bad_signature")]
    assert _ballots(app) == []


def test_a_retry_stays_accepted_after_voting_ends_and_test_tokens_ignore_times(
    app: Flask, client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    counted, late = issue(app, election_id, 2, booth=booth)
    test = issue(app, election_id, 1, booth=booth, test=True)[0]
    ballot = offline(counted)
    assert _results(_sync(client, election_id, booth, kiosk, [ballot])) == [("accepted", None)]
    with app.app_context():
        db.session.get(Election, election_id).phase = Phase.PUBLISHED.value
        db.session.commit()
    long_ago = datetime.now(UTC) - timedelta(days=30)
    retry = _sync(
        client,
        election_id,
        booth,
        kiosk,
        [ballot, offline(late), offline(test.short_code, cast_at=long_ago)],
    )
    assert _results(retry) == [
        ("already_accepted", None),
        ("refused", "election_not_open"),
        ("test", None),
    ]
    assert len(_ballots(app)) == 2


def _check(
    client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any], token: str
) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/booths/{booth}/check",
        json={"token": token},
        headers={"Authorization": f"Bearer {kiosk['credential']}", "Accept-Language": "en"},
    )


def test_a_code_check_answers_as_the_sync_would_and_spends_nothing(
    app: Flask, client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    (real,) = issue(app, election_id, 1, booth=booth)
    (test,) = issue(app, election_id, 1, booth=booth, test=True)
    (elsewhere,) = issue(app, election_id, 1, booth=add_booth(app, election_id, "b9"))
    forged = real.signed[:-2] + ("AA" if not real.signed.endswith("AA") else "BB")
    answers = {
        name: _check(client, election_id, booth, kiosk, code).get_json()
        for name, code in [
            ("real", real.signed),
            ("short", real.short_code),
            ("test", test.signed),
            ("elsewhere", elsewhere.signed),
            ("elsewhere short", elsewhere.short_code),
            ("forged", forged),
            ("typo", real.short_code[:-1] + ("X" if real.short_code[-1] != "X" else "Y")),
        ]
    }
    assert answers["real"] == {"status": "valid"} and answers["short"] == {"status": "valid"}
    assert answers["test"] == {"status": "test"}
    assert answers["elsewhere"]["reason"] == "token_wrong_channel"  # its signature says so
    # a short code has no signature: where it was issued stays unsaid, as for one never issued
    assert answers["elsewhere short"]["reason"] == "token_unknown"
    assert answers["forged"]["reason"] == "token_bad_signature"
    assert answers["typo"]["status"] == "refused"
    assert answers["forged"]["message"] and answers["forged"]["status"] == "refused"
    assert _ballots(app) == [] and _quarantine(app) == []

    assert _results(_sync(client, election_id, booth, kiosk, [offline(real)])) == [
        ("accepted", None)
    ]
    spent = _check(client, election_id, booth, kiosk, real.signed).get_json()
    assert spent["status"] == "refused" and spent["reason"] == "token_already_used"


def test_a_code_check_needs_the_kiosk_credential_and_a_code(
    client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    url = f"/api/v1/elections/{election_id}/booths/{booth}/check"
    assert_error(client.post(url, json={"token": "x"}), 401, "kiosk_unauthorized")
    bearer = {"Authorization": f"Bearer {kiosk['credential']}"}
    assert_error(client.post(url, json={}, headers=bearer), 422, "validation_failed")


def test_a_code_check_after_the_close_says_so(
    app: Flask, client: FlaskClient, election_id: int, booth: int, kiosk: dict[str, Any]
) -> None:
    (real,) = issue(app, election_id, 1, booth=booth)
    with app.app_context():
        election = db.session.get(Election, election_id)
        election.ends_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    answer = _check(client, election_id, booth, kiosk, real.signed).get_json()
    assert answer["reason"] == "cast_after_close"
