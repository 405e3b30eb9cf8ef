"""The service's keys and the small secrecy rules every voting use case shares.

Keys come from the configuration (``VOTESVC_TOKEN_SECRETS``, ``VOTESVC_TOKEN_HASH_KEY``) and
are passed down to :mod:`votesvc.voting.tokens`, which never reads the application. Each stored hash
has its own purpose, derived from the hash key with HKDF, so a value hashed for one table never
matches the same value hashed for another: that is what keeps a token's ``spend_key`` and its
ballots' ``receipt_hash`` unlinkable (see :mod:`votesvc.models`).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha256

from flask import current_app

from votesvc.voting import shortcodes
from votesvc.voting.tokens import TOKEN_ID_BYTES, TokenIssuer, hash_token_id, hkdf_sha256

_SALT = b"votesvc.service.v1"
RECEIPT_BYTES = TOKEN_ID_BYTES
"""A receipt code is 80 random bits written like a token's short code (with a check
character), so the voter types it with the same forgiving rules."""


class Purpose(StrEnum):
    """What a keyed hash is for; each purpose has its own HKDF subkey."""

    RECEIPT = "receipt"
    SPEND = "spend"
    QUARANTINE = "quarantine"
    IDENTITY = "roll-identity"
    FACTOR = "roll-factor"
    BATCH = "batch-seed"
    CAST = "cast-receipt"
    KIOSK_EXPORT = "kiosk-export"


def issuer() -> TokenIssuer:
    """The application's token issuer, built once per app (HKDF keys are cheap, but not free)."""
    found = current_app.extensions.get("votesvc.issuer")
    if found is None:
        found = TokenIssuer(current_app.config["VOTESVC_TOKEN_SECRETS"])
        current_app.extensions["votesvc.issuer"] = found
    return found


def _hash_key() -> bytes:
    return current_app.config["VOTESVC_TOKEN_HASH_KEY"]


def token_hash(token_id: bytes) -> str:
    """The stored form of a token id."""
    return hash_token_id(token_id, _hash_key())


def subkey(purpose: Purpose) -> bytes:
    cache = current_app.extensions.setdefault("votesvc.subkeys", {})
    if purpose not in cache:
        cache[purpose] = hkdf_sha256(_hash_key(), salt=_SALT, info=purpose.value.encode())
    return cache[purpose]


def keyed(purpose: Purpose, value: str | bytes) -> str:
    """Hex HMAC-SHA256 of ``value`` under the purpose's subkey."""
    data = value.encode() if isinstance(value, str) else value
    return hmac.digest(subkey(purpose), data, "sha256").hex()


def new_receipt() -> tuple[str, str]:
    """A fresh receipt code and its stored hash, hashed from the random bits themselves rather
    than parsed back from the code's text (a cast would otherwise decode what it just wrote)."""
    bits = secrets.token_bytes(RECEIPT_BYTES)
    return shortcodes.format_code(bits), keyed(Purpose.RECEIPT, bits)


def cast_receipt(election_id: int, token_hash: str, cast_id: str, content: str) -> bytes:
    """The receipt bits of an online cast that names its own ``cast_id``: the same token, id
    and ballots give the same receipt again (a retry after a lost answer), anything else
    another. Keyed, so the receipt cannot be computed without the server's key, and built from
    the client's random id, which is never stored, so the server's key alone cannot either."""
    message = f"{election_id}:{token_hash}:{cast_id}:{content}"
    return hmac.digest(subkey(Purpose.CAST), message.encode(), "sha256")[:RECEIPT_BYTES]


def receipt_bits(code: str) -> bytes:
    """The 80 bits of a receipt code, whichever way it was typed (the base of every hash of it).

    Raises :class:`votesvc.voting.shortcodes.ShortCodeError` for a code that cannot be one.
    """
    return shortcodes.parse_code(code, RECEIPT_BYTES)


def receipt_hash(code: str) -> str:
    """The stored form of a receipt code."""
    return keyed(Purpose.RECEIPT, receipt_bits(code))


def new_ballot_id() -> str:
    """128 random bits: a ballot's id says nothing about when or in which order it came."""
    return secrets.token_hex(16)


def coarse(moment: datetime) -> datetime:
    """``moment`` truncated to the hour (UTC): stored times must not order or date a vote."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    """SHA-256 of a 256-bit random credential (kiosk credentials, as admin keys)."""
    return sha256(secret.encode()).hexdigest()


def same(left: str, right: str) -> bool:
    """Constant-time comparison of two credentials or digests."""
    return hmac.compare_digest(left.encode(), right.encode())
