"""Admin console sessions: signing in with an admin key, resuming, signing out.

A console page is a browser, not an API client: it cannot send ``Authorization`` on every
link. Signing in checks the key once (:func:`votesvc.services.api_keys.authenticate`) and
gives the browser 256 random bits for a cookie; the table keeps only their SHA-256 (a copy of
it opens nothing), the key the session acts as, and the session's own CSRF token. A session
idle for the configured minutes is over; signing out deletes the row, and deleting the key
deletes every session it opened (the foreign key cascades).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from votesvc.models import AdminSession
from votesvc.models.base import db, utc_now
from votesvc.services import api_keys, audit
from votesvc.services.errors import Unauthorized
from votesvc.services.transaction import unit_of_work

TOUCH_SECONDS = 60
"""``last_seen_at`` is written at most this often: a page view is then a read, not a write,
and the idle timeout is still exact to the minute."""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def sign_in(
    plain_key: str | None, idle_minutes: int, replacing: str | None = None
) -> tuple[AdminSession, str]:
    """A new session for the admin key ``plain_key`` and the cookie value that opens it (shown
    to the browser once, never stored); ``unauthorized`` / ``invalid_api_key`` otherwise.
    The session of the cookie the browser still held (``replacing``) ends: a browser has one
    session, not one per sign-in. Sessions idle past ``idle_minutes`` are swept here."""
    with unit_of_work():
        api_key = api_keys.authenticate(plain_key)
        idle_since = utc_now() - timedelta(minutes=idle_minutes)
        db.session.execute(delete(AdminSession).where(AdminSession.last_seen_at <= idle_since))
        if replacing:
            db.session.execute(
                delete(AdminSession).where(AdminSession.token_hash == _digest(replacing))
            )
        cookie = secrets.token_urlsafe(32)
        admin_session = AdminSession(
            token_hash=_digest(cookie),
            api_key_id=api_key.id,
            csrf_token=secrets.token_urlsafe(32),
        )
        db.session.add(admin_session)
        db.session.flush()
        audit.record(
            "admin.signed_in", api_key.election_id, {"key": api_key.id, "session": admin_session.id}
        )
    return admin_session, cookie


def resume(cookie: str | None, idle_minutes: int) -> AdminSession:
    """The live session the cookie value opens, its idle clock restarted; ``admin_session_
    expired`` when there is none (never made, signed out, its key deleted) or it sat idle for
    ``idle_minutes``, in which case its row goes."""
    if not cookie:
        raise Unauthorized("admin_session_expired")
    digest = _digest(cookie)
    admin_session = db.session.scalar(select(AdminSession).where(AdminSession.token_hash == digest))
    if admin_session is None or not hmac.compare_digest(admin_session.token_hash, digest):
        db.session.rollback()
        raise Unauthorized("admin_session_expired")
    now = utc_now()
    if now - admin_session.last_seen_at >= timedelta(minutes=idle_minutes):
        with unit_of_work():
            db.session.delete(admin_session)
        raise Unauthorized("admin_session_expired")
    if now - admin_session.last_seen_at >= timedelta(seconds=TOUCH_SECONDS):
        with unit_of_work():
            admin_session.last_seen_at = now
    return admin_session


def sign_out(session_id: int) -> None:
    """End the session (a second sign-out of the same one is no error)."""
    with unit_of_work():
        db.session.execute(delete(AdminSession).where(AdminSession.id == session_id))


def csrf_matches(admin_session: AdminSession, sent: str | None) -> bool:
    """Whether a form's token is this session's, compared in constant time."""
    return hmac.compare_digest((sent or "").encode(), admin_session.csrf_token.encode())
