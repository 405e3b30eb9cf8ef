"""Booth kiosks: provisioning, credentials, and the sync of ballots cast offline.

**Provisioning** returns, once, the kiosk's credential (256 random bits; stored as SHA-256)
and the booth channel's signing keys (:meth:`votesvc.voting.tokens.TokenIssuer.channel_keys`) so the
kiosk checks that booth's QR codes offline with :class:`votesvc.voting.tokens.KioskVerifier`.

**Sync** takes a batch of queued ballots and answers for each, in order: ``accepted`` (with its
receipt), ``already_accepted`` (the same ballot synced before: an idempotent retry), ``test``
(a test token's dry run: checked, never stored) or ``refused`` with a reason, in which case the
ballot is kept in the quarantine table for officials. Nothing is dropped silently.

**Receipts and retries without linking ballots to tokens.** Each queued ballot carries an
``id`` the kiosk generated when the voter cast it: a receipt code (80 random bits in the
short-code form) that the kiosk prints for the voter, which is also the idempotency key. When a
token is spent by a sync, the token row keeps ``spend_key = HMAC(K_spend, id)``; the ballots
keep ``receipt_hash = HMAC(K_receipt, id)``, with two different HKDF subkeys of the hash key.
A retry presents the same token and id, so the server recomputes ``spend_key`` and answers
``already_accepted`` (a *different* ballot with that token is ``token_already_used``: spent
elsewhere). The two hashes of one ``id`` cannot be matched without ``id`` itself, which is
never stored and exists only on the voter's receipt and, until synced, in the kiosk's queue:
someone holding the database and every server key cannot tell which ballots a token cast, so
the token table does not break the secrecy of ballot content. Only the receipt's holder can
make the link, and the receipt check shows contests, never content.

**Fast.** Signatures, receipts and selections are checked in a loop before any statement;
then a batch is read with one ``SELECT ... FOR UPDATE`` of its tokens (in id order, so two
syncs sharing tokens queue instead of deadlocking), one SELECT of their batches' contest
restrictions and one of its receipts, spent with one UPDATE (each token its own ``spend_key``)
and stored with one INSERT per table: a handful of statements for 500 ballots. On PostgreSQL
the keys and rows go as one JSON parameter each (:mod:`votesvc.services.bulk`). A concurrent
sync of the same batch (a kiosk retrying after a dropped connection) waits on the row locks,
then reads the committed ``spend_key`` values and answers ``already_accepted``: each ballot is
stored once.

Why one module (about 420 lines): provisioning hands out the credential and keys the sync
then checks, and the sync is one pipeline over one batch of :class:`Pending` ballots (checked,
settled against the token rows, spent, stored, quarantined), each step reading what the one
before decided.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, false, select

from votesvc.models import (
    Booth,
    Election,
    Kiosk,
    Phase,
    QuarantinedBallot,
    Receipt,
    Token,
    UTCDateTime,
)
from votesvc.models.base import db
from votesvc.schemas.voting import SyncBallotSchema
from votesvc.services import audit, keys, metrics
from votesvc.services.batches import contests_allowed_at
from votesvc.services.bulk import among, insert_new, json_rows, recordset
from votesvc.services.casting import not_allowed, store_ballots
from votesvc.services.common import fetch
from votesvc.services.errors import Conflict, DomainError, Forbidden, Invalid, Unauthorized
from votesvc.services.selections import ContestBallot, ContestMap, check_selections, contests_of
from votesvc.services.tokens import (
    Presented,
    allowed_contests,
    booth_of,
    election_name,
    ensure_issuing,
    read_token,
    token_record,
)
from votesvc.services.transaction import unit_of_work
from votesvc.voting import shortcodes
from votesvc.voting.tokens import KioskVerifier, TokenStatus, booth_channel

CREDENTIAL_PREFIX = "vkc_"
PROVISIONING_PREFIX = "vkp1"
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a kiosk's ``cast_at`` may be before it is refused."""
SYNC_PHASES = (Phase.VOTING.value, Phase.CLOSED.value)
TEST, SPENT = "test", "spent"


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def provision_kiosk(election_id: int, booth_id: int, label: str = "") -> dict[str, Any]:
    """A new kiosk for one booth: its credential (shown once), the provisioning code that
    carries it to the kiosk page (pasted or scanned), and what :func:`kiosk_setup` answers."""
    with unit_of_work():
        election = fetch(Election, election_id)
        ensure_issuing(election)
        booth = booth_of(election, booth_id)
        assert booth is not None
        credential = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
        kiosk = Kiosk(
            election_id=election.id,
            booth_id=booth.id,
            label=label,
            credential_hash=keys.digest(credential),
            prefix=credential[:12],
        )
        db.session.add(kiosk)
        db.session.flush()
        audit.record("kiosk.provisioned", election.id, {"kiosk": kiosk.id, "booth": booth.id})
        return {
            "id": kiosk.id,
            "booth_id": booth.id,
            "label": label,
            "credential": credential,
            "provisioning_code": provisioning_code(election.id, booth.id, credential),
            **_setup(kiosk, election, booth),
        }


def provisioning_code(election_id: int, booth_id: int, credential: str) -> str:
    """What booth staff paste (or scan as a QR code) into the kiosk page: everything the page
    needs to ask the server for its setup. A bearer secret, like the credential inside it."""
    return f"{PROVISIONING_PREFIX}.{election_id}.{booth_id}.{credential}"


def kiosk_setup(kiosk: Kiosk) -> dict[str, Any]:
    """What a provisioned kiosk fetches with its credential, at provisioning and again whenever
    it is online (so keys rotated since are picked up; the kiosk shows their age to staff)."""
    election = fetch(Election, kiosk.election_id)
    return _setup(kiosk, election, fetch(Booth, kiosk.booth_id))


def _setup(kiosk: Kiosk, election: Election, booth: Booth) -> dict[str, Any]:
    channel = booth_channel(booth.id)
    return {
        "election_id": election.id,
        "election": election_name(election.id),
        "channel": channel,
        "channel_keys": [_b64(key) for key in keys.issuer().channel_keys(channel)],
        "contests": contests_allowed_at(election, booth),
        "export_key": _b64(export_key(kiosk)),
        "server_time": keys.now().isoformat(),
    }


def export_key(kiosk: Kiosk) -> bytes:
    """The key a kiosk authenticates its exported queue with: derived from its credential
    (through the stored hash, under the server's hash key), so the server recomputes it, a
    database dump alone cannot, and no two kiosks share it."""
    return bytes.fromhex(keys.keyed(keys.Purpose.KIOSK_EXPORT, kiosk.credential_hash))


def authenticate_kiosk(credential: str | None, election_id: int, booth_id: int) -> Kiosk:
    """The kiosk holding ``credential``, provisioned for this election's booth ``booth_id``."""
    if not credential:
        raise Unauthorized("kiosk_unauthorized")
    expected = keys.digest(credential)
    kiosk = db.session.scalar(select(Kiosk).where(Kiosk.credential_hash == expected))
    if kiosk is None or not keys.same(kiosk.credential_hash, expected):
        raise Unauthorized("invalid_kiosk_credential")
    if kiosk.booth_id != booth_id or kiosk.election_id != election_id:
        raise Forbidden("kiosk_wrong_booth")
    return kiosk


@dataclass(slots=True)
class Pending:
    """One queued ballot on its way through the sync."""

    ballot_id: str
    selections: Mapping[str, Any]
    cast_at: datetime
    entry_key: str = ""
    late: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict)
    presented: Presented | None = None
    receipt_hash: str = ""
    spend_key: str = ""
    ballots: list[ContestBallot] = field(default_factory=list)

    def refuse(self, reason: str, detail: str = "") -> None:
        self.outcome = {"status": "refused", "reason": reason, "detail": detail}

    def refuse_for(self, error: DomainError) -> None:
        """Refused with a domain error's code, its field details as the JSON ``detail``."""
        detail = json.dumps(error.fields, ensure_ascii=False) if error.fields else ""
        self.refuse(error.code, detail)

    def accept(self, status: str = "accepted") -> None:
        self.outcome = {"status": status, "receipt": self.ballot_id}


def _as_sent(selections: Mapping[str, Any]) -> str:
    """A refused ballot's selections as JSON, for officials (only refused ones are written)."""
    return json.dumps(selections, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check_one(
    election: Election,
    contests: ContestMap,
    verifier: KioskVerifier,
    item: Mapping[str, Any],
    pending: Pending,
    now: datetime,
    grace: timedelta,
) -> None:
    """Everything that needs no database: receipt id, signature, the ballot's rules, times
    (``grace``: how long after the close a ballot cast before it may still be synced)."""
    try:
        bits = keys.receipt_bits(pending.ballot_id)
    except shortcodes.ShortCodeError as error:
        pending.entry_key = keys.keyed(keys.Purpose.QUARANTINE, pending.ballot_id)
        pending.refuse("receipt_malformed", str(error))
        return
    pending.entry_key = keys.keyed(keys.Purpose.QUARANTINE, bits)
    pending.receipt_hash = keys.keyed(keys.Purpose.RECEIPT, bits)
    pending.spend_key = keys.keyed(keys.Purpose.SPEND, bits)
    try:
        pending.presented = read_token(item["token"], election.id, verifier.channel, verifier)
        pending.ballots = check_selections(contests, item["selections"])
    except DomainError as error:
        pending.refuse_for(error)
        return
    pending.late = _time_refusal(election, pending.cast_at, now, grace)


def _time_refusal(
    election: Election, cast_at: datetime, now: datetime, grace: timedelta
) -> str | None:
    """Why a counted ballot cast at ``cast_at`` and synced ``now`` cannot count, if it cannot.

    Applied after the token's record: a test token ignores it, and a retry of a ballot already
    accepted stays ``already_accepted`` even once the grace period is over.
    """
    if election.phase not in SYNC_PHASES:
        return "election_not_open"
    if cast_at < election.starts_at:
        return "cast_before_open"
    if cast_at >= election.ends_at:
        return "cast_after_close"
    if cast_at > now + CLOCK_SKEW:
        return "cast_in_future"
    if now > election.ends_at + grace:
        return "synced_too_late"
    return None


def _settle_against_records(
    election: Election, channel: str, pendings: Sequence[Pending]
) -> list[Pending]:
    """Decide what the stored tokens and receipts decide; return the ballots left to spend."""
    live = [p for p in pendings if not p.outcome]
    hashes = {p.presented.id_hash for p in live if p.presented}
    records = {
        row.id_hash: row
        for row in db.session.execute(
            select(
                Token.id_hash,
                Token.election_id,
                Token.channel,
                Token.status,
                Token.spend_key,
                Token.batch_id,
            )
            .where(among(Token.id_hash, hashes))
            .order_by(Token.id_hash)
            .with_for_update()
        )
    }
    used_receipts = set(
        db.session.scalars(
            select(Receipt.code_hash).where(
                among(Receipt.code_hash, {p.receipt_hash for p in live})
            )
        )
    )
    restrictions = allowed_contests(record.batch_id for record in records.values())
    claimed: dict[str, str] = {}
    to_spend = []
    for pending in live:
        assert pending.presented is not None
        record = records.get(pending.presented.id_hash)
        verdict = _verdict(record, election, channel, pending.presented)
        if verdict == SPENT:
            _retry_or_spent(pending, record.spend_key)
        elif verdict not in (None, TEST):
            pending.refuse(verdict)
        elif refusal := not_allowed(restrictions.get(record.batch_id), pending.ballots):
            pending.refuse_for(refusal)
        elif verdict == TEST:
            pending.accept("test")
        elif pending.late:
            pending.refuse(pending.late)
        elif pending.presented.id_hash in claimed:
            _retry_or_spent(pending, claimed[pending.presented.id_hash])
        elif pending.receipt_hash in used_receipts:
            pending.refuse("receipt_reused")
        else:
            claimed[pending.presented.id_hash] = pending.spend_key
            used_receipts.add(pending.receipt_hash)
            to_spend.append(pending)
    return to_spend


def _retry_or_spent(pending: Pending, spend_key: str | None) -> None:
    """A spent token: this very ballot synced before (same receipt id), or spent elsewhere."""
    if keys.same(spend_key or "", pending.spend_key):
        pending.accept("already_accepted")
    else:
        pending.refuse("token_already_used")


def _verdict(record: Any, election: Election, channel: str, presented: Presented) -> str | None:
    """What the token's record says: ``None`` spendable, :data:`TEST`, :data:`SPENT`, or the
    refusal's code (the same checks as :func:`votesvc.voting.tokens.admit`, for a whole batch)."""
    if record is None:
        return "token_unknown"
    if record.election_id != election.id:
        return "token_wrong_election"
    if record.channel != channel:
        return "token_wrong_channel"
    is_test = record.status == TokenStatus.TEST.value
    if presented.claimed_test is not None and presented.claimed_test != is_test:
        return "token_test_mismatch"
    if is_test:
        return TEST
    if record.status == TokenStatus.VOID.value:
        return "token_void"
    if record.status == TokenStatus.SPENT.value:
        return SPENT
    return None


_SPEND_SYNCED = (
    Token.__table__.update()
    .where(Token.id_hash == bindparam("token_hash"), Token.status == TokenStatus.UNUSED.value)
    .values(
        status=TokenStatus.SPENT.value,
        spent_at=bindparam("hour", type_=UTCDateTime()),
        spend_key=bindparam("key"),
        mixed=false(),
    )
)
"""SQLite: one statement executed with every token's parameters."""

_SPENDS = recordset(Token.__table__, ("id_hash", "spend_key"), "batch", "batch")
_SPEND_SYNCED_PG = (
    Token.__table__.update()
    .where(Token.id_hash == _SPENDS.c.id_hash, Token.status == TokenStatus.UNUSED.value)
    .values(
        status=TokenStatus.SPENT.value,
        spent_at=bindparam("hour", type_=UTCDateTime()),
        spend_key=_SPENDS.c.spend_key,
        mixed=false(),
    )
)
"""PostgreSQL: one statement joining the batch's (hash, spend key) records, sent as one JSON
parameter (:func:`votesvc.services.bulk.recordset`), so the server plans once instead of
executing 500 single-row updates."""


def _spend_all(to_spend: Sequence[Pending], hour: datetime) -> int:
    """Spend the batch's tokens (still ``unused``, under this transaction's row locks), each
    with its own ``spend_key``; returns how many rows changed."""
    spends = [
        {"id_hash": p.presented.id_hash, "spend_key": p.spend_key} for p in to_spend if p.presented
    ]
    if not spends:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        parameters = {"batch": json_rows(spends), "hour": hour}
        return connection.execute(_SPEND_SYNCED_PG, parameters).rowcount
    rows = [{"token_hash": s["id_hash"], "key": s["spend_key"], "hour": hour} for s in spends]
    return connection.execute(_SPEND_SYNCED, rows).rowcount


def _quarantine(
    election: Election, booth: Booth, refused: Sequence[Pending], hour: datetime
) -> None:
    """Keep every refused ballot once (a retried sync adds nothing)."""
    if not refused:
        return
    rows = [
        {
            "entry_key": p.entry_key,
            "election_id": election.id,
            "booth_id": booth.id,
            "reason": p.outcome["reason"],
            "detail": p.outcome["detail"],
            "content": _as_sent(p.selections),
            "cast_at": keys.coarse(p.cast_at),
            "received_at": hour,
        }
        for p in refused
    ]
    # in a random order: the serial ids would otherwise keep each refused ballot's place in
    # the kiosk's queue, which staff could match with the voters they saw in line
    secrets.SystemRandom().shuffle(rows)
    insert_new(QuarantinedBallot, rows, ["entry_key"])


def sync(kiosk: Kiosk, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Settle a kiosk's queued ballots; one outcome per item, in order (see the module doc)."""
    with unit_of_work():
        election = fetch(Election, kiosk.election_id)
        booth = fetch(Booth, kiosk.booth_id)
        channel = booth_channel(booth.id)
        verifier = KioskVerifier(channel, keys.issuer().channel_keys(channel))
        contests = contests_of(election)
        now = keys.now()
        hour = keys.coarse(now)
        grace = timedelta(minutes=current_app.config["VOTESVC_SYNC_GRACE_MINUTES"])
        pendings = []
        for item in items:
            pending = Pending(
                ballot_id=item["id"],
                selections=item["selections"],
                cast_at=item["cast_at"],
            )
            _check_one(election, contests, verifier, item, pending, now, grace)
            pendings.append(pending)
        to_spend = _settle_against_records(election, channel, pendings)
        if _spend_all(to_spend, hour) != len(to_spend):
            raise Conflict("conflict")  # cannot happen under the row locks; never store half
        store_ballots(
            db.session.connection(),
            election.id,
            channel,
            [(p.receipt_hash, p.ballots) for p in to_spend],
        )
        for pending in to_spend:
            pending.accept()
        _quarantine(
            election, booth, [p for p in pendings if p.outcome["status"] == "refused"], hour
        )
    metrics.kiosk_settled([p.outcome for p in pendings])  # once committed
    return [{"id": p.ballot_id, **p.outcome} for p in pendings]


OTHER_PLACE = frozenset({"token_wrong_election", "token_wrong_channel"})
"""Refusals that say where a code was issued: a dry run answers a short code's as unknown."""


def check_code(kiosk: Kiosk, text: str) -> dict[str, Any]:
    """Whether a sync would accept a ballot of ``text`` cast now, answered without spending or
    storing anything: the staff panel's dry run of a code, online. The sync's own checks, in
    its order: the booth's :class:`KioskVerifier` (:func:`read_token`), the token's record
    (:func:`_verdict`), then the times of a ballot cast now (:func:`_time_refusal`).

    ``{"status": "test"}`` for a test code, ``{"status": "valid"}`` for an unspent code of
    this booth, else ``{"status": "refused", "reason": <code>}``. A spent code is
    ``token_already_used``: with no ballot there is no receipt id to recognise a retry by.
    """
    election = fetch(Election, kiosk.election_id)
    channel = booth_channel(kiosk.booth_id)
    verifier = KioskVerifier(channel, keys.issuer().channel_keys(channel))
    try:
        presented = read_token(text, election.id, channel, verifier)
    except DomainError as error:
        return {"status": "refused", "reason": error.code}
    verdict = _verdict(token_record(presented.id_hash), election, channel, presented)
    if presented.claimed_test is None and verdict in OTHER_PLACE:
        # a typed short code carries no signature: only the lookup knows its booth, and a
        # dry run that stores nothing must not tell a credential holder where a code exists
        verdict = "token_unknown"
    if verdict == TEST:
        return {"status": "test"}
    if verdict == SPENT:
        verdict = "token_already_used"
    if verdict is None:
        now = keys.now()
        grace = timedelta(minutes=current_app.config["VOTESVC_SYNC_GRACE_MINUTES"])
        verdict = _time_refusal(election, now, now, grace)
    return {"status": "refused", "reason": verdict} if verdict else {"status": "valid"}


def list_quarantine(election_id: int, booth_id: int | None = None) -> list[QuarantinedBallot]:
    election = fetch(Election, election_id)
    query = select(QuarantinedBallot).where(QuarantinedBallot.election_id == election.id)
    if booth_id is not None:
        query = query.where(QuarantinedBallot.booth_id == booth_id)
    order = (QuarantinedBallot.received_at, QuarantinedBallot.reason, QuarantinedBallot.id)
    return list(db.session.scalars(query.order_by(*order)))


EXPORT_FORMAT = "votesvc.kiosk-queue.v1"
MAX_SYNC_BATCH = 500
"""The largest batch a kiosk sends, and the size an uploaded export is settled in."""


def settle_export(election_id: int, booth_id: int, text: str) -> list[dict[str, Any]]:
    """An exported queue (a kiosk that never got online), settled through :func:`sync` in
    batches, exactly as if the kiosk had synced it: idempotent, refused ballots quarantined.

    The file is refused whole (nothing settled) unless it is well formed, names a kiosk of
    this election's booth, and its MAC under that kiosk's :func:`export_key` covers its whole
    body: an edited, truncated or other-kiosk file is ``kiosk_export_invalid``. docs/kiosk.md
    describes the format.
    """
    kiosk, ballots = _read_export(election_id, booth_id, text)
    results: list[dict[str, Any]] = []
    for start in range(0, len(ballots), MAX_SYNC_BATCH):
        results += sync(kiosk, ballots[start : start + MAX_SYNC_BATCH])
    return results


def _read_export(election_id: int, booth_id: int, text: str) -> tuple[Kiosk, list[Any]]:
    try:
        outer = json.loads(text)
        body_text, mac = outer["body"], outer["mac"]
        if outer.get("format") != EXPORT_FORMAT or not isinstance(body_text, str):
            raise ValueError("not a kiosk export")
        body = json.loads(body_text)
        kiosk = db.session.get(Kiosk, int(body["kiosk"]))
    except (ValueError, KeyError, TypeError) as error:
        raise Invalid("kiosk_export_invalid") from error
    if kiosk is None or kiosk.election_id != election_id or kiosk.booth_id != booth_id:
        raise Invalid("kiosk_export_invalid")
    expected = _b64(hmac.digest(export_key(kiosk), body_text.encode(), "sha256"))
    if not isinstance(mac, str) or not hmac.compare_digest(expected, mac):
        raise Invalid("kiosk_export_invalid")
    ballots = body.get("ballots")
    if not isinstance(ballots, list) or body.get("count") != len(ballots) or not ballots:
        raise Invalid("kiosk_export_invalid")
    errors = SyncBallotSchema(many=True).validate(ballots)
    if errors:
        raise Invalid("kiosk_export_invalid", fields={"ballots": errors})
    return kiosk, SyncBallotSchema(many=True).load(ballots)
