"""What every page response carries, and the cookie session that only pages have.

The API stays cookieless (bearer credentials, no cookie read or written under ``/api/``);
pages keep the ballot in progress and a CSRF token in Flask's signed cookie session, which
only paths outside ``/api/`` open. The cookie is ``HttpOnly`` and ``SameSite=Lax`` (``Secure``
in production) and lasts until the browser closes.

**CSRF.** Every page form carries the session's own random token (:func:`csrf_token`) and a
post is refused unless the form's copy equals it (:func:`check_csrf`): the synchronizer-token
pattern. Another site can make a browser post, but cannot read the token out of our page or
our signed cookie. Flask-WTF does the same with a second signed, timed token inside the form;
its check cost half a millisecond a post, a third of what a page's cast adds to an API cast,
and a page's token lives as long as the session anyway.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Flask, Request, Response, abort, current_app, request, session
from flask.sessions import SecureCookieSessionInterface

from votesvc.services.errors import Malformed

API_PREFIX = "/api/"
CONSOLE_PREFIX = "/admin/"
"""The admin console keeps a server-side session of its own (:mod:`votesvc.web.console.guard`)
and never opens the voters' cookie session."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
"""No inline script or style anywhere: templates load ``static/`` files only."""

CSRF_FIELD = "csrf_token"


def csrf_token() -> str:
    """The session's CSRF token, made on first use (templates put it in every form)."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = session[CSRF_FIELD] = secrets.token_urlsafe(24)
    return token


def check_csrf() -> None:
    """A page form post whose token is missing or not this session's answers 400; one that
    came with no session cookie at all says the pages need cookies (a browser refusing them
    would otherwise be told "the form expired" on every try)."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        raise Malformed("cookies_required")
    sent = request.form.get(CSRF_FIELD, "")
    kept = session.get(CSRF_FIELD)
    if not isinstance(kept, str) or not hmac.compare_digest(sent.encode(), kept.encode()):
        abort(400)


def is_page(req: Request) -> bool:
    return not req.path.startswith(API_PREFIX)


def has_page_session(req: Request) -> bool:
    return is_page(req) and not req.path.startswith(CONSOLE_PREFIX)


class PageSession(SecureCookieSessionInterface):
    """Flask's signed cookie session for the voters' pages; none under ``/api/`` (no cookie is
    read or written there, and no serializer is built on the API's hot paths) nor under
    ``/admin/`` (writing to it there fails loudly: Flask's null session)."""

    def open_session(self, app: Flask, request: Request) -> Any:
        return super().open_session(app, request) if has_page_session(request) else None

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if has_page_session(request):
            super().save_session(app, session, response)


def _headers(response: Response) -> Response:
    if not is_page(request):
        return response
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html" and "Cache-Control" not in headers:
        # a ballot or a receipt never stays in a cache; only a published page says otherwise
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("VOTESVC_ENV") == "production":
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.session_interface = PageSession()
    app.config["SESSION_COOKIE_NAME"] = "votesvc_session"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("VOTESVC_ENV") == "production"
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.after_request(_headers)
