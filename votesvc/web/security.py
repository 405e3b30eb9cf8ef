"""What every page response carries, and the cookie session that only pages have.

The API stays cookieless (bearer credentials; see ``NoCookieSession`` in :mod:`votesvc.app`);
pages keep the ballot in progress and the CSRF secret in Flask's signed cookie session, which
only paths outside ``/api/`` open. The cookie is ``HttpOnly`` and ``SameSite=Lax`` (``Secure``
in production) and lasts until the browser closes. Every form post is checked against
Flask-WTF's CSRF token, only on pages: the API's credentials are their own proof.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

API_PREFIX = "/api/"

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

csrf = CSRFProtect()


def is_page(req: Request) -> bool:
    return not req.path.startswith(API_PREFIX)


class PageSession(SecureCookieSessionInterface):
    """Flask's signed cookie session for pages; none under ``/api/`` (no cookie is read or
    written there, and no serializer is built on the API's hot paths)."""

    def open_session(self, app: Flask, request: Request) -> Any:
        return super().open_session(app, request) if is_page(request) else None

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if is_page(request):
            super().save_session(app, session, response)


def _headers(response: Response) -> Response:
    if not is_page(request):
        return response
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if response.mimetype == "text/html":
        headers["Cache-Control"] = "no-store"  # a ballot or a receipt never stays in a cache
    if current_app.config.get("VOTESVC_ENV") == "production":
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.session_interface = PageSession()
    app.config["SESSION_COOKIE_NAME"] = "votesvc_session"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("VOTESVC_ENV") == "production"
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by the pages' blueprint
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's life is the limit
    csrf.init_app(app)
    app.after_request(_headers)
