"""nginx's own refusals on the residents' paths are pages, in the reader's language.

A body too large, headers too large, an address too long, or no node answering: nginx answers
these itself, before (or instead of) the app. On a page path the answer is the app's refusal
page for the code (``deploy/nginx/votesvc/errors/<lang>/<status>.html``) with the request id
filled in; on an API path it stays the API's JSON (``test_slow_clients.py``). The language is
the pages' rule: ``?lang=``, the ``lang`` cookie, ``Accept-Language``, else Korean.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from deploy_support import NGINX, Nginx, free_port, page_app, raw_request, served_page

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run does)")

HEAD = b"Host: vote.example.kr\r\nConnection: close\r\nX-Request-ID: page-0001\r\n"
TOO_LARGE = b"Content-Length: %d\r\n" % (16 * 1024 * 1024 + 1)


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    """The kit's nginx with no node behind it: nothing listens on its upstream's port."""
    proxy = Nginx(tmp_path_factory.mktemp("pages-nginx"), [free_port()]).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def _request(status: int, path: bytes, extra: bytes) -> bytes:
    """A request nginx refuses with ``status`` itself, for ``path``."""
    if status == 413:
        return b"POST " + path + b" HTTP/1.1\r\n" + HEAD + extra + TOO_LARGE + b"\r\n"
    if status == 431:
        return (
            b"GET "
            + path
            + b" HTTP/1.1\r\n"
            + HEAD
            + extra
            + b"X-Big: "
            + b"x" * 9000
            + b"\r\n\r\n"
        )
    if status == 414:
        return b"GET " + path + b"/" + b"x" * 9000 + b" HTTP/1.1\r\n" + HEAD + extra + b"\r\n"
    assert status == 502  # no node: any request that reaches the proxying
    return b"GET " + path + b" HTTP/1.1\r\n" + HEAD + extra + b"\r\n"


def _assert_page(
    answer: tuple[int, dict[str, str], bytes],
    status: int,
    lang: str,
    request_id: str | None = "page-0001",
) -> None:
    """The kit's page for ``status`` in ``lang``, with the answer's request id where the app's
    refusal page shows one (5xx); ``request_id`` None: nginx's own, the caller's unread."""
    got, headers, body = answer
    assert got == status
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-language"] == lang
    shown = headers["x-request-id"]
    assert shown == (request_id or shown) and len(shown) >= 8
    page = body.decode("utf-8")
    assert page == served_page(status, lang, shown)
    assert (shown in page) == (status >= 500)


LANGUAGES = [
    (b"", b"", "ko"),
    (b"?lang=en", b"", "en"),
    (b"?lang=ko", b"Accept-Language: en-GB,en\r\n", "ko"),
    (b"", b"Accept-Language: en-GB,en;q=0.8\r\n", "en"),
    (b"", b"Accept-Language: ko-KR,ko\r\n", "ko"),
    (b"", b"Cookie: theme=x; lang=en\r\nAccept-Language: ko\r\n", "en"),
    (b"", b"Accept-Language: fr-FR,fr;q=0.9,en;q=0.8\r\n", "en"),
    (b"", b"Accept-Language: de, ko-KR;q=0.5, en;q=0.3\r\n", "ko"),
    (b"", b"Accept-Language: kok,en-US\r\n", "en"),
    (b"", b"Accept-Language: fr-FR,de\r\n", "ko"),
]
"""Query, headers, and the language the pages' rule picks from them."""


@pytest.mark.parametrize(("query", "headers", "lang"), LANGUAGES)
def test_the_app_picks_the_same_language(query: bytes, headers: bytes, lang: str) -> None:
    """The cases above are the app's own choices (``votesvc.i18n.http``), so nginx's map is
    checked against the app's rule and not only against this list."""
    from votesvc.i18n.http import select_locale

    fields = dict(line.split(": ", 1) for line in headers.decode().splitlines() if line)
    with page_app().test_request_context("/e/1" + query.decode(), headers=fields):
        assert select_locale() == lang


@pytest.mark.parametrize(("query", "headers", "lang"), LANGUAGES)
@pytest.mark.parametrize("status", [413, 431, 502])
def test_a_refusal_on_a_page_path_is_a_page_in_the_readers_language(
    nginx: Nginx, status: int, query: bytes, headers: bytes, lang: str
) -> None:
    path = (b"/elections/1/vote" if status == 413 else b"/e/1") + query
    _assert_page(raw_request(nginx.port, _request(status, path, headers)), status, lang)


@pytest.mark.parametrize("path", [b"/", b"/kiosk/", b"/admin/", b"/elections/1/results"])
def test_every_page_path_gets_the_page(nginx: Nginx, path: bytes) -> None:
    _assert_page(raw_request(nginx.port, _request(502, path, b"")), 502, "ko")


@pytest.mark.parametrize("path", [b"/api/v1/elections", b"/healthz", b"/readyz", b"/metrics"])
@pytest.mark.parametrize("status", [413, 431, 502])
def test_the_machines_paths_keep_the_json(nginx: Nginx, path: bytes, status: int) -> None:
    """The API and the probes and metrics: English unless asked, no cookie read."""
    request = _request(status, path, b"Cookie: lang=ko\r\n")
    got, headers, body = raw_request(nginx.port, request)
    assert (got, headers["content-type"], headers["content-language"]) == (
        status,
        "application/json",
        "en",
    )
    code = {413: "payload_too_large", 431: "headers_too_large", 502: "upstream_unavailable"}
    assert json.loads(body)["error"]["code"] == code[status]


@pytest.mark.parametrize("path", [b"/e/1?lang=en", b"/api/v1/elections?lang=en"])
def test_an_address_too_long_gets_the_korean_page_whoever_sent_it(
    nginx: Nginx, path: bytes
) -> None:
    """nginx refuses a request line it cannot hold before reading the address or the
    headers: it cannot tell an API call from a page, nor the language asked for."""
    request = _request(414, path, b"Accept-Language: en\r\n")
    _assert_page(raw_request(nginx.port, request), 414, "ko", request_id=None)
