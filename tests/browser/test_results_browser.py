"""The public results pages in Chromium: axe-core in Korean and English at phone and desktop
width, the round slider where JavaScript runs, and every round shown where it does not (the
markup axe checks with JavaScript on, less the slider)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer
from tests.browser.support import assert_accessible, screenshot
from tests.conftest import ELECTION_DOCUMENT
from tests.results_support import close_count_publish, sync_booth, vote
from votesvc.services import api_keys, importing

PAGES = ("", "/city", "/north", "/rank")


@pytest.fixture(scope="session")
def published(live_server: LiveServer) -> str:
    """The results tests' election (an allocation, a points and a ranked contest, voted
    online and at a booth) on the live server, counted and published; its results address."""
    app = live_server.app
    client = app.test_client()

    def imported(**changes: Any) -> int:
        document = {**copy.deepcopy(ELECTION_DOCUMENT), **changes, "slug": "results-browser"}
        with app.app_context():
            return importing.import_election(importing.parse_election_document(document)).id

    voted = vote(app, client, imported)
    sync_booth(client, voted)
    with app.app_context():
        _, key = api_keys.create_api_key(None, label="results browser test")
    close_count_publish(client, voted.election_id, {"Authorization": f"Bearer {key}"})
    return f"{live_server.url}/elections/{voted.election_id}/results"


@pytest.mark.parametrize("tail", PAGES, ids=lambda tail: tail.strip("/") or "overview")
def test_every_results_page_passes_axe(any_page: Page, published: str, tail: str) -> None:
    response = any_page.goto(published + tail)
    assert response is not None and response.status == 200
    assert_accessible(any_page)
    width = any_page.viewport_size
    assert width is not None
    # readable at 390 px: nothing wider than the screen but the tables that scroll
    overflow = any_page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width["width"]
    lang = any_page.evaluate("document.documentElement.lang")
    screenshot(any_page, f"results{tail or '-overview'}-{lang}-{width['width']}")


def test_the_round_slider_shows_the_count_up_to_a_round(desktop_page: Page, published: str) -> None:
    desktop_page.goto(published + "/rank")
    slider = desktop_page.get_by_label("Show the count up to round")
    assert slider.input_value() == "2"
    later = desktop_page.locator(".rounds-table [data-round='2']")
    assert later.first.is_visible()
    slider.focus()
    desktop_page.keyboard.press("ArrowLeft")
    assert slider.input_value() == "1"
    assert not later.first.is_visible()
    assert desktop_page.locator("output[for=round-slider]").inner_text() == "Round 1 of 2"
    assert_accessible(desktop_page)


def test_without_javascript_every_round_is_shown(no_script_page: Page, published: str) -> None:
    no_script_page.goto(published + "/rank")
    assert no_script_page.locator("#round-slider").count() == 0
    assert no_script_page.locator(".rounds-table [data-round='2']").first.is_visible()
