"""Signed one-time voting tokens: issue, verify (server and offline kiosk), hash for storage.

Keys are passed in; nothing here reads the application, the database or the clock, so the same
code runs in the service, in a kiosk and in tests.

**Payload.** ``v1.<election>.<channel>.<id>[.t]`` followed by itsdangerous's ``.<signature>``
(HMAC-SHA256, URL-safe base64). ``id`` is 80 random bits from :mod:`secrets` written in the
short-code alphabet (:mod:`votesvc.voting.shortcodes`), so the QR code and the printed short code
carry
the same id. About 80 ASCII characters: a version-5 QR code at level M.

**Why 80 bits.** DESIGN.md asks for at least 80. The short code must carry the whole id so that
a typed code and a scanned token reach the same stored record through one keyed hash; 80 bits
are 16 characters to type, 128 would be 26. Guessing is hopeless either way: with ten million
tokens issued, a guess hits one with probability 10^7 / 2^80 ≈ 8·10^-18, and guesses are rate
limited at the edge.

**Channel keys.** Each channel (``online`` or ``booth-<id>``) signs with its own key,
HKDF-SHA256 (RFC 5869) of the server secret, salt ``votesvc.token.v1``, info naming the channel.
HKDF rather than itsdangerous's own key derivation because the kiosk must be handed the derived
key itself: itsdangerous derives inside its ``Signer`` from the secret (SHA-1 concat by
default), so we derive with a standard, language-neutral function and give itsdangerous the
result with ``key_derivation="none"``. Changing the salt's version makes every key new.

**Trust boundary.** HMAC verifies with the key that signs. A kiosk provisioned for booth A holds
booth A's key: it can check booth A's tokens offline and could also sign new booth-A tokens,
but no key it holds is valid for another booth or online, and the server refuses any id it never
issued (:func:`admit`). So a stolen kiosk cannot vote anywhere, and at its own booth it can only
replay ids that were really issued there, each spendable once.

**Rotation.** ``secrets`` is newest first: new tokens are signed with the newest, every listed
secret still verifies. Drop a secret only when no token signed with it should count any more.

**Test tokens.** The server's status (``test``) decides; a test token never counts. The signed
payload carries a ``t`` flag too, so a kiosk can show "TEST" offline and a sheet prints it, and
flipping the flag breaks the signature. The server refuses a token whose flag disagrees with its
record (:class:`TokenTestFlagMismatch`).

**Storage.** The server keeps ``hash_token_id(id, key)``, an HMAC, never the id: a leaked table
cannot be turned into votable tokens. The 80 random bits already defeat guessing a plain hash;
the key adds that a table dump alone cannot even confirm that a photographed sheet's id is in
it. The key must outlive signing-key rotation, or stored ids could no longer be found.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import re
import secrets as random_source
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_decode, base64_encode

from votesvc.voting import shortcodes

TOKEN_ID_BYTES = 10
"""80 random bits; see the module docstring for why."""

ONLINE = "online"
"""The channel of tokens cast from the voter's own device."""

VERSION = "v1"
_SALT = b"votesvc.token.v1"
_HASH_INFO = b"votesvc.token-id-hash.v1"
_MIN_SECRET_BYTES = 32
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TEST_FLAG = "t"


class TokenError(Exception):
    """A token refused; ``code`` is the stable string the HTTP edge and kiosks report."""

    code = "token_invalid"


class MalformedToken(TokenError):
    code = "token_malformed"


class BadTokenSignature(TokenError):
    code = "token_bad_signature"


class WrongChannel(TokenError):
    code = "token_wrong_channel"


class WrongElection(TokenError):
    code = "token_wrong_election"


class UnknownToken(TokenError):
    code = "token_unknown"


class TokenSpent(TokenError):
    code = "token_already_used"


class TokenVoid(TokenError):
    code = "token_void"


class TokenTestFlagMismatch(TokenError):
    code = "token_test_mismatch"


class TokenStatus(enum.StrEnum):
    UNUSED = "unused"
    SPENT = "spent"
    VOID = "void"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a well-signed token says. ``test`` is the payload flag, not the server's status."""

    election_id: str
    channel: str
    token_id: bytes
    test: bool = False


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly issued token: the id (hash it for storage), the QR text and the short code."""

    claims: TokenClaims
    signed: str
    short_code: str

    @property
    def token_id(self) -> bytes:
        return self.claims.token_id


@dataclass(frozen=True, slots=True)
class IssuedRecord:
    """The server's record of one issued id, as a :class:`TokenLedger` returns it."""

    election_id: str
    channel: str
    status: TokenStatus


class TokenLedger(Protocol):
    """The service's store of issued ids, looked up by :func:`hash_token_id`."""

    def record(self, id_hash: str) -> IssuedRecord | None: ...


def booth_channel(booth_id: int | str) -> str:
    """The channel name of a booth; prefixed so that no booth can be called ``online``."""
    return _checked_name(f"booth-{booth_id}", "booth id")


def derive_channel_key(secret: bytes, channel: str) -> bytes:
    """The 32-byte signing key of ``channel`` under ``secret`` (HKDF-SHA256)."""
    info = b"votesvc.token.v1 channel " + _checked_name(channel, "channel").encode()
    return hkdf_sha256(secret, salt=_SALT, info=info)


def hkdf_sha256(ikm: bytes, *, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF with SHA-256: extract with ``salt``, expand with ``info``."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def hash_token_id(token_id: bytes, key: bytes) -> str:
    """The stored form of a token id: hex HMAC-SHA256 under a subkey of ``key``.

    ``key`` must stay the same for the life of every token (it is not rotated with the signing
    secrets); the HKDF subkey keeps it apart from any signing key even if the same secret is
    passed to both.
    """
    return hmac.digest(_id_hash_subkey(key), token_id, "sha256").hex()


@functools.lru_cache(maxsize=8)
def _id_hash_subkey(key: bytes) -> bytes:
    """Derived once per key: every cast and every synced ballot hashes a token id, and the
    derivation costs two more HMACs than the hash itself."""
    return hkdf_sha256(key, salt=_SALT, info=_HASH_INFO)


def admit(
    ledger: TokenLedger,
    id_hash: str,
    *,
    expected_election: str,
    expected_channel: str,
    claimed_test: bool | None = None,
) -> TokenStatus:
    """The server-side check after the signature (or after a short code's check character).

    Returns ``UNUSED`` or ``TEST``; raises for an id never issued, spent, void, issued for
    another election or channel, or whose payload test flag disagrees with the record
    (``claimed_test`` is ``None`` for short codes, which carry no flag). This is a read for
    precise refusals; the spend itself is still the service's conditional UPDATE.
    """
    found = ledger.record(id_hash)
    if found is None:
        raise UnknownToken("this token was never issued")
    if found.election_id != expected_election:
        raise WrongElection("this token belongs to another election")
    if found.channel != expected_channel:
        raise WrongChannel("this token belongs to another channel")
    if found.status == TokenStatus.SPENT:
        raise TokenSpent("this token was already used")
    if found.status == TokenStatus.VOID:
        raise TokenVoid("this token was voided")
    if claimed_test is not None and claimed_test != (found.status == TokenStatus.TEST):
        raise TokenTestFlagMismatch("the token's test flag disagrees with its record")
    return TokenStatus(found.status)


class TokenIssuer:
    """The server's side: issues tokens for any channel and verifies them.

    ``secrets`` is newest first; each must have at least 32 bytes.
    """

    def __init__(self, secrets: Sequence[bytes]) -> None:
        if not secrets:
            raise ValueError("at least one signing secret is needed")
        if any(len(s) < _MIN_SECRET_BYTES for s in secrets):
            raise ValueError(f"signing secrets need at least {_MIN_SECRET_BYTES} bytes")
        self._secrets = tuple(secrets)
        self._channel_keys: dict[str, tuple[bytes, ...]] = {}

    def channel_keys(self, channel: str) -> tuple[bytes, ...]:
        """What a kiosk of ``channel`` is provisioned with: its key under each live secret,
        newest first, so it keeps verifying tokens printed before a rotation.

        Derived once per channel and kept (the secrets are fixed for the issuer's life: a
        rotation builds a new issuer). Only for channels the service names itself (``online``,
        its booths), so the cache stays small; :meth:`verify` derives the keys of a channel
        that a presented token merely claims without keeping them.
        """
        found = self._channel_keys.get(channel)
        if found is None:
            found = self._derive(channel)
            self._channel_keys[channel] = found
        return found

    def _derive(self, channel: str) -> tuple[bytes, ...]:
        return tuple(derive_channel_key(s, channel) for s in self._secrets)

    def issue(self, election_id: str, channel: str, *, test: bool = False) -> IssuedToken:
        claims = TokenClaims(
            _checked_name(election_id, "election id"),
            _checked_name(channel, "channel"),
            random_source.token_bytes(TOKEN_ID_BYTES),
            test,
        )
        signed = sign(claims, self.channel_keys(channel))
        return IssuedToken(claims, signed, shortcodes.format_code(claims.token_id))

    def verify(self, signed: str, *, expected_election: str, expected_channel: str) -> TokenClaims:
        """Claims of a genuine token for this election and channel, else a :class:`TokenError`.

        The signature is checked under the key of the channel the token names, so
        :class:`WrongChannel` means a genuine token of another channel, never a forgery.
        """
        claims = _parse(signed)
        if claims.channel == expected_channel:
            channel_keys = self.channel_keys(claims.channel)
        else:  # anyone can claim any channel: derive for the answer, keep nothing
            channel_keys = self._derive(claims.channel)
        _check_signature(signed, channel_keys)
        return _expect(claims, expected_election, expected_channel)


class KioskVerifier:
    """A booth kiosk's offline check, holding only its own channel's keys (newest first).

    Unlike the server it cannot check another channel's signature, so a token naming another
    booth is refused as :class:`WrongChannel` before any signature check.
    """

    def __init__(self, channel: str, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a kiosk needs at least one channel key")
        self.channel = _checked_name(channel, "channel")
        self._keys = tuple(keys)

    def verify(self, signed: str, *, expected_election: str) -> TokenClaims:
        claims = _parse(signed)
        if claims.channel != self.channel:
            raise WrongChannel("this token belongs to another channel")
        _check_signature(signed, self._keys)
        return _expect(claims, expected_election, self.channel)


def sign(claims: TokenClaims, keys: Sequence[bytes]) -> str:
    """The token text for ``claims`` under channel ``keys`` (newest first; the first signs).

    Public because it is exactly what a channel key allows: whoever holds booth A's key can sign
    booth-A tokens, which is why the server also requires the id to have been issued.
    """
    return _signer(keys).sign(_payload(claims)).decode()


def _signer(keys_newest_first: Sequence[bytes]) -> Signer:
    return _signer_for(tuple(keys_newest_first))


@functools.lru_cache(maxsize=1024)
def _signer_for(keys_newest_first: tuple[bytes, ...]) -> Signer:
    """One :class:`Signer` per key set (channels: online and each booth), built once: a
    signer holds only its keys and settings, so it is safe to share between threads."""
    # itsdangerous signs with the LAST key and tries all; ours are newest first.
    return Signer(
        list(reversed(keys_newest_first)),
        salt=_SALT,
        key_derivation="none",
        digest_method=hashlib.sha256,
    )


def _payload(claims: TokenClaims) -> str:
    parts = [VERSION, claims.election_id, claims.channel, shortcodes.encode_id(claims.token_id)]
    return ".".join(parts + [_TEST_FLAG] * claims.test)


def _parse(signed: str) -> TokenClaims:
    """The claims a token states, before any signature check: never trust them alone."""
    parts = signed.split(".") if isinstance(signed, str) and len(signed) <= 512 else []
    if len(parts) not in (5, 6) or parts[0] != VERSION:
        raise MalformedToken("not a voting token")
    election_id, channel, encoded_id = parts[1:4]
    flags = parts[4:-1]
    if not (_NAME.fullmatch(election_id) and _NAME.fullmatch(channel)) or flags not in (
        [],
        [_TEST_FLAG],
    ):
        raise MalformedToken("not a voting token")
    try:
        token_id = shortcodes.decode_id(encoded_id, TOKEN_ID_BYTES)
    except shortcodes.ShortCodeError as error:
        raise MalformedToken("not a voting token") from error
    return TokenClaims(election_id, channel, token_id, bool(flags))


def _check_signature(signed: str, keys: Sequence[bytes]) -> None:
    """The signature is valid and written the one way the signer writes it.

    Base64 of 32 bytes leaves two unused bits in the last character, which the decoder
    ignores, so four spellings of a signature decode alike; only the canonical one is
    accepted, so one token has exactly one text.
    """
    signature = signed.rpartition(".")[2]
    try:
        _signer(keys).unsign(signed)
        canonical = base64_encode(base64_decode(signature)).decode() == signature
    except BadSignature as error:
        raise BadTokenSignature("the token's signature is not valid") from error
    if not canonical:
        raise BadTokenSignature("the token's signature is not valid")


def _expect(claims: TokenClaims, election_id: str, channel: str) -> TokenClaims:
    if claims.channel != channel:
        raise WrongChannel("this token belongs to another channel")
    if claims.election_id != election_id:
        raise WrongElection("this token belongs to another election")
    return claims


def _checked_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ValueError(f"{what} must be 1-64 of A-Z a-z 0-9 _ -, not {value!r}")
    return value
