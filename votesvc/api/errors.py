"""The one place where exceptions become HTTP responses, all in one JSON shape::

    {"error": {"code": "...", "message": "...", "fields": {...}}}

Codes are stable (clients branch on them, :mod:`votesvc.api.error_codes` lists them); each
code is also the message id of its Korean and English text in the gettext catalogues
(:mod:`votesvc.i18n`), in the language Flask-Babel chose for the request. Unexpected errors
answer 500 without internals and are logged with the request id that the response carries in
``X-Request-ID``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from limits.errors import StorageError
from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from votesvc import i18n
from votesvc.api.ops import route_of_request
from votesvc.extensions import RateLimited
from votesvc.i18n.http import current_language
from votesvc.models.base import db
from votesvc.services import metrics
from votesvc.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger("votesvc.errors")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    Malformed: 400,
    Invalid: 422,
    NotFound: 404,
    Unauthorized: 401,
    Forbidden: 403,
    Conflict: 409,
    Unavailable: 503,
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    503: "service_unavailable",
}
RETRY_UNAVAILABLE_SECONDS = 5
"""Retry-After of a 503: about what a restarting PostgreSQL or a failover takes."""


def language() -> str:
    """The request's language, as Flask-Babel chose it (:func:`votesvc.i18n.http.select_locale`:
    ``?lang=``, the ``lang`` cookie, ``Accept-Language``; English when the API is asked for
    none of ours)."""
    return current_language()


def _template(code: str, lang: str) -> tuple[str, str]:
    """The code the catalogue has a message for (``bad_request`` for an unknown one) and its
    text in ``lang``, placeholders unfilled."""
    if not i18n.has(code, lang):
        code = "bad_request"
    return code, i18n.translations(lang).gettext(code)


def message(code: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """The catalogue's text for ``code`` in ``lang`` (default: the request's language)."""
    lang = lang or language()
    return i18n.translate(lang, _template(code, lang)[0], params)


def describe(error: DomainError, lang: str = "en") -> str:
    """A domain error as one line of text, for the CLI: message, the parameters the message
    does not show (``not_found``'s resource), then the field details."""
    text = message(error.code, error.params, lang)
    template = _template(error.code, lang)[1]
    unshown = {k: v for k, v in error.params.items() if f"%({k})s" not in template}
    if unshown:
        text += " (" + ", ".join(f"{k}: {v}" for k, v in unshown.items()) + ")"
    return f"{text} {json.dumps(error.fields, ensure_ascii=False)}" if error.fields else text


PAGE_RENDERER = "votesvc.page_errors"
"""``app.extensions`` key of the pages' renderer (``(status, code, params) -> Response``): a
refusal outside ``/api/`` is a page in the reader's language, not JSON."""

JSON_BLUEPRINTS = frozenset({"ops"})
"""Blueprints outside ``/api/`` that machines read (:mod:`votesvc.api.ops`): their refusals
are JSON too."""


def error_response(
    status: int,
    code: str,
    *,
    fields: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Response:
    """The error envelope in the request's language: the code's message, and the field
    details (written in English below the API) translated by :func:`votesvc.i18n.details`.
    Every refusal is counted here, by route and code (:data:`metrics.REFUSALS`)."""
    metrics.REFUSALS.labels(route_of_request(), code).inc()
    render_page = current_app.extensions.get(PAGE_RENDERER)
    machine_read = request.path.startswith("/api/") or request.blueprint in JSON_BLUEPRINTS
    if render_page is not None and not machine_read:
        return render_page(status, code, params or {})
    lang = language()
    shown = i18n.details(dict(fields or {}), lang)
    body = {"error": {"code": code, "message": message(code, params, lang), "fields": shown}}
    response = jsonify(body)
    response.status_code = status
    response.headers["Content-Language"] = lang
    return response


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def _handle_domain_error(error: DomainError) -> Response:
    db.session.rollback()
    status = status_of(error)
    response = error_response(status, error.code, fields=error.fields, params=error.params)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="votesvc admin"'
    elif status == 503:
        response.headers["Retry-After"] = str(RETRY_UNAVAILABLE_SECONDS)
    return response


def _webargs_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """webargs reports problems per location ({"json": {...}}, {"query": {...}}); problems in
    one location are unwrapped so that ``fields`` names the fields themselves."""
    messages = data.get("messages") or {}
    if len(messages) == 1:
        (only,) = messages.values()
        if isinstance(only, Mapping):
            return dict(only)
    return dict(messages)


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    code = CODE_BY_STATUS.get(status, "bad_request" if status < 500 else "internal_error")
    fields = _webargs_fields(data)
    if status == 400 and "json" in fields:
        code, fields = "malformed_json", {}
    response = error_response(status, code, fields=fields)
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _handle_rate_limited(error: RateLimited) -> Response:
    """``429 rate_limited`` with ``Retry-After``: the seconds until the breached limit's window
    ends."""
    response = _handle_http_exception(error)
    try:
        response.headers["Retry-After"] = str(error.seconds_to_retry())
    except Exception:  # the storage (Redis) may fail here; the 429 still stands
        log.warning("no Retry-After: the rate limit's window could not be read", exc_info=True)
    return response


def _handle_unavailable(error: SQLAlchemyError) -> Response:
    """The database is down, restarting or out of connections: 503 with ``Retry-After``, so
    clients (the ballot page, kiosks, API clients with a cast id) retry instead of giving up.
    One log line, not a traceback: an outage would otherwise write one per request."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()
    log.warning(
        "database unavailable (%s), request id %s", type(error).__name__, g.get("request_id")
    )
    return _unavailable()


def _handle_limits_unavailable(error: StorageError) -> Response:
    """Redis, which counts the rate limits, is down: the same 503 as a database outage. The
    limit is checked before the view runs, so nothing was done and a retry is safe."""
    log.warning(
        "rate limit storage unavailable (%s), request id %s",
        type(error.storage_error).__name__,
        g.get("request_id"),
    )
    return _unavailable()


def _unavailable() -> Response:
    response = error_response(503, "service_unavailable")
    response.headers["Retry-After"] = str(RETRY_UNAVAILABLE_SECONDS)
    return response


TRACEBACK_SECONDS = 600.0
"""A kind of unexpected error logs its traceback at most once this often (see below)."""


class TracebackThrottle:
    """Which unexpected errors log a whole traceback (about 5 KB) and which one line.

    Anyone can send a request; one that fails the same way in a loop must not write
    kilobytes of log for each of its few bytes. A kind of failure (the exception's type and
    the line that raised it) logs its traceback the first time and again after
    :data:`TRACEBACK_SECONDS`; in between each occurrence is one line naming the kind and
    the request id, and no text of the request.
    """

    MAX_KINDS = 1000
    """Kinds remembered at once; past that the memory starts over (a few more tracebacks)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._logged_at: dict[tuple[str, str, int], float] = {}

    @staticmethod
    def kind(error: BaseException) -> tuple[str, str, int]:
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None:
            return (type(error).__qualname__, "?", 0)
        return (type(error).__qualname__, tb.tb_frame.f_code.co_filename, tb.tb_lineno)

    def wants_traceback(self, kind: tuple[str, str, int]) -> bool:
        now = self.clock()
        last = self._logged_at.get(kind)
        if last is not None and now - last < TRACEBACK_SECONDS:
            return False
        if len(self._logged_at) >= self.MAX_KINDS:
            self._logged_at.clear()
        self._logged_at[kind] = now
        return True


THROTTLE = TracebackThrottle()


def _handle_unexpected(error: Exception) -> Response:
    db.session.rollback()
    kind = THROTTLE.kind(error)
    if THROTTLE.wants_traceback(kind):
        log.exception("unexpected error, request id %s", g.get("request_id"), exc_info=error)
    else:
        name, filename, line = kind
        log.error(
            "unexpected error, request id %s: %s at %s:%d (traceback logged before)",
            g.get("request_id"),
            name,
            filename,
            line,
        )
    return error_response(500, "internal_error")


def request_id(incoming: str) -> str:
    """The caller's request id when it looks like one (a proxy's), else a new one; anything
    else could smuggle text into our logs and headers."""
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _assign_request_id() -> None:
    g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER, ""))


def _expose_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_expose_request_id)
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(RateLimited, _handle_rate_limited)
    for unavailable in (OperationalError, InterfaceError, DisconnectionError, PoolTimeout):
        app.register_error_handler(unavailable, _handle_unavailable)
    app.register_error_handler(StorageError, _handle_limits_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)
