"""Browser tests: the real app served on 127.0.0.1, driven by Debian's Chromium through
``playwright.sync_api``.

Not pytest-playwright: under ``-W error`` its fallback ``base_url`` fixture fails every test's
set-up (see ``../shared/PAGES.md``), and these few fixtures are all the tests need. Tests that
use a browser are skipped, with the reason, when Playwright or Chromium is missing (``.ci/run``
installs Chromium); the others here (the vendored files' checksums) run everywhere.

The live server has a database of its own (a new SQLite file, or a new schema of
``VOTESVC_TEST_DATABASE_URL`` when it is set, as CI does), migrated and loaded with the demo
election once per session: the other tests' ``app`` fixture empties its tables before each
test, and must not empty this one under a running server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import PG_URL, create_pg_schema, make_app, migrate, new_sqlite_url
from flask import Flask
from werkzeug.serving import make_server

from votesvc.models.base import db
from votesvc.services import batches
from votesvc.services.demo import load_demo
from votesvc.voting.links import VotingPage
from votesvc.voting.tokens import IssuedToken

from .support import NO_SCRIPT, find_chromium

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the test extras not installed
    sync_playwright = None
else:
    # How long an expectation waits for the page before failing (Playwright's default: 5 s).
    # On CI's two loaded cores a kiosk reload (service worker, IndexedDB, the bundle) took
    # longer now and then; a bound, never a measured time, so a slow page still passes.
    expect.set_options(timeout=20_000)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = find_chromium()
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
LOCALES = {"ko": "ko-KR", "en": "en-GB"}
BROWSER_FIXTURES = {"playwright", "browser"}


def missing_browser() -> str | None:
    """Why browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "Playwright is not installed (pip install -e '.[test]')"
    if CHROMIUM is None:
        return (
            "no Chromium found (/usr/lib/chromium/chromium, /usr/bin/chromium or chromium on "
            "PATH): apt-get install chromium fonts-nanum"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_browser()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if HERE in Path(str(item.path)).parents and uses & BROWSER_FIXTURES:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    assert sync_playwright is not None
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (``playwright install`` would need the internet)."""
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield launched
    launched.close()


@dataclass(frozen=True)
class LiveServer:
    """The running service: its base URL, its app (for service calls in an app context) and
    the demo election."""

    url: str
    app: Flask
    election_id: int

    @property
    def voting_page(self) -> VotingPage:
        return VotingPage(self.url, self.election_id)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app, werkzeug's threaded server on a free port of 127.0.0.1, demo loaded.

    ``VOTESVC_PUBLIC_URL`` is the server's own address, so the pages' links lead back to it.
    The mixer is off (no thread of its own) and rate limits too: a test suite casts faster
    than residents do, and the limits have their own tests.
    """
    instance = tmp_path_factory.mktemp("live-server")
    url, drop = create_pg_schema() if PG_URL else (new_sqlite_url(instance), lambda: None)
    migrate(url, instance)
    app = make_app(url, instance, VOTESVC_MIX_INTERVAL_SECONDS=0, RATELIMIT_ENABLED=False)
    with app.app_context():
        election_id = load_demo()[0].id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["VOTESVC_PUBLIC_URL"] = base
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(base, app, election_id)
    server.shutdown()
    thread.join()
    server.server_close()
    with app.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture
def voting_codes(live_server: LiveServer) -> Callable[[int], list[IssuedToken]]:
    """Issue ``n`` fresh online codes of the demo election through the service layer; each
    has ``signed`` (for :meth:`VotingPage.link`) and ``short_code`` (to type)."""

    def issue(n: int) -> list[IssuedToken]:
        with live_server.app.app_context():
            batch = batches.issue_batch(live_server.election_id, {"size": n, "label": "browser"})
            return batches.batch_tokens(batch)

    return issue


@pytest.fixture
def open_page(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """A new page in a context of its own: ``open_page(viewport="phone"|"desktop",
    locale="ko"|"en", javascript=True)``. Relative URLs go to the live server; the locale sets
    ``Accept-Language`` and ``navigator.language``. Contexts close after the test."""
    contexts = []

    def open_(viewport: str = "phone", locale: str = "ko", javascript: bool = True) -> Page:
        options: dict[str, Any] = {
            "viewport": VIEWPORTS[viewport],
            "locale": LOCALES[locale],
            "java_script_enabled": javascript,
            "base_url": live_server.url,
        }
        if viewport == "phone":
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = browser.new_context(**options)
        if not javascript:
            NO_SCRIPT.add(context)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def phone_page(open_page: Callable[..., Page]) -> Page:
    """Korean, 390 × 844 (a phone held upright)."""
    return open_page("phone", "ko")


@pytest.fixture
def desktop_page(open_page: Callable[..., Page]) -> Page:
    """English, 1280 × 800."""
    return open_page("desktop", "en")


@pytest.fixture
def no_script_page(open_page: Callable[..., Page]) -> Page:
    """Korean, phone width, JavaScript disabled."""
    return open_page("phone", "ko", javascript=False)


@pytest.fixture(
    params=[(v, lang) for v in VIEWPORTS for lang in LOCALES], ids=lambda p: f"{p[1]}-{p[0]}"
)
def any_page(request: pytest.FixtureRequest, open_page: Callable[..., Page]) -> Page:
    """Each of Korean and English at phone and desktop width (four runs of the test): what
    the axe check on every page runs on."""
    viewport, locale = request.param
    return open_page(viewport, locale)
