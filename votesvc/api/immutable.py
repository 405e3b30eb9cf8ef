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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.http import parse_etags

from votesvc.api.errors import REQUEST_ID_HEADER, request_id
from votesvc.services.publication import Served

IMMUTABLE = "public, max-age=31536000, immutable"
FILE_LIMIT = 1024 * 1024
"""Files up to 1 MB are kept (the results documents); big ballot files come from the database."""
TOTAL_LIMIT = 64 * 1024 * 1024
"""At most this many body bytes per worker."""
EXTENSION = "votesvc.immutable"

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
        self.held = 0
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

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        answer = self.answers.get(environ.get("PATH_INFO", ""))
        if answer is None or method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        status, headers, body = answer.respond(environ.get("HTTP_IF_NONE_MATCH"))
        rid = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(STATUS_LINES[status], [*headers, (REQUEST_ID_HEADER, rid)])
        return [] if method == "HEAD" or not body else [body]
