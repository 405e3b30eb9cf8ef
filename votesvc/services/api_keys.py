"""Admin API keys: 256 random bits shown once, stored as SHA-256, optionally scoped."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from votesvc.models import ApiKey, Election
from votesvc.models.base import db
from votesvc.services import audit
from votesvc.services.common import fetch
from votesvc.services.errors import Forbidden, Unauthorized
from votesvc.services.transaction import unit_of_work

KEY_PREFIX = "vsk_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(election_id: int | None = None, label: str = "") -> tuple[ApiKey, str]:
    """A new key and its plain text, which is not stored and cannot be shown again."""
    with unit_of_work():
        if election_id is not None:
            fetch(Election, election_id)
        plain = KEY_PREFIX + secrets.token_urlsafe(32)
        api_key = ApiKey(
            key_hash=_digest(plain), prefix=plain[:12], label=label, election_id=election_id
        )
        db.session.add(api_key)
        db.session.flush()
        audit.record("api_key.created", election_id, {"key": api_key.id, "label": label})
    return api_key, plain


def authenticate(plain: str | None) -> ApiKey:
    """The key matching ``plain``, or ``unauthorized``.

    The lookup is by digest, so timing reveals nothing about the key; the final comparison is
    constant-time all the same.
    """
    if not plain:
        raise Unauthorized()
    digest = _digest(plain)
    api_key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
        raise Unauthorized("invalid_api_key")
    return api_key


def authorize(api_key: ApiKey, election_id: int | None) -> None:
    """A scoped key acts on its own election only; ``None`` means "all elections" (creating or
    importing an election), which only an unscoped key may do."""
    if api_key.election_id is not None and api_key.election_id != election_id:
        raise Forbidden()
