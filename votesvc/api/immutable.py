"""Published files answered from the worker's memory, in front of Flask.

A published file never changes (there is no route that alters or deletes a publication), so
once a worker has served one through the results views, the same ``GET`` or ``HEAD`` of the
same path can be answered with the same bytes and headers without a database round trip and
without Flask: no request context, no session, no URL matching, no rate limiter (the public
results routes are exempt from it anyway), no hooks. That is what lets one worker answer the
evening-of-results load with a few microseconds of Python per request.

Embargo holds by construction: only the results views put entries here, and only for a file
they read from a stored publication. Before publication those views raise
``results_not_published`` and nothing is remembered, so every request falls through to Flask
and meets the same 404 as before. Paths this worker has not served yet, unknown files and files
over :data:`FILE_LIMIT` also fall through.

The cache is per worker process and bounded by :data:`TOTAL_LIMIT`; a path is keyed exactly as
the WSGI server passed it (``PATH_INFO``), so a path Flask would redirect or refuse never gets
an entry. Removing a publication by hand in SQL would need the workers restarted.

**Published pages.** The results pages (:mod:`votesvc.web.results`) are rendered from a
publication too, so they never change either, except by language. A results view that has
rendered one marks its request (:meth:`ImmutableResponses.remember_page`); this layer then keeps
the finished response (with every header the page hooks added) for its host, path and
language, and answers later requests for the same three from memory, with a strong ETag of its
own. Only plain requests qualify: a ``GET`` with no query string (``?lang=`` sets a cookie, so
it always goes through Flask) whose 200 sets no cookie. The language is chosen as Flask-Babel
chooses it (:func:`votesvc.i18n.http.language_of`). The host is part of the key since a page
may show its own address (the ``votesvc verify`` line without ``VOTESVC_PUBLIC_URL``); pages
have a budget of their own (:data:`PAGE_LIMIT`), so a flood of made-up hosts cannot crowd out
the published files.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.http import parse_etags

from votesvc.api.errors import REQUEST_ID_HEADER, request_id
from votesvc.i18n.http import language_of
from votesvc.services.publication import Served

IMMUTABLE = "public, max-age=31536000, immutable"
FILE_LIMIT = 1024 * 1024
"""Files up to 1 MB are kept (the results documents); big ballot files come from the database."""
TOTAL_LIMIT = 64 * 1024 * 1024
"""At most this many body bytes per worker."""
PAGE_LIMIT = 16 * 1024 * 1024
"""At most this many bytes of published pages per worker, apart from :data:`TOTAL_LIMIT`."""
EXTENSION = "votesvc.immutable"
PAGE_MARK = "votesvc.published_page"
"""The environ key a results view sets to the language of the published page it rendered."""
PAGE_CACHE_CONTROL = "public, max-age=300"
"""Browsers and proxies may keep a results page a while; not for ever, as a new release of
the software may change the page (not its figures). It varies by language (:data:`PAGE_VARY`)."""
PAGE_VARY = "Accept-Language, Cookie"
NOT_PAGES = ("/api/", "/static/")
"""Paths that are never pages: their requests skip the page memory's checks."""

Headers = list[tuple[str, str]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class Answer:
    """One published file's two possible answers, built once: 200 with the body, or 304."""

    served: Served
    full: Headers
    revalidated: Headers

    @classmethod
    def of(cls, served: Served) -> Answer:
        shared = [("ETag", f'"{served.sha256}"'), ("Cache-Control", IMMUTABLE)]
        body = [("Content-Type", served.media_type), ("Content-Length", str(len(served.body)))]
        return cls(served, shared + body, shared)

    @classmethod
    def page(cls, body: bytes, headers: Headers) -> Answer:
        """A published page's answer: the headers Flask sent with it (the page hooks' security
        headers, its type, caching and language) and a strong ETag of its bytes; the request
        id is each request's own."""
        served = Served(body, hashlib.sha256(body).hexdigest(), "text/html")
        skip = {"etag", "content-length", REQUEST_ID_HEADER.lower()}
        kept = [(name, value) for name, value in headers if name.lower() not in skip]
        etag = ("ETag", f'"{served.sha256}"')
        revalidated = [etag, ("Cache-Control", PAGE_CACHE_CONTROL), ("Vary", PAGE_VARY)]
        return cls(served, [etag, *kept, ("Content-Length", str(len(body)))], revalidated)

    def respond(self, if_none_match: str | None) -> tuple[int, Headers, bytes]:
        """Status, headers and body; 304 with no body when the client holds this version."""
        if if_none_match and self.served.sha256 in parse_etags(if_none_match):
            return 304, self.revalidated, b""
        return 200, self.full, self.served.body


STATUS_LINES = {200: "200 OK", 304: "304 Not Modified"}


class ImmutableResponses:
    """WSGI middleware holding the answers of published files this worker has served."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.answers: dict[str, Answer] = {}
        self.pages: dict[tuple[str, str, str], Answer] = {}
        self.held = 0
        self.pages_held = 0
        self.lock = threading.Lock()

    @classmethod
    def install(cls, app: Flask) -> None:
        """Put the cache in front of ``app``'s WSGI callable; the views find it in extensions."""
        middleware = cls(app.wsgi_app)
        app.wsgi_app = middleware  # type: ignore[method-assign]
        app.extensions[EXTENSION] = middleware

    @classmethod
    def of(cls, app: Flask) -> ImmutableResponses:
        found: ImmutableResponses = app.extensions[EXTENSION]
        return found

    def remember(self, path: str, served: Served) -> Answer:
        """The file's answer, kept for ``path`` when it fits the limits."""
        answer = self.answers.get(path)
        if answer is not None:
            return answer
        answer = Answer.of(served)
        size = len(served.body)
        with self.lock:
            if size <= FILE_LIMIT and self.held + size <= TOTAL_LIMIT and path not in self.answers:
                self.answers[path] = answer
                self.held += size
        return answer

    @staticmethod
    def mark_page(environ: dict[str, Any], lang: str) -> None:
        """Mark a request whose view rendered a published page in ``lang``: once Flask has
        finished it, this layer keeps it (see the module docstring). The view marks only the
        route's own spelling of its address, as :func:`votesvc.api.results._serve` does."""
        environ[PAGE_MARK] = lang

    @staticmethod
    def _page_key(environ: dict[str, Any]) -> tuple[str, str, str] | None:
        path = environ.get("PATH_INFO", "")
        if (
            environ.get("QUERY_STRING", "")
            or environ["REQUEST_METHOD"] not in ("GET", "HEAD")
            or path.startswith(NOT_PAGES)
        ):
            return None
        return (environ.get("HTTP_HOST", ""), path, language_of(environ))

    def _keep_page(
        self,
        key: tuple[str, str, str],
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Run Flask; keep the response when a results view marked it (see the module
        docstring) and it is a plain 200 in the language the key names."""
        seen: list[Any] = []

        def started(status: str, headers: Headers, exc_info: Any = None) -> Any:
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info)

        produced = self.app(environ, started)
        if environ.get(PAGE_MARK) != key[2]:
            return produced
        try:
            body = b"".join(produced)
        finally:
            close = getattr(produced, "close", None)
            if close is not None:
                close()
        status, headers = seen
        cookies = any(name.lower() == "set-cookie" for name, _ in headers)
        size = len(body)
        if status.startswith("200") and not cookies and environ["REQUEST_METHOD"] == "GET":
            with self.lock:
                if key not in self.pages and self.pages_held + size <= PAGE_LIMIT:
                    self.pages[key] = Answer.page(body, headers)
                    self.pages_held += size
        return [body]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        answer = self.answers.get(environ.get("PATH_INFO", ""))
        if answer is None:
            key = self._page_key(environ)
            if key is None:
                return self.app(environ, start_response)
            answer = self.pages.get(key)
            if answer is None:
                return self._keep_page(key, environ, start_response)
        elif method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        status, headers, body = answer.respond(environ.get("HTTP_IF_NONE_MATCH"))
        rid = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(STATUS_LINES[status], [*headers, (REQUEST_ID_HEADER, rid)])
        return [] if method == "HEAD" or not body else [body]
