"""The browser fixtures themselves: the live server serves the real app with the demo loaded,
codes are fresh and valid, pages have the size, language and scripting asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from votesvc.voting.tokens import IssuedToken

from .conftest import LiveServer
from .support import screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_live_server_serves_the_api_with_the_demo_election(
    desktop_page: Page, live_server: LiveServer
) -> None:
    response = desktop_page.goto("/api/v1/elections")
    assert response is not None and response.status == 200
    assert response.url == f"{live_server.url}/api/v1/elections"
    elections = response.json()
    assert [(e["id"], e["is_demo"]) for e in elections] == [(live_server.election_id, True)]
    assert live_server.app.config["VOTESVC_PUBLIC_URL"] == live_server.url


def test_voting_codes_are_fresh_online_codes_that_vote(
    desktop_page: Page,
    live_server: LiveServer,
    voting_codes: Callable[[int], list[IssuedToken]],
) -> None:
    codes = voting_codes(3)
    assert len({code.signed for code in codes}) == 3
    assert all(code.claims.channel == "online" and not code.claims.test for code in codes)
    url = f"/api/v1/elections/{live_server.election_id}/ballots"
    body = {"selections": {"city": {"choices": ["C-01"]}}}
    cast = desktop_page.request.post(url, data={"token": codes[0].signed, **body})
    assert cast.status == 201, cast.text()
    again = desktop_page.request.post(url, data={"token": codes[0].short_code, **body})
    assert again.status == 409
    link = live_server.voting_page.link(codes[1].signed)
    assert (
        link == f"{live_server.url}/elections/{live_server.election_id}/vote#code={codes[1].signed}"
    )


def test_pages_have_the_size_and_language_asked_for(open_page: Callable[..., Page]) -> None:
    for viewport, locale, size, language in [
        ("phone", "ko", {"width": 390, "height": 844}, "ko"),
        ("desktop", "en", {"width": 1280, "height": 800}, "en"),
    ]:
        page = open_page(viewport, locale)
        assert page.viewport_size == size
        with page.expect_request("**/api/v1/elections") as sent:
            page.goto("/api/v1/elections")
        assert sent.value.headers["accept-language"].startswith(language)
        assert page.evaluate("navigator.language").startswith(language)


def test_the_no_script_page_runs_no_script(no_script_page: Page, phone_page: Page) -> None:
    page = "<title>t</title><p id=out>static</p><script>out.textContent = 'scripted'</script>"
    no_script_page.set_content(page)
    phone_page.set_content(page)
    assert no_script_page.text_content("#out") == "static"
    assert phone_page.text_content("#out") == "scripted"


def test_screenshots_are_saved_under_test_output(phone_page: Page) -> None:
    phone_page.set_content("<html lang=ko><title>t</title><main><h1>주민참여예산 투표</h1></main>")
    path = screenshot(phone_page, "fixtures / 한글 phone")
    assert path.parent.parts[-2:] == ("test-output", "screenshots")
    assert path.name == "fixtures-한글-phone.png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
