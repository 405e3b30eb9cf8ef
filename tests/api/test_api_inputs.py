"""Every bad input answers a clear 4xx in the one error shape, changes nothing and never
echoes invalid text (issue 11, section 2). PostgreSQL-only effects: ``tests/pg/test_pg_inputs``."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient

from votesvc.api import errors
from votesvc.api.inputs import MAX_JSON_DEPTH, too_deep

Headers = dict[str, str]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
CR_ROLL = "identifier\rp-1\rp-2\r"


def _raw(client: FlaskClient, method: str, path: str, body: str, headers: Headers) -> Any:
    return client.open(
        path, method=method, data=body, content_type="application/json", headers=headers
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            '{"name_en": "a\\u0000b"}',
            {"name_en": ["Text must not contain U+0000 or unpaired UTF-16 surrogates."]},
        ),
        (
            '{"name_en": "a\\ud800"}',
            {"name_en": ["Text must not contain U+0000 or unpaired UTF-16 surrogates."]},
        ),
        (
            '{"\\udc00x": 1}',
            {"\ufffdx": ["Text must not contain U+0000 or unpaired UTF-16 surrogates."]},
        ),
    ],
    ids=["nul", "lone-surrogate", "surrogate-key"],
)
def test_unstorable_text_is_a_422_that_echoes_none_of_it(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
    body: str,
    fields: dict[str, Any],
) -> None:
    election_id = imported_election()
    before = row_counts()
    response = _raw(client, "PATCH", f"/api/v1/admin/elections/{election_id}", body, admin_headers)
    assert_error(response, 422, "validation_failed", fields)
    response.get_data().decode("utf-8")  # strict: nothing unencodable came back
    assert row_counts() == before


def test_a_pair_of_surrogate_escapes_is_one_character(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    body = '{"name_en": "smile \\ud83d\\ude00"}'
    response = _raw(client, "PATCH", f"/api/v1/admin/elections/{election_id}", body, admin_headers)
    assert response.status_code == 200
    assert response.get_json()["name_en"] == "smile \U0001f600"


def test_an_unknown_lone_surrogate_key_on_the_cast_is_not_echoed(
    client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(phase="voting")
    body = '{"token": "x", "selections": {}, "\\ud800": 1}'
    response = _raw(client, "POST", f"/api/v1/elections/{election_id}/ballots", body, {})
    assert_error(response, 422, "validation_failed")
    assert "\ufffd" in response.get_data().decode("utf-8")


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # past Python's recursion limit
        '{"token": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}",
        '{"token": 1' + "0" * 5000 + "}",  # past Python's 4 300 digits
    ],
    ids=["deep", "deeper-than-the-limit", "long-integer"],
)
def test_json_past_the_readers_limits_is_a_400(
    client: FlaskClient, imported_election: Callable[..., int], body: str
) -> None:
    election_id = imported_election(phase="voting")
    response = _raw(client, "POST", f"/api/v1/elections/{election_id}/ballots", body, {})
    assert_error(response, 400, "malformed_json")


def test_json_as_deep_as_the_limit_is_read(
    client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(phase="voting")
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    body = '{"token": ' + nested + ', "selections": {}}'
    response = _raw(client, "POST", f"/api/v1/elections/{election_id}/ballots", body, {})
    assert_error(response, 422, "validation_failed", {"token": ["Not a valid string."]})


def _nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        (_nested(MAX_JSON_DEPTH), False),
        (_nested(MAX_JSON_DEPTH + 1), True),
        ('{"a": [' + '"' + "[" * 40 + '"' + ', {"b": {}}]}', False),  # brackets in a string
        ('["\\"' + "[" * 40 + '", 1]', False),  # after an escaped quote, still in the string
        (_nested(MAX_JSON_DEPTH + 1, '"\\"]]]"'), True),
        ('[{"a": ' + _nested(MAX_JSON_DEPTH) + "}]", True),
        ("[" * 100_000, False),  # unbalanced: the parser's to refuse
    ],
    ids=[
        "at-the-limit",
        "past-it",
        "in-a-string",
        "escaped-quote",
        "deep-escaped",
        "mixed",
        "open",
    ],
)
def test_depth_is_found_before_parsing(text: str, deep: bool) -> None:
    assert too_deep(text.encode()) is deep


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_rule_options_are_a_422(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    literal: str,
) -> None:
    imported_election()
    body = '{"rule_options": {"x": ' + literal + "}}"
    response = _raw(client, "PATCH", "/api/v1/admin/contests/1", body, admin_headers)
    assert_error(
        response,
        422,
        "validation_failed",
        {"rule_options": ["Option 'x' must be a finite number."]},
    )


@pytest.mark.parametrize("zone", ["America", "Asia", "A" * 300, "localtime", "Asia/../Asia/Seoul"])
def test_time_zones_are_tz_database_names(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int], zone: str
) -> None:
    election_id = imported_election()
    response = client.patch(
        f"/api/v1/admin/elections/{election_id}", json={"timezone": zone}, headers=admin_headers
    )
    fields = assert_error(response, 422, "validation_failed")
    assert set(fields) == {"timezone"}


@pytest.mark.parametrize(
    "moment", ["1900-01-01T00:00:00", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00"]
)
def test_times_are_between_1970_and_2099(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int], moment: str
) -> None:
    election_id = imported_election()
    response = client.patch(
        f"/api/v1/admin/elections/{election_id}", json={"starts_at": moment}, headers=admin_headers
    )
    assert_error(
        response,
        422,
        "validation_failed",
        {"starts_at": ["Must be from 1970 to 2099, as ISO 8601 (RFC 3339)."]},
    )


def test_a_zone_whose_offset_had_seconds_is_shown_in_utc(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    """Monrovia kept -00:44:30 until 1972: every listing stays RFC 3339."""
    election_id = imported_election()
    change = {"timezone": "Africa/Monrovia", "starts_at": "1971-06-01T12:00:00"}
    response = client.patch(
        f"/api/v1/admin/elections/{election_id}", json=change, headers=admin_headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    listed = client.get("/api/v1/admin/elections", headers=admin_headers).get_json()
    assert listed[0]["starts_at"] == "1971-06-01T12:44:30+00:00"
    assert all(RFC3339.match(e[key]) for e in listed for key in ("starts_at", "ends_at"))


@pytest.mark.parametrize("path", ["elections/1", "contests/1", "agendas/1", "booths/1"])
def test_an_empty_update_is_refused_and_audits_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
    path: str,
) -> None:
    imported_election()
    before = row_counts()
    for response in (
        client.patch(f"/api/v1/admin/{path}", json={}, headers=admin_headers),
        client.patch(f"/api/v1/admin/{path}", headers=admin_headers),  # no body at all
    ):
        assert_error(
            response, 422, "validation_failed", {"_schema": ["Give at least one field to change."]}
        )
    assert row_counts() == before


def test_ids_past_the_integer_range_match_no_route(
    client: FlaskClient, admin_headers: Headers
) -> None:
    for path in ("/api/v1/elections/2147483648", "/api/v1/admin/elections/" + "9" * 5000):
        assert_error(client.get(path, headers=admin_headers), 404, "not_found")
    document = client.get("/api/v1/openapi.json").get_json()
    parameter = document["paths"]["/api/v1/elections/{election_id}"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_ids_in_bodies_and_queries_are_in_the_integer_range(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    base = f"/api/v1/admin/elections/{election_id}"
    response = client.post(
        f"{base}/token-batches", json={"booth_id": 2**31, "size": 1}, headers=admin_headers
    )
    assert set(assert_error(response, 422, "validation_failed")) == {"booth_id"}
    response = client.get(f"{base}/quarantine?booth_id=2147483648", headers=admin_headers)
    assert set(assert_error(response, 422, "validation_failed")) == {"booth_id"}


def test_u0000_in_a_url_is_refused_before_any_lookup(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    assert_error(
        client.get(f"/api/v1/elections/{election_id}/results/files/a%00b"), 404, "not_found"
    )
    response = client.post(
        f"/api/v1/admin/elections/{election_id}/contests/import-pb?code=a%00",
        data="x",
        content_type="text/plain",
        headers=admin_headers,
    )
    assert_error(response, 422, "validation_failed")


def test_text_files_with_u0000_are_refused(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    base = f"/api/v1/admin/elections/{election_id}"
    response = client.post(
        f"{base}/voter-roll",
        data="identifier\na\x00b\n",
        content_type="text/csv",
        headers=admin_headers,
    )
    assert_error(response, 422, "voter_roll_invalid")
    response = client.post(
        f"{base}/contests/import-pb",
        data="META\x00",
        content_type="text/plain",
        headers=admin_headers,
    )
    assert_error(response, 422, "invalid_pb_file")


def test_cr_only_line_ends_are_line_ends(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    from test_api_pb_import import APPROVAL

    election_id = imported_election()
    base = f"/api/v1/admin/elections/{election_id}"
    response = client.post(
        f"{base}/contests/import-pb",
        data=APPROVAL.replace("\n", "\r"),
        content_type="text/plain",
        headers=admin_headers,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert len(response.get_json()["contest"]["agendas"]) == 3
    response = client.post(
        f"{base}/voter-roll", data=CR_ROLL, content_type="text/csv", headers=admin_headers
    )
    assert response.get_json() == {"added": 2, "already_listed": 0}
    response = client.post(
        f"{base}/contests/import-pb",
        data='META\nkey;value\n"open',
        content_type="text/plain",
        headers=admin_headers,
    )
    assert_error(response, 422, "invalid_pb_file")


# --- bodies over the size limit, however they are sent -------------------------------------

LIMIT = 256 * 1024


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"MAX_CONTENT_LENGTH": LIMIT}


def _chunked(client: FlaskClient, path: str, body: bytes, mimetype: str, headers: Headers) -> Any:
    """A body without Content-Length, as a chunked request reaches the app (the server ends
    the stream and says so with ``wsgi.input_terminated``)."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={**headers, "Content-Type": mimetype, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_roll_over_the_limit_is_413_and_imports_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    election_id = imported_election()
    before = row_counts()
    roll = ("identifier\n" + "".join(f"person-{n:08d}\n" for n in range(20_000))).encode()
    assert len(roll) > LIMIT
    path = f"/api/v1/admin/elections/{election_id}/voter-roll"
    assert_error(_chunked(client, path, roll, "text/csv", admin_headers), 413, "payload_too_large")
    assert row_counts() == before
    exact = roll[: roll.rindex(b"\n", 0, LIMIT) + 1].ljust(LIMIT, b"\n")
    response = _chunked(client, path, exact, "text/csv", admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_chunked_json_body_over_the_limit_is_413(
    client: FlaskClient, admin_headers: Headers, row_counts: Callable[[], dict[str, int]]
) -> None:
    before = row_counts()
    document = {
        "slug": "big",
        "name_en": "x",
        "description_en": "y" * LIMIT,
        "starts_at": "2025-01-01T00:00:00Z",
        "ends_at": "2025-02-01T00:00:00Z",
    }
    body = json.dumps(document).encode()
    response = _chunked(client, "/api/v1/admin/elections", body, "application/json", admin_headers)
    assert_error(response, 413, "payload_too_large")
    assert row_counts() == before


# --- 500s log a traceback once per kind, then one line --------------------------------------


def test_a_repeated_unexpected_error_logs_its_traceback_once(
    app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    monkeypatch.setattr(errors, "THROTTLE", errors.TracebackThrottle(clock=lambda: now[0]))

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/broken", view_func=broken)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="votesvc.api.errors"):
        for _ in range(3):
            assert_error(client.get("/api/v1/broken"), 500, "internal_error")
        now[0] += errors.TRACEBACK_SECONDS
        assert_error(client.get("/api/v1/broken"), 500, "internal_error")
    with_traceback = [record.exc_info is not None for record in caplog.records]
    assert with_traceback == [True, False, False, True]
    assert all(len(record.getMessage()) < 300 for record in caplog.records)
