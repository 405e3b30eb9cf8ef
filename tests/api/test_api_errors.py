"""Every error status answers in the one JSON shape, in English or Korean, with a request id."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient

from votesvc.models import Election
from votesvc.models.base import db
from votesvc.services import elections
from votesvc.services.errors import Conflict
from votesvc.services.transaction import unit_of_work

ELECTIONS = "/api/v1/admin/elections"


def test_malformed_json_is_400(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        ELECTIONS, data='{"slug": ', content_type="application/json", headers=admin_headers
    )
    assert_error(response, 400, "malformed_json", {})


def test_missing_key_is_401(client: FlaskClient) -> None:
    response = client.get(ELECTIONS)
    assert_error(response, 401, "unauthorized", {})
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer vsk_not-a-key", "Basic dXNlcjpwYXNz", "Bearer", "vsk_no-scheme"]
)
def test_wrong_key_is_401(client: FlaskClient, header: str) -> None:
    response = client.get(ELECTIONS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"unauthorized", "invalid_api_key"}
    assert_error(response, 401, response.get_json()["error"]["code"], {})


def test_scoped_key_elsewhere_is_403(
    client: FlaskClient, imported_election: Callable[..., int], make_key: Callable[..., Any]
) -> None:
    first = imported_election()
    second = imported_election(slug="other")
    response = client.get(f"{ELECTIONS}/{second}", headers=make_key(first))
    assert_error(response, 403, "forbidden", {})


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v1/elections/999", f"{ELECTIONS}/999"])
def test_not_found_is_404(client: FlaskClient, admin_headers: dict[str, str], path: str) -> None:
    assert_error(client.get(path, headers=admin_headers), 404, "not_found", {})


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.delete("/api/v1/elections")
    assert_error(response, 405, "method_not_allowed", {})
    assert "GET" in response.headers["Allow"]


def test_duplicate_slug_is_409(
    client: FlaskClient,
    admin_headers: dict[str, str],
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    imported_election()
    before = row_counts()
    body = {
        "slug": "test-2025",
        "name_ko": "또",
        "starts_at": "2025-01-01T00:00:00",
        "ends_at": "2025-02-01T00:00:00",
    }
    response = client.post(ELECTIONS, json=body, headers=admin_headers)
    assert_error(response, 409, "duplicate", {"slug": ["Already used."]})
    assert row_counts() == before


def test_unforeseen_unique_violation_is_409_not_500(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    """Two admins racing past the service's own check hit the database's constraint."""
    imported_election()
    with app.app_context(), pytest.raises(Conflict) as raised, unit_of_work() as session:
        existing = session.get(Election, 1)
        assert existing is not None
        session.add(
            Election(
                slug=existing.slug,
                name_ko="x",
                starts_at=existing.starts_at,
                ends_at=existing.ends_at,
            )
        )
    assert raised.value.code == "duplicate"


def test_body_over_the_limit_is_413(
    app: Flask, admin_headers: dict[str, str], row_counts: Callable[[], dict[str, int]]
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    before = row_counts()
    body = {
        "slug": "big",
        "name_ko": "x" * 2000,
        "starts_at": "2025-01-01T00:00:00",
        "ends_at": "2025-02-01T00:00:00",
    }
    response = app.test_client().post(ELECTIONS, json=body, headers=admin_headers)
    assert_error(response, 413, "payload_too_large", {})
    assert row_counts() == before


def test_invalid_fields_are_422_with_details(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(ELECTIONS, json={"slug": "Bad Slug", "bogus": 1}, headers=admin_headers)
    fields = assert_error(response, 422, "validation_failed")
    assert set(fields) == {"slug", "bogus", "starts_at", "ends_at"}
    assert fields["bogus"] == ["Unknown field."]


def test_unexpected_error_is_500_without_internals_and_logged(
    client: FlaskClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(scope: int | None = None) -> list[Election]:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(elections, "list_elections", explode)
    with caplog.at_level(logging.ERROR, logger="votesvc.api.errors"):
        response = client.get(ELECTIONS, headers=admin_headers)
    assert_error(response, 500, "internal_error", {})
    assert "hunter2" not in response.get_data(as_text=True)
    request_id = response.headers["X-Request-ID"]
    assert any(request_id in record.getMessage() for record in caplog.records)
    assert "hunter2" in caplog.text  # the log has what the response hides


def test_messages_follow_accept_language(client: FlaskClient) -> None:
    response = client.get(ELECTIONS, headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    assert_error(response, 401, "unauthorized", {}, language="ko")
    assert response.headers["Content-Language"] == "ko"
    english = client.get(ELECTIONS, headers={"Accept-Language": "fr, en;q=0.5"})
    assert_error(english, 401, "unauthorized", {}, language="en")


def test_a_sane_incoming_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/api/v1/elections", headers={"X-Request-ID": "proxy-1234abcd"})
    assert response.headers["X-Request-ID"] == "proxy-1234abcd"
    forged = client.get("/api/v1/elections", headers={"X-Request-ID": "bad id <script>"})
    assert forged.headers["X-Request-ID"] != "bad id <script>"


def test_every_status_code_has_a_message_in_both_languages() -> None:
    from votesvc.api.error_codes import CODES
    from votesvc.api.errors import CODE_BY_STATUS
    from votesvc.i18n import has

    assert set(CODE_BY_STATUS.values()) <= set(CODES)
    assert [(code, lang) for code in CODES for lang in ("ko", "en") if not has(code, lang)] == []


def test_a_refused_request_leaves_the_session_usable(
    app: Flask,
    client: FlaskClient,
    admin_headers: dict[str, str],
    imported_election: Callable[..., int],
) -> None:
    election_id = imported_election()
    client.post(f"{ELECTIONS}/{election_id}/phase", json={"phase": "closed"}, headers=admin_headers)
    response = client.get(f"{ELECTIONS}/{election_id}", headers=admin_headers)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Election, election_id) is not None


def test_korean_messages_carry_their_parameters(
    client: FlaskClient, admin_headers: dict[str, str], imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    response = client.post(
        f"{ELECTIONS}/{election_id}/phase",
        json={"phase": "published"},
        headers={**admin_headers, "Accept-Language": "ko"},
    )
    assert_error(response, 409, "illegal_phase_transition", {}, language="ko")
    assert response.get_json()["error"]["message"] == (
        "선거 단계를 draft에서 published(으)로 바꿀 수 없습니다."
    )
