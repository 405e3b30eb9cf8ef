"""Signing in with an admin key and out again."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug import Response

from votesvc.extensions import limiter
from votesvc.services import admin_sessions
from votesvc.services.errors import Unauthorized
from votesvc.web.console import guard
from votesvc.web.console.blueprint import bp
from votesvc.web.refusals import refusal_text


def _sign_in_limit() -> str:
    """Guessing keys is guessing codes: the same limit per client address."""
    return current_app.config["VOTESVC_CODE_LIMIT"]


def _from_elsewhere() -> bool:
    """Whether the browser says this post came from another site: ``Sec-Fetch-Site`` (every
    current browser sends it) other than ``same-origin`` or ``none`` (typed, a bookmark), or,
    without it, an ``Origin`` naming another host. Neither header: not a browser's
    cross-site form, which always carries one of them."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc != request.host


def _form(error: str | None = None, status: int = 200) -> tuple[str, int]:
    next_page = guard.safe_next(request.values.get("next"))
    return render_template("console/sign_in.html", error=error, next_page=next_page), status


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> tuple[str, int] | Response:
    """The key is checked once; the browser keeps a session cookie instead of the key.

    The form carries no CSRF token (there is no session to hold one yet). A forged sign-in
    from another site could still swap an official's session for one of the forger's own
    key (``SameSite`` does not stop a cookie being *set*), after which the official's uploads
    would land in the forger's election; so a post another site sent is refused by the
    browser's own word for where it came from (:func:`_from_elsewhere`)."""
    if request.method == "GET":
        return _form()
    if _from_elsewhere():
        abort(400)
    key = request.form.get("key", "").strip()
    if not key:
        return _form(_("Enter an admin key."), 422)
    try:
        cookie = admin_sessions.sign_in(
            key, guard.idle_minutes(), replacing=request.cookies.get(guard.COOKIE)
        )[1]
    except Unauthorized as error:
        return _form(refusal_text(error), 422)
    target = guard.safe_next(request.form.get("next")) or url_for(".elections")
    response = redirect(target, 303)
    guard.set_cookie(response, cookie)
    return response


@bp.post("/sign-out")
def sign_out() -> Response:
    admin_sessions.sign_out(guard.current().id)
    response = redirect(url_for(".sign_in"), 303)
    guard.clear_cookie(response)
    return response
