"""No console page without a session, no form without its CSRF token, no other election.

Every request to the blueprint passes :func:`guard` first, sign-in excepted:

* the ``votesvc_admin`` cookie must open a live session
  (:func:`votesvc.services.admin_sessions.resume`), else the browser goes to sign-in (a page
  it asked for comes back after it);
* a post must carry that session's CSRF token (:func:`csrf_token` in every form), compared in
  constant time, else the "form expired" page;
* a key scoped to one election reaches only that election's pages: the election is found from
  the URL's ids by :func:`votesvc.services.api_keys.election_in`, as the API's guard does, and
  another one is the 403 page. Pages naming no election that only an unscoped key may use
  call :func:`require_unscoped`.

The session cookie is the console's own: ``HttpOnly``, ``SameSite=Strict`` (another site's
link does not even send it), ``Path=/admin``, ``Secure`` in production. The voters' signed
cookie session is never opened under ``/admin/`` (:mod:`votesvc.web.security`).
"""

from __future__ import annotations

from flask import abort, current_app, g, redirect, request, url_for
from werkzeug import Response

from votesvc.models import AdminSession
from votesvc.services import admin_sessions, api_keys
from votesvc.services.errors import Unauthorized
from votesvc.web.console.blueprint import bp

COOKIE = "votesvc_admin"
CSRF_FIELD = "csrf_token"
PUBLIC_ENDPOINTS = frozenset({"console.sign_in"})
"""The only console endpoint a browser without a session may reach."""


def idle_minutes() -> int:
    return current_app.config["VOTESVC_ADMIN_IDLE_MINUTES"]


def current() -> AdminSession:
    """This request's session (set by :func:`guard`)."""
    return g.admin_session


def csrf_token() -> str:
    """The session's CSRF token, for the hidden field of every console form."""
    return current().csrf_token


def require_unscoped() -> None:
    """Refuse (403) a key scoped to one election: creating and importing elections."""
    api_keys.authorize(g.api_key, None)


def safe_next(target: str | None) -> str | None:
    """A page to come back to after sign-in: console paths only, never another site."""
    if target and target.startswith(bp.url_prefix + "/") and not target.startswith("//"):
        return target
    return None


def set_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        path=bp.url_prefix,
        httponly=True,
        samesite="Strict",
        secure=current_app.config.get("VOTESVC_ENV") == "production",
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=bp.url_prefix,
        httponly=True,
        samesite="Strict",
        secure=current_app.config.get("VOTESVC_ENV") == "production",
    )


def _to_sign_in() -> Response:
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    response = redirect(url_for("console.sign_in", next=safe_next(back)), 303)
    if COOKIE in request.cookies:
        clear_cookie(response)
    return response


@bp.before_request
def guard() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    try:
        admin_session = admin_sessions.resume(request.cookies.get(COOKIE), idle_minutes())
    except Unauthorized:
        return _to_sign_in()
    g.admin_session = admin_session
    g.api_key = admin_session.api_key  # the audit log's actor
    if request.method == "POST" and not admin_sessions.csrf_matches(
        admin_session, request.form.get(CSRF_FIELD)
    ):
        abort(400)
    election_id = api_keys.election_in(request.view_args or {})
    if election_id is not None:
        api_keys.authorize(g.api_key, election_id)
    return None
