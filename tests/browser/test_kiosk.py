"""The booth kiosk in Chromium: provisioning, offline votes, restarts, sync, staff, export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.browser.kiosk_support import (
    CHROMIUM,
    controlled,
    done,
    live_server,
    provision,
    queue,
    vote,
)
from tests.voting_support import booth_id, issue, open_election
from tests.voting_support import provision as provision_kiosk
from votesvc.models import Ballot
from votesvc.models.base import db

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield browser
    browser.close()


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


@pytest.fixture
def booth(app: Flask, election_id: int) -> int:
    return booth_id(app, election_id)


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def kiosk(app: Flask, election_id: int, booth: int) -> dict[str, Any]:
    return provision_kiosk(app, election_id, booth)


@pytest.fixture
def page(browser: Browser, server: str, kiosk: dict[str, Any]) -> Iterator[Page]:
    """A kiosk page, controlled by its worker and provisioned."""
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    controlled(page, f"{server}/kiosk/")
    provision(page, kiosk["provisioning_code"])
    yield page
    context.close()


def _stored(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Ballot).count()


def test_three_ballots_offline_survive_a_reload_then_sync(
    app: Flask, page: Page, election_id: int, booth: int
) -> None:
    tokens = issue(app, election_id, 3, booth=booth)
    page.context.set_offline(True)
    receipts = []
    for token in tokens:
        receipts.append(vote(page, token.signed))
        done(page)
    assert sorted(b["id"] for b in queue(page)) == sorted(receipts)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-screen=start] h1")).to_be_visible()
    assert len(queue(page)) == 3
    assert _stored(app) == 0
    page.context.set_offline(False)
    page.evaluate("window.VotesvcKiosk.sync()")
    assert queue(page) == []
    assert _stored(app) == 6  # two contests each
