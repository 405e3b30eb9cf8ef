"""Casting online ballots: success, receipts, every refusal with its code, forged tokens."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from api_assertions import assert_error, assert_rate_limited
from flask import Flask
from flask.testing import FlaskClient
from sql_support import sent_statements
from voting_support import GOOD, issue, open_election, window

from votesvc.models import Ballot, Receipt, Token
from votesvc.models.base import db
from votesvc.services import keys
from votesvc.services.keys import receipt_hash
from votesvc.voting.tokens import TOKEN_ID_BYTES, TokenClaims, TokenIssuer, booth_channel, sign


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


def _cast(client: FlaskClient, election_id: int, token: str, selections: Any = GOOD) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": token, "selections": selections},
    )


def _stored(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(sa.select(Ballot.channel, Ballot.content, Ballot.receipt_hash))
        return sorted(tuple(row) for row in rows)


def _status(app: Flask, election_id: int) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Token.status)))


def test_a_ballot_is_cast_once_with_a_receipt(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    token = issue(app, election_id, 2)[0]
    response = _cast(client, election_id, token.signed)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["test"] is False and body["contests"] == ["city", "north"]
    stored = _stored(app)
    with app.app_context():
        code_hash = receipt_hash(body["receipt"])
        assert db.session.get(Receipt, code_hash) is not None
    assert stored == [
        ("online", '{"choices":["A1","A3"]}', code_hash),
        ("online", '{"choices":["N1","N2"],"points":[6,4]}', code_hash),
    ]
    assert _status(app, election_id) == ["spent", "unused"]

    check = client.post(
        f"/api/v1/elections/{election_id}/receipt-check",
        json={"receipt": body["receipt"].lower()},
    )
    assert check.status_code == 200
    assert check.get_json()["contests"] == ["city", "north"]
    assert "A1" not in check.get_data(as_text=True)


def test_a_typed_short_code_casts_like_the_qr_code(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    token = issue(app, election_id, 1)[0]
    typed = token.short_code.replace("-", " ").lower()
    assert _cast(client, election_id, typed, {"city": {"choices": ["A2"]}}).status_code == 201
    assert len(_stored(app)) == 1


def test_a_restricted_token_votes_only_in_its_contests(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    token = issue(app, election_id, 1, contests=["city"])[0]
    refused = _cast(client, election_id, token.signed)
    fields = assert_error(refused, 403, "token_contest_not_allowed")
    assert fields == {
        "selections": {"north": ["This voting code does not allow a vote in this contest."]}
    }
    assert _stored(app) == [] and _status(app, election_id) == ["unused"]

    typed = _cast(client, election_id, token.short_code, {"north": GOOD["north"]})
    assert_error(typed, 403, "token_contest_not_allowed")
    allowed = _cast(client, election_id, token.signed, {"city": GOOD["city"]})
    assert allowed.status_code == 201 and allowed.get_json()["contests"] == ["city"]
    assert _status(app, election_id) == ["spent"]


def test_a_refused_cast_reads_its_token_row_once(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    """The failed spend reads the token's record once, for the refusal, the batch's contests
    and a retried cast alike (``token_record``), then writes nothing."""
    token = issue(app, election_id, 1, contests=["city"])[0]
    with sent_statements(app) as sent:
        assert_error(_cast(client, election_id, token.signed), 403, "token_contest_not_allowed")
    reads = [sql for sql in sent if re.search(r"^SELECT\b.*\bFROM token\b", sql, re.S)]
    assert len(reads) == 1, reads


def test_a_restricted_test_token_is_checked_against_its_contests(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    token = issue(app, election_id, 1, test=True, contests=["north"])[0]
    assert_error(_cast(client, election_id, token.signed), 403, "token_contest_not_allowed")
    dry_run = _cast(client, election_id, token.signed, {"north": GOOD["north"]})
    assert dry_run.status_code == 200 and dry_run.get_json()["test"] is True


def test_a_replay_is_refused_and_changes_nothing(
    app: Flask,
    client: FlaskClient,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    token = issue(app, election_id, 1)[0]
    assert _cast(client, election_id, token.signed).status_code == 201
    before = row_counts()
    for text, selections in ((token.signed, GOOD), (token.short_code, {"city": {"choices": []}})):
        replay = _cast(client, election_id, text, selections)
        assert_error(replay, 409, "token_already_used", {})
        assert "A1" not in replay.get_data(as_text=True)
    assert row_counts() == before


def test_every_problem_of_every_contest_is_listed(
    app: Flask,
    client: FlaskClient,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    token = issue(app, election_id, 1)[0]
    before = row_counts()
    selections = {
        "city": {"choices": ["A1", "A2", "A3", "Z9"]},
        "north": {"choices": ["N1", "N2"], "points": [7, 4]},
        "south": {"choices": ["S1"]},
    }
    fields = assert_error(
        _cast(client, election_id, token.signed, selections), 422, "ballot_invalid"
    )
    problems = fields["selections"]
    assert set(problems) == {"city", "north", "south"}
    assert len(problems["city"]) == 3  # unknown agenda, too many choices, over the cost limit
    assert any("Z9" in text for text in problems["city"])
    assert any("exceeds the limit 1000000" in text for text in problems["city"])
    assert len(problems["north"]) == 2  # 7 > 6 for N1, 11 > 10 in total
    assert problems["south"] == ["Not a contest of this election."]
    assert row_counts() == before
    assert _status(app, election_id) == ["unused"]


@pytest.mark.parametrize(
    ("selections", "expected"),
    [
        ({}, {"selections": ["Vote in at least one contest."]}),
        ({"city": {"choices": ["A1", "A1"]}}, {"selections": {"city": ["A1 is marked twice."]}}),
    ],
)
def test_empty_or_duplicated_selections(
    app: Flask, client: FlaskClient, election_id: int, selections: Any, expected: Any
) -> None:
    token = issue(app, election_id, 1)[0]
    assert_error(
        _cast(client, election_id, token.signed, selections), 422, "ballot_invalid", expected
    )


def test_malformed_bodies_are_validation_errors(client: FlaskClient, election_id: int) -> None:
    response = client.post(f"/api/v1/elections/{election_id}/ballots", json={"selections": 3})
    fields = assert_error(response, 422, "validation_failed")
    assert set(fields) == {"token", "selections"}


def _forged(app: Flask, election_id: int) -> dict[str, str]:
    """Every kind of forgery, each with the code it must be refused with."""
    genuine = issue(app, election_id, 1)[0]
    other_secret = TokenIssuer([secrets.token_bytes(32)])
    with app.app_context():
        real = TokenIssuer(app.config["VOTESVC_TOKEN_SECRETS"])
    unknown = TokenClaims(str(election_id), "online", secrets.token_bytes(TOKEN_ID_BYTES))
    elsewhere = TokenClaims(str(election_id + 1), "online", genuine.token_id)
    booth = TokenClaims(str(election_id), booth_channel(1), genuine.token_id)
    body, signature = genuine.signed.rsplit(".", 1)
    edited = body[:-1] + ("A" if body[-1] != "A" else "B") + "." + signature
    return {
        other_secret.issue(str(election_id), "online").signed: "token_bad_signature",
        edited: "token_bad_signature",
        genuine.signed + "x": "token_bad_signature",
        sign(unknown, real.channel_keys("online")): "token_unknown",
        sign(elsewhere, real.channel_keys("online")): "token_wrong_election",
        sign(booth, real.channel_keys(booth_channel(1))): "token_wrong_channel",
        "v1.not-a-token": "token_malformed",
    }


def test_forged_tokens_are_refused(
    app: Flask,
    client: FlaskClient,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    forged = _forged(app, election_id)
    before = row_counts()
    for text, code in forged.items():
        assert_error(_cast(client, election_id, text), 403, code)
    assert row_counts() == before


def test_booth_tokens_are_for_kiosks_not_the_online_endpoint(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    booth_token = issue(app, election_id, 1, booth=1)[0]
    assert_error(_cast(client, election_id, booth_token.signed), 403, "token_wrong_channel")
    assert_error(_cast(client, election_id, booth_token.short_code), 403, "token_wrong_channel")


@pytest.mark.parametrize(
    ("typed", "code"),
    [("ABCD-EFGH", "short_code_malformed"), ("0000-0000-0000-0000-1", "short_code_typo")],
)
def test_short_code_typos_are_caught_before_any_lookup(
    client: FlaskClient, election_id: int, typed: str, code: str
) -> None:
    fields = assert_error(_cast(client, election_id, typed), 422, code)
    assert list(fields) == ["token"]


def test_void_tokens_are_refused(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], election_id: int
) -> None:
    first, second = issue(app, election_id, 2)
    voided = client.post(
        f"/api/v1/admin/elections/{election_id}/tokens/void",
        json={"code": first.short_code},
        headers=admin_headers,
    )
    assert voided.status_code == 200 and voided.get_json() == {"voided": 1}
    assert_error(_cast(client, election_id, first.signed), 403, "token_void")
    assert _cast(client, election_id, second.signed).status_code == 201
    again = client.post(
        f"/api/v1/admin/elections/{election_id}/tokens/void",
        json={"code": second.short_code},
        headers=admin_headers,
    )
    assert_error(again, 409, "token_not_voidable")


def test_test_tokens_run_the_whole_path_and_store_nothing(
    app: Flask,
    client: FlaskClient,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    token = issue(app, election_id, 1, test=True)[0]
    before = row_counts()
    for _ in range(2):
        response = _cast(client, election_id, token.signed)
        assert response.status_code == 200
        assert response.get_json() == {"receipt": None, "test": True, "contests": ["city", "north"]}
    bad = {"city": {"choices": ["A1", "A2"]}}
    assert_error(_cast(client, election_id, token.signed, bad), 422, "ballot_invalid")
    assert row_counts() == before
    assert _status(app, election_id) == ["test"]


def test_a_test_token_works_before_voting_starts(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election, phase="draft")
    test_token, real_token = issue(app, election_id, 1, test=True)[0], issue(app, election_id, 1)[0]
    assert _cast(client, election_id, test_token.signed).status_code == 200
    assert_error(_cast(client, election_id, real_token.signed), 409, "election_not_open")


def test_the_flag_of_a_test_token_cannot_be_flipped(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    token = issue(app, election_id, 1, test=True)[0]
    with app.app_context():
        real = TokenIssuer(app.config["VOTESVC_TOKEN_SECRETS"])
    flipped = TokenClaims(str(election_id), "online", token.token_id, test=False)
    assert_error(
        _cast(client, election_id, sign(flipped, real.channel_keys("online"))),
        403,
        "token_test_mismatch",
    )


@pytest.mark.parametrize(
    "changes",
    [
        window(opened=timedelta(days=3), closes=-timedelta(days=1)),
        window(opened=-timedelta(days=1), closes=timedelta(days=3)),
    ],
)
def test_ballots_only_inside_the_voting_window(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], changes: Any
) -> None:
    election_id = open_election(imported_election, **changes)
    token = issue(app, election_id, 1)[0]
    assert_error(_cast(client, election_id, token.signed), 409, "election_not_open")


def test_an_unknown_election_is_404(client: FlaskClient) -> None:
    assert_error(_cast(client, 999, "v1.x"), 404, "not_found")


def test_receipt_check_refusals(client: FlaskClient, election_id: int) -> None:
    url = f"/api/v1/elections/{election_id}/receipt-check"
    unknown = client.post(url, json={"receipt": "0000-0000-0000-0000-0"})
    assert_error(unknown, 404, "receipt_unknown")
    assert_error(client.post(url, json={"receipt": "nonsense"}), 422, "receipt_malformed")


def test_the_receipt_code_never_travels_in_a_url(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    """The old GET put the code in the path, so every access log kept it beside the voter's
    address: it answers 410 and reads nothing, even for a real receipt."""
    (token,) = issue(app, election_id, 1)
    receipt = _cast(client, election_id, token.signed).get_json()["receipt"]
    old = client.get(f"/api/v1/elections/{election_id}/receipts/{receipt}")
    assert_error(old, 410, "gone")
    assert receipt not in old.get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    in_urls = []
    for path, item in spec["paths"].items():
        operations = [op for method, op in item.items() if method != "parameters"]
        if all(op.get("deprecated") for op in operations):
            continue
        parameters = item.get("parameters", []) + [
            parameter for op in operations for parameter in op.get("parameters", [])
        ]
        in_urls += [
            (path, parameter["name"])
            for parameter in parameters
            if parameter["in"] in ("path", "query")
            and (
                any(word in parameter["name"] for word in ("receipt", "token", "cast_id"))
                or (parameter["name"] == "code" and "/admin/" not in path)
            )
        ]
    assert in_urls == []


@pytest.mark.parametrize("app_config", [{"VOTESVC_CAST_LIMIT": "2 per minute"}])
def test_casting_is_rate_limited_per_client(
    app: Flask, client: FlaskClient, election_id: int
) -> None:
    tokens = issue(app, election_id, 3)
    assert _cast(client, election_id, tokens[0].signed).status_code == 201
    assert_error(_cast(client, election_id, tokens[0].signed), 409, "token_already_used")
    assert_rate_limited(_cast(client, election_id, tokens[1].signed))
    other = app.test_client()
    response = other.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": tokens[2].signed, "selections": GOOD},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.status_code == 201
    assert json.loads(response.get_data())["receipt"]


@pytest.mark.parametrize(
    "selection",
    [
        {"choices": "A1"},
        {"choices": [1]},
        {"choices": ["A1"], "points": ["3"]},
        {"choices": ["A1"], "points": [True]},
        {"choices": ["A1"], "weight": 2},
        ["A1"],
    ],
)
def test_selections_of_the_wrong_shape_are_refused(
    app: Flask, client: FlaskClient, election_id: int, selection: Any
) -> None:
    token = issue(app, election_id, 1)[0]
    fields = assert_error(
        _cast(client, election_id, token.signed, {"city": selection}), 422, "validation_failed"
    )
    assert list(fields["selections"]["city"]) == ["value"]
    assert _status(app, election_id) == ["unused"]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_a_receipt_collision_is_a_conflict_that_spends_nothing(
    app: Flask,
    client: FlaskClient,
    election_id: int,
    monkeypatch: pytest.MonkeyPatch,
    database: str,
) -> None:
    """The spend's own transaction (outside the ORM session) maps a unique violation to 409
    ``duplicate`` and rolls the spend back with the receipt, as a session's unit of work does;
    on both databases, whose casting statements differ (one statement on PostgreSQL)."""
    with app.app_context():
        assert db.engine.dialect.name == database
    first, second = issue(app, election_id, 2)
    with app.app_context():
        receipt = keys.new_receipt()
    monkeypatch.setattr(keys, "new_receipt", lambda: receipt)
    assert _cast(client, election_id, first.signed).status_code == 201
    assert_error(_cast(client, election_id, second.signed), 409, "duplicate")
    assert _status(app, election_id) == ["spent", "unused"]
    assert len(_stored(app)) == 2
    monkeypatch.undo()
    assert _cast(client, election_id, second.signed).status_code == 201


def _named_cast(
    client: FlaskClient, election_id: int, token: str, cast_id: str, selections: Any = GOOD
) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": token, "selections": selections, "cast_id": cast_id},
    )


BOTH_DATABASES = pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]
)


@BOTH_DATABASES
def test_a_retried_cast_gets_its_receipt_again_and_stores_nothing_twice(
    app: Flask, client: FlaskClient, election_id: int, database: str
) -> None:
    """The answer to a cast was lost (a killed worker, a dropped connection): the client sends
    the same cast again and gets the same receipt; the ballots are stored once."""
    with app.app_context():
        assert db.engine.dialect.name == database
    first, other = issue(app, election_id, 2)
    cast_id = secrets.token_urlsafe(16)
    answer = _named_cast(client, election_id, first.signed, cast_id)
    assert answer.status_code == 201, answer.get_json()
    again = _named_cast(client, election_id, first.signed, cast_id)
    assert (again.status_code, again.get_json()) == (201, answer.get_json())
    typed = _named_cast(client, election_id, first.short_code, cast_id)  # the code typed
    assert typed.get_json() == answer.get_json()
    assert len(_stored(app)) == 2 and _status(app, election_id) == ["spent", "unused"]

    # the same id with other choices, or another id, is a spent token like any other
    changed = {**GOOD, "city": {"choices": ["A2"]}}
    assert_error(
        _named_cast(client, election_id, first.signed, cast_id, changed), 409, "token_already_used"
    )
    assert_error(
        _named_cast(client, election_id, first.signed, secrets.token_urlsafe(16)),
        409,
        "token_already_used",
    )
    # the same id with another token is another cast, with another receipt
    second = _named_cast(client, election_id, other.signed, cast_id)
    assert (
        second.status_code == 201 and second.get_json()["receipt"] != answer.get_json()["receipt"]
    )
    assert len(_stored(app)) == 4


def test_a_cast_id_must_be_long_and_plain(client: FlaskClient, election_id: int) -> None:
    for bad in ("short", "x" * 65, "émoji-and-more-than-22-chars", 12345678901234567890123):
        fields = assert_error(
            _named_cast(client, election_id, "v1.x", bad), 422, "validation_failed"
        )
        assert "cast_id" in fields


def test_an_unreachable_database_answers_503_with_retry_after(tmp_path: Any) -> None:
    """Not 500 internal_error: the voter's page (and any client) should try again."""
    from conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'votesvc.sqlite3'}", tmp_path / "i")
    for answer in (
        app.test_client().post(
            "/api/v1/elections/1/ballots", json={"token": "v1.x", "selections": GOOD}
        ),
        app.test_client().get("/api/v1/elections"),
    ):
        assert_error(answer, 503, "service_unavailable")
        assert answer.headers["Retry-After"] == "5"
