"""Pages in a real browser: Debian's Chromium driven by Playwright, a live server, axe-core.

The app runs in this process behind werkzeug's threaded server on a free port, on its own
migrated SQLite database, with the page tests' election loaded; tests get voting codes issued
through the service layer. Skipped, with the reason, where no Chromium or no Playwright is
installed (``.ci/run`` installs both).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import make_app, migrate, new_sqlite_url
from tests.voting_support import issue, window
from tests.web.page_support import PAGE_CONTESTS
from votesvc.services import importing
from votesvc.voting.tokens import IssuedToken

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
)

CHROMIUM = next(
    (
        path
        for path in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "")
        if path and Path(path).exists()
    ),
    None,
)
if CHROMIUM is None:
    pytest.skip(
        "no Chromium: apt-get install chromium fonts-nanum (.ci/run does)", allow_module_level=True
    )

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class LiveServer:
    app: Flask
    url: str
    election_id: int

    def codes(self, count: int = 1, **kwargs: Any) -> list[IssuedToken]:
        return issue(self.app, self.election_id, count, **kwargs)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("live")
    url = new_sqlite_url(folder)
    migrate(url, folder)
    app = make_app(url, folder / "instance", RATELIMIT_ENABLED=False)
    document = {
        "slug": "browser",
        "name_ko": "브라우저 시험 선거",
        "name_en": "Browser test election",
        "timezone": "Asia/Seoul",
        "contests": PAGE_CONTESTS,
        "phase": "voting",
        "booths": [{"code": "b1", "name_ko": "주민센터"}],
        **window(),
    }
    with app.app_context():
        election_id = importing.import_election(importing.parse_election_document(document)).id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}", election_id)
    server.shutdown()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """``new_page(lang="ko", viewport=PHONE, javascript=True)``: a page in a fresh context
    (its own cookies), closed after the test."""
    contexts = []

    def make(lang: str = "ko", viewport: dict[str, int] = PHONE, javascript: bool = True) -> Any:
        context = chromium.new_context(
            locale="ko-KR" if lang == "ko" else "en-US",
            extra_http_headers={"Accept-Language": lang},
            viewport=viewport,
            java_script_enabled=javascript,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot under ``test-output/screenshots/`` (for people to look at)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
