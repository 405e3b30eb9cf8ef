"""Admin API keys: 256 random bits shown once, stored as SHA-256, optionally scoped."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping

from sqlalchemy import select

from votesvc.models import Agenda, ApiKey, Booth, Contest, Election
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


def create_first_key(label: str) -> str | None:
    """An unscoped key when none exists yet (the demo's first start), its plain text; ``None``
    when some key exists already."""
    if db.session.scalar(select(ApiKey.id).limit(1)) is not None:
        return None
    return create_api_key(label=label)[1]


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


ELECTION_OF: dict[str, Callable[[int], int]] = {
    "election_id": lambda ident: fetch(Election, ident).id,
    "contest_id": lambda ident: fetch(Contest, ident).election_id,
    "agenda_id": lambda ident: fetch(Agenda, ident).contest.election_id,
    "booth_id": lambda ident: fetch(Booth, ident).election_id,
}
"""How to find the election an object named in a URL belongs to, by the argument's name."""


def election_in(arguments: Mapping[str, int]) -> int | None:
    """The election that the first object named in ``arguments`` (a URL's election, contest,
    agenda or booth id) belongs to; ``None`` when they name none. A missing object is 404,
    before any scope is checked."""
    for name, election_of in ELECTION_OF.items():
        if name in arguments:
            return election_of(arguments[name])
    return None
