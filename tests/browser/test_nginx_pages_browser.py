"""nginx's own refusal pages in Chromium: axe-core in Korean and English at phone and desktop
width, as served by the kit's nginx with no node behind it (the stylesheet is in the page, so
nothing else is fetched) and nothing wider than a phone's screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from deploy_support import NGINX, Nginx, free_port

from tests.browser.conftest import LOCALES, VIEWPORTS
from tests.browser.support import assert_accessible, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run does)")


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    """The kit's nginx; nothing listens on its upstream's port, so a page is its 502."""
    proxy = Nginx(tmp_path_factory.mktemp("pages-browser"), [free_port()]).start()
    try:
        yield proxy
    finally:
        proxy.stop()


CASES = {
    502: ("/e/1", {}),
    414: ("/e/" + "x" * 9000, {}),
    431: ("/e/1", {"X-Big": "x" * 9000}),
}
"""A page address and extra headers that meet each refusal. The language is asked in the
address (``?lang=``): Chromium may send ``Accept-Language`` after the header too large, which
nginx then never reads."""


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("lang", sorted(LOCALES))
@pytest.mark.parametrize("status", sorted(CASES))
def test_nginx_refusal_pages_pass_axe(
    browser: Browser, nginx: Nginx, status: int, lang: str, viewport: str
) -> None:
    path, headers = CASES[status]
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], locale=LOCALES[lang], extra_http_headers=headers
    )
    requested: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        response = page.goto(f"http://127.0.0.1:{nginx.port}{path}?lang={lang}")
        assert response is not None and response.status == status
        shown = page.evaluate("document.documentElement.lang")
        assert shown == ("ko" if status == 414 else lang)  # 414: the address was not read
        assert_accessible(page)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= VIEWPORTS[viewport]["width"]
        assert len(requested) == 1  # the page alone: no stylesheet, font or script to fetch
        screenshot(page, f"nginx-{status}-{lang}-{VIEWPORTS[viewport]['width']}")
    finally:
        context.close()
