"""The console's machinery: sign-in to a server-side session, its cookie, the idle timeout,
sign-out, a deleted key, CSRF on every form, the guard on every page and the key's scope."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.web.console_support import Console, new_key
from tests.web.page_support import heading, text_of
from votesvc.models import AdminSession, ApiKey
from votesvc.models.base import db


def _cookie_header(response: Any) -> str:
    (header,) = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("votesvc_admin=")
    ]
    return header


def test_sign_in_sets_a_strict_cookie_whose_value_is_stored_only_hashed(
    app: Flask, client: FlaskClient
) -> None:
    key = new_key(app)
    response = client.post("/admin/sign-in", data={"key": key})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    header = _cookie_header(response)
    value = header.split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/admin" in header
    assert "Secure" not in header  # development
    assert len(value) >= 43  # 256 bits, urlsafe base64
    # the voters' cookie session is never opened under /admin/
    assert not any(h.startswith("votesvc_session=") for h in response.headers.getlist("Set-Cookie"))
    with app.app_context():
        (row,) = db.session.scalars(sa.select(AdminSession))
        assert row.token_hash == hashlib.sha256(value.encode()).hexdigest()
        assert value not in {row.token_hash, row.csrf_token}
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("app_config", [{"VOTESVC_ENV": "production"}])
def test_the_cookie_is_secure_in_production(app: Flask, client: FlaskClient) -> None:
    response = client.post("/admin/sign-in", data={"key": new_key(app)})
    assert "Secure" in _cookie_header(response)


@pytest.mark.parametrize(
    ("lang", "key", "words"),
    [
        ("ko", "vsk_wrong", "유효하지 않은 API 키"),
        ("en", "vsk_wrong", "is not valid"),
        ("ko", "", "관리자 키를 입력하세요"),
        ("en", "", "Enter an admin key"),
    ],
)
def test_a_wrong_or_missing_key_answers_the_sign_in_page_again(
    app: Flask, client: FlaskClient, lang: str, key: str, words: str
) -> None:
    new_key(app)
    response = client.post("/admin/sign-in", data={"key": key}, headers={"Accept-Language": lang})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert words.lower() in text_of(response).lower()
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert "votesvc_admin" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("app_config", [{"VOTESVC_CODE_LIMIT": "2/minute"}])
def test_sign_in_is_rate_limited_with_a_page(app: Flask, client: FlaskClient) -> None:
    answers = [client.post("/admin/sign-in", data={"key": "vsk_guess"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 429]
    assert answers[-1].mimetype == "text/html" and "시도가 너무 많습니다" in heading(answers[-1])
    assert client.get("/admin/sign-in").status_code == 200


def test_sign_in_returns_to_the_page_asked_for_and_never_elsewhere(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    asked = client.get(f"/admin/elections/{election_id}")
    assert asked.status_code == 303
    assert asked.headers["Location"] == f"/admin/sign-in?next=/admin/elections/{election_id}"
    form = client.get(asked.headers["Location"])
    assert f'name="next" value="/admin/elections/{election_id}"' in form.get_data(as_text=True)
    key = new_key(app)
    back = client.post(
        "/admin/sign-in", data={"key": key, "next": f"/admin/elections/{election_id}"}
    )
    assert back.headers["Location"] == f"/admin/elections/{election_id}"
    for elsewhere in ("https://evil.example/admin/", "//evil.example/admin/", "/elections/1"):
        answer = client.post("/admin/sign-in", data={"key": key, "next": elsewhere})
        assert answer.headers["Location"] == "/admin/"


def _age_sessions(app: Flask, minutes: int) -> None:
    with app.app_context():
        for row in db.session.scalars(sa.select(AdminSession)):
            row.last_seen_at -= timedelta(minutes=minutes)
        db.session.commit()


def _session_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AdminSession))


@pytest.mark.parametrize("app_config", [{"VOTESVC_ADMIN_IDLE_MINUTES": 30}])
def test_an_idle_session_ends_and_a_used_one_lives_on(app: Flask, client: FlaskClient) -> None:
    console = Console(client)
    console.sign_in(new_key(app))
    _age_sessions(app, 29)
    assert console.get("/admin/").status_code == 200  # used: its clock restarts
    _age_sessions(app, 29)
    assert console.get("/admin/").status_code == 200
    _age_sessions(app, 30)
    ended = console.get("/admin/")
    assert ended.status_code == 303 and ended.headers["Location"].startswith("/admin/sign-in")
    assert "votesvc_admin=;" in ended.headers["Set-Cookie"]  # the browser forgets it
    assert _session_count(app) == 0


def test_sign_in_sweeps_sessions_nobody_came_back_to(app: Flask, client: FlaskClient) -> None:
    key = new_key(app)
    Console(client).sign_in(key)
    _age_sessions(app, 31)
    Console(app.test_client()).sign_in(key)
    assert _session_count(app) == 1


def test_signing_in_again_ends_the_browsers_earlier_session(
    app: Flask, client: FlaskClient
) -> None:
    console = Console(client)
    console.sign_in(new_key(app))
    earlier = client.get_cookie("votesvc_admin", path="/admin")
    assert earlier is not None
    console.sign_in(new_key(app))
    assert _session_count(app) == 1
    replay = app.test_client()
    replay.set_cookie("votesvc_admin", earlier.value, path="/admin")
    assert replay.get("/admin/").status_code == 303  # the earlier cookie opens nothing now


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://attacker.example"},
    ],
)
def test_a_sign_in_another_site_sent_is_refused(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    """Login CSRF: another site's form would swap the official's session for the forger's."""
    forged = client.post(
        "/admin/sign-in", data={"key": new_key(app)}, headers={"Accept-Language": "en", **headers}
    )
    assert forged.status_code == 400 and forged.mimetype == "text/html"
    assert client.get_cookie("votesvc_admin", path="/admin") is None
    assert _session_count(app) == 0


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}]
)
def test_a_sign_in_from_this_site_or_typed_is_taken(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    signed_in = client.post("/admin/sign-in", data={"key": new_key(app)}, headers=headers)
    assert signed_in.status_code == 303 and _session_count(app) == 1


def test_sign_out_deletes_the_session(app: Flask, client: FlaskClient) -> None:
    console = Console(client)
    console.sign_in(new_key(app))
    stolen = client.get_cookie("votesvc_admin", path="/admin")
    assert stolen is not None
    out = console.post("/admin/sign-out")
    assert out.status_code == 303 and out.headers["Location"] == "/admin/sign-in"
    assert _session_count(app) == 0
    replay = app.test_client()
    replay.set_cookie("votesvc_admin", stolen.value, path="/admin")
    assert replay.get("/admin/").status_code == 303


def test_a_deleted_key_ends_its_sessions(app: Flask, client: FlaskClient) -> None:
    console = Console(client)
    console.sign_in(new_key(app))
    with app.app_context():
        db.session.execute(sa.delete(ApiKey))
        db.session.commit()
    assert _session_count(app) == 0
    assert console.get("/admin/").status_code == 303


@pytest.mark.parametrize("token", [None, "", "forged-token-of-the-right-length-000000000"])
def test_a_post_without_the_sessions_token_is_refused_with_a_page(
    app: Flask, client: FlaskClient, token: str | None
) -> None:
    console = Console(client)
    console.sign_in(new_key(app))
    body = {} if token is None else {"csrf_token": token}
    refused = client.post("/admin/sign-out", data=body, headers={"Accept-Language": "en"})
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "reload the page" in text_of(refused)
    assert _session_count(app) == 1  # nothing happened


def test_another_sessions_token_is_refused(app: Flask, client: FlaskClient) -> None:
    mine, theirs = Console(client), Console(app.test_client())
    mine.sign_in(new_key(app))
    theirs.sign_in(new_key(app))
    assert mine.csrf != theirs.csrf
    mine.csrf = theirs.csrf
    assert mine.post("/admin/sign-out").status_code == 400
    assert _session_count(app) == 2


def _console_paths(app: Flask, ids: dict[str, int]) -> list[tuple[str, str]]:
    """Every console rule of the url_map, its arguments filled with real ids, each method."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        paths += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return paths


@pytest.fixture
def ids(app: Flask, imported_election: Callable[..., int]) -> dict[str, int]:
    from votesvc.models import Agenda, Booth, Contest
    from votesvc.services import batches

    election_id = imported_election()
    with app.app_context():
        return {
            "election_id": election_id,
            "contest_id": db.session.scalars(sa.select(Contest.id)).first(),
            "agenda_id": db.session.scalars(sa.select(Agenda.id)).first(),
            "booth_id": db.session.scalars(sa.select(Booth.id)).first(),
            "batch_id": batches.issue_batch(election_id, {"size": 1}).id,
        }


def test_no_console_page_answers_without_a_session(
    app: Flask, client: FlaskClient, ids: dict[str, int]
) -> None:
    paths = _console_paths(app, ids)
    assert len(paths) >= 4
    for method, path in paths:
        response = client.open(path, method=method)
        if path == "/admin/sign-in":
            assert response.status_code in (200, 422), (method, path)
            continue
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["Location"].startswith("/admin/sign-in"), (method, path)


def test_a_scoped_key_sees_only_its_election(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    mine = imported_election()
    other = imported_election(slug="other-2025", name_ko="다른 선거", name_en="Another election")
    console = Console(client, "en")
    console.sign_in(new_key(app, mine))
    listed = text_of(console.get("/admin/"))
    assert "2025 시험 선거" in listed or "2025 test election" in listed
    assert "Another election" not in listed
    assert console.get(f"/admin/elections/{mine}").status_code == 200
    refused = console.get(f"/admin/elections/{other}")
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert "another election" in text_of(refused)
    assert console.get("/admin/elections/999999").status_code == 404


def test_an_unscoped_key_sees_every_election(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    imported_election()
    imported_election(slug="other-2025", name_ko="다른 선거", name_en="Another election")
    console = Console(client, "en")
    console.sign_in(new_key(app))
    listed = text_of(console.get("/admin/"))
    assert "2025 test election" in listed and "Another election" in listed


def test_the_api_stays_cookieless_with_a_console_session(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    imported_election()
    key = new_key(app)
    Console(client).sign_in(key)
    # the console's cookie never opens the API: no bearer, no entry
    assert client.get("/api/v1/admin/elections").status_code == 401
    answer = client.get("/api/v1/admin/elections", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers


def test_the_overview_draws_the_election_navigation(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election()
    console = Console(client, "ko")
    console.sign_in(new_key(app))
    page = console.get(f"/admin/elections/{election_id}")
    html = page.get_data(as_text=True)
    assert f'href="/admin/elections/{election_id}" aria-current="page"' in html
    assert "개요" in text_of(page) and "초안" in text_of(page)
