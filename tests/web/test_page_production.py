"""In production, pages add HSTS and their session cookie is Secure; in development neither."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.voting_support import window
from tests.web.page_support import PAGE_CONTESTS


@pytest.mark.parametrize("app_config", [{"VOTESVC_ENV": "production"}])
def test_production_pages_ask_for_https(client: FlaskClient) -> None:
    page = client.get("/elections/1/vote")  # a 404 page is a page too
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    home = client.get("/")
    assert "Strict-Transport-Security" in home.headers
    assert "Strict-Transport-Security" not in client.get("/api/v1/elections").headers


def test_development_pages_do_not(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("app_config", [{"VOTESVC_ENV": "production"}])
def test_the_production_session_cookie_is_secure_and_http_only(
    client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(contests=PAGE_CONTESTS, phase="voting", **window())
    answer = client.get(f"/elections/{election_id}/vote")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("votesvc_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
