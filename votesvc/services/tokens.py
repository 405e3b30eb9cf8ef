"""Voting tokens in the database: batches, reading a presented token, voiding, counts.

The table holds only keyed hashes of token ids (:func:`votesvc.services.keys.token_hash`).
Printed batches keep a random ``seed`` from which the server derives the batch's ids again to
print its sheets; sealing the batch after printing erases it, and from then on the ids exist
only on paper. Whoever holds the hash key *and* an unsealed batch's row can rebuild its tokens,
which is why sheets should be printed and the batch sealed before voting starts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from votesvc.models import (
    Booth,
    Contest,
    Election,
    Kiosk,
    Phase,
    Token,
    TokenBatch,
    TokenBatchContest,
)
from votesvc.models.base import db
from votesvc.services import audit, keys
from votesvc.services.common import fetch
from votesvc.services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from votesvc.services.transaction import unit_of_work
from votesvc.voting import shortcodes
from votesvc.voting.links import VotingPage
from votesvc.voting.sheets import render_sheets
from votesvc.voting.tokens import (
    ONLINE,
    TOKEN_ID_BYTES,
    IssuedRecord,
    IssuedToken,
    KioskVerifier,
    TokenClaims,
    TokenError,
    TokenSpent,
    TokenStatus,
    admit,
    booth_channel,
    hkdf_sha256,
    sign,
)

ISSUING_PHASES = (Phase.DRAFT.value, Phase.VOTING.value)
VOIDABLE = (TokenStatus.UNUSED.value, TokenStatus.TEST.value)
MAX_BATCH = 100_000
HTTP_SHEETS_MAX = 200
"""The largest batch whose sheets are rendered in a request (≈ 2 s of CPU)."""


def election_name(election_id: int) -> str:
    """The election's name inside tokens: its id (the payload allows 1-64 of [A-Za-z0-9_-])."""
    return str(election_id)


def refusal(error: TokenError | shortcodes.ShortCodeError) -> DomainError:
    """A token problem as the domain error the HTTP edge answers (one place for the mapping).

    A typo in a short code is the voter's input to fix (422); a spent token is a conflict with
    the stored state (409); anything else means "this is not a right to vote here" (403).
    """
    if isinstance(error, shortcodes.ShortCodeError):
        return Invalid(error.code, fields={"token": [str(error)]})
    if isinstance(error, TokenSpent):
        return Conflict(error.code)
    return Forbidden(error.code)


@dataclass(frozen=True, slots=True)
class Presented:
    """A token as presented: the hash of its id and, for a signed token, its test flag."""

    id_hash: str
    claimed_test: bool | None


def read_token(
    text: str, election_id: int, channel: str, verifier: KioskVerifier | None = None
) -> Presented:
    """A signed token (checked under ``channel``'s key) or a typed short code (checked by its
    check character); refused with the token's own code otherwise. No database access.

    A sync passes the booth's :class:`KioskVerifier`, whose keys are derived once per batch.
    """
    try:
        if "." in text:
            if verifier is None:
                claims = keys.issuer().verify(
                    text, expected_election=election_name(election_id), expected_channel=channel
                )
            else:
                claims = verifier.verify(text, expected_election=election_name(election_id))
            return Presented(keys.token_hash(claims.token_id), claims.test)
        return Presented(keys.token_hash(shortcodes.parse_code(text, TOKEN_ID_BYTES)), None)
    except (TokenError, shortcodes.ShortCodeError) as error:
        raise refusal(error) from error


def token_record(id_hash: str) -> Any:
    """The stored row of a presented token (``None`` if never issued): what a refusal, a
    retried cast or a contest restriction needs, read in one query."""
    return db.session.execute(
        select(
            Token.election_id, Token.channel, Token.status, Token.batch_id, Token.spend_key
        ).where(Token.id_hash == id_hash)
    ).first()


@dataclass(frozen=True, slots=True)
class RecordLedger:
    """:class:`votesvc.voting.tokens.TokenLedger` over one row already read by
    :func:`token_record`."""

    row: Any

    def record(self, id_hash: str) -> IssuedRecord | None:
        if self.row is None:
            return None
        return IssuedRecord(
            str(self.row.election_id), self.row.channel, TokenStatus(self.row.status)
        )


def admit_presented(
    presented: Presented, election: Election, channel: str, row: Any
) -> TokenStatus:
    """``UNUSED`` or ``TEST`` for a token the server issued for this election and channel;
    ``row`` is its :func:`token_record`."""
    try:
        return admit(
            RecordLedger(row),
            presented.id_hash,
            expected_election=election_name(election.id),
            expected_channel=channel,
            claimed_test=presented.claimed_test,
        )
    except TokenError as error:
        raise refusal(error) from error


def channel_of(booth: Booth | None) -> str:
    return ONLINE if booth is None else booth_channel(booth.id)


def ensure_issuing(election: Election) -> None:
    if election.phase not in ISSUING_PHASES:
        raise Conflict("election_not_open", phase=election.phase)


def booth_of(election: Election, booth_id: int | None) -> Booth | None:
    """The election's booth ``booth_id`` (None: online); another election's booth is 404."""
    if booth_id is None:
        return None
    booth = db.session.get(Booth, booth_id)
    if booth is None or booth.election_id != election.id:
        raise NotFound(resource="booth")
    return booth


def _derived_ids(seed: str, size: int) -> Iterator[bytes]:
    """The batch's token ids, again and again from the same seed (HKDF, one per index)."""
    key = keys.subkey(keys.Purpose.BATCH)
    salt = bytes.fromhex(seed)
    for index in range(size):
        yield hkdf_sha256(key, salt=salt, info=index.to_bytes(4, "big"), length=TOKEN_ID_BYTES)


def status_for(test: bool) -> str:
    return (TokenStatus.TEST if test else TokenStatus.UNUSED).value


def insert_tokens(
    election_id: int,
    channel: str,
    ids: Iterable[bytes],
    *,
    batch_id: int | None = None,
    test: bool = False,
    mixed: bool = True,
) -> None:
    """One multi-row INSERT of the hashes of ``ids``; ``mixed=False`` leaves them for the
    mixer (a token claimed in the same transaction as a voter's roll entry)."""
    rows = [
        {
            "id_hash": keys.token_hash(token_id),
            "election_id": election_id,
            "batch_id": batch_id,
            "channel": channel,
            "status": status_for(test),
            "mixed": mixed,
        }
        for token_id in ids
    ]
    db.session.execute(Token.__table__.insert(), rows)


def insert_batch_tokens(batch: TokenBatch, ids: Iterable[bytes]) -> None:
    insert_tokens(batch.election_id, batch.channel, ids, batch_id=batch.id, test=batch.test)


def new_batch(election: Election, booth: Booth | None, data: Mapping[str, Any]) -> TokenBatch:
    """A batch row; ``data["contests"]`` (contest codes, optional) restricts its tokens to
    those contests (see :class:`votesvc.models.TokenBatchContest`)."""
    batch = TokenBatch(
        election_id=election.id,
        booth_id=None if booth is None else booth.id,
        channel=channel_of(booth),
        size=data["size"],
        test=data.get("test", False),
        label=data.get("label", ""),
    )
    db.session.add(batch)
    db.session.flush()
    if data.get("contests"):
        _restrict(batch, election, data["contests"])
    return batch


def _restrict(batch: TokenBatch, election: Election, codes: Iterable[str]) -> None:
    by_code = {contest.code: contest.id for contest in election.contests}
    unknown = sorted(set(codes) - set(by_code))
    if unknown:
        message = f"Not contests of this election: {', '.join(unknown)}."
        raise Invalid("validation_failed", fields={"contests": [message]})
    batch.restricted = True
    db.session.add_all(
        TokenBatchContest(batch_id=batch.id, contest_id=by_code[code]) for code in set(codes)
    )


def batch_contests(batch: TokenBatch) -> list[str] | None:
    """The contest codes a restricted batch allows, in ballot order; ``None``: every contest."""
    if not batch.restricted:
        return None
    return list(
        db.session.scalars(
            select(Contest.code)
            .join(TokenBatchContest, TokenBatchContest.contest_id == Contest.id)
            .where(TokenBatchContest.batch_id == batch.id)
            .order_by(Contest.position)
        )
    )


def allowed_contests(batch_ids: Iterable[int | None]) -> dict[int, frozenset[int]]:
    """The contest ids each restricted batch among ``batch_ids`` allows (one query); batches
    that allow every contest are absent."""
    wanted = {batch_id for batch_id in batch_ids if batch_id is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(TokenBatch.id, TokenBatchContest.contest_id)
        .outerjoin(TokenBatchContest, TokenBatchContest.batch_id == TokenBatch.id)
        .where(TokenBatch.id.in_(wanted), TokenBatch.restricted)
    )
    found: dict[int, set[int]] = {}
    for batch_id, contest_id in rows:
        found.setdefault(batch_id, set()).update([contest_id] if contest_id is not None else [])
    return {batch_id: frozenset(ids) for batch_id, ids in found.items()}


def contests_allowed_at(election: Election, booth: Booth) -> list[str]:
    """The contests a booth's tokens may vote in, for its kiosks to present: every contest
    unless the booth's batches are restricted, then the ones they allow (all of a booth's
    batches allow the same contests: ``_ensure_one_ballot``; the server still checks each
    ballot against its own batch at sync)."""
    batch_ids = list(
        db.session.scalars(select(TokenBatch.id).where(TokenBatch.booth_id == booth.id))
    )
    restrictions = allowed_contests(batch_ids)
    codes = [contest.code for contest in election.contests]
    if not batch_ids or len(restrictions) < len(batch_ids):
        return codes
    allowed = frozenset().union(*restrictions.values())
    return [contest.code for contest in election.contests if contest.id in allowed]


def _ensure_one_ballot(election: Election, booth: Booth, codes: Iterable[str] | None) -> None:
    """Refuse a booth batch that would allow other contests than the booth's ballot.

    A token does not say which batch it came from, so a kiosk shows one ballot to every voter
    of its booth (``contests_allowed_at``, given to the kiosk when it is provisioned). A batch
    allowing fewer contests would have its voters' ballots refused at sync, after they left;
    one allowing more would never be offered them. So a booth's first batch, or its first
    kiosk (every contest), fixes the booth's ballot, and later batches must match it.
    """
    started = db.session.scalar(
        select(func.count(TokenBatch.id)).where(TokenBatch.booth_id == booth.id)
    ) or db.session.scalar(select(func.count(Kiosk.id)).where(Kiosk.booth_id == booth.id))
    if not started:
        return
    present = contests_allowed_at(election, booth)
    chosen = set(codes or ())
    wanted = {c.code for c in election.contests if not chosen or c.code in chosen}
    if wanted != set(present):
        raise Conflict("booth_contests_differ", booth=booth.id, contests=", ".join(present))


def issue_batch(election_id: int, data: Mapping[str, Any]) -> TokenBatch:
    """Issue ``size`` tokens for a booth (``booth_id``) or online, printable until sealed."""
    with unit_of_work():
        election = fetch(Election, election_id)
        ensure_issuing(election)
        booth = booth_of(election, data.get("booth_id"))
        if booth is not None:
            _ensure_one_ballot(election, booth, data.get("contests"))
        batch = new_batch(election, booth, data)
        batch.seed = secrets.token_hex(32)
        insert_batch_tokens(batch, _derived_ids(batch.seed, batch.size))
        audit.record(
            "tokens.issued",
            election.id,
            {"batch": batch.id, "size": batch.size, "contests": data.get("contests")},
        )
    return batch


def get_batch(election_id: int, batch_id: int) -> TokenBatch:
    batch = db.session.get(TokenBatch, batch_id)
    if batch is None or batch.election_id != election_id:
        raise NotFound(resource="token_batch")
    return batch


def _ensure_unsealed(batch: TokenBatch) -> None:
    if batch.seed is None:
        raise Conflict("batch_sealed")


def batch_tokens(batch: TokenBatch) -> list[IssuedToken]:
    """The batch's tokens, signed, for printing; refused once the batch is sealed."""
    _ensure_unsealed(batch)
    election = election_name(batch.election_id)
    channel_keys = keys.issuer().channel_keys(batch.channel)
    issued = []
    for token_id in _derived_ids(batch.seed, batch.size):
        claims = TokenClaims(election, batch.channel, token_id, batch.test)
        issued.append(
            IssuedToken(claims, sign(claims, channel_keys), shortcodes.format_code(token_id))
        )
    return issued


def batch_sheets(batch: TokenBatch, *, most: int | None = None) -> bytes:
    """The printable PDF of an unsealed batch; refused (``batch_too_large_to_print``) above
    ``most`` tokens.

    Rendering costs about 10 ms a token (segno's QR encoding), all of it inside the call:
    the HTTP endpoint passes :data:`HTTP_SHEETS_MAX` so a request stays within a couple of
    seconds and a proxy's timeout, and the refusal names the CLI (``votesvc print-tokens``),
    which prints any size. Not a background job like counts: a sheet is a stack of live
    bearer credentials, and a job would have to store the PDF until it was fetched.
    """
    _ensure_unsealed(batch)  # before the size: the CLI could not print a sealed batch either
    if most is not None and batch.size > most:
        raise Conflict("batch_too_large_to_print", size=batch.size, most=most, batch=batch.id)
    election = fetch(Election, batch.election_id)
    booth = fetch(Booth, batch.booth_id) if batch.booth_id is not None else None
    place = "온라인 / Online" if booth is None else (booth.name_ko or booth.name_en)
    return render_sheets(
        batch_tokens(batch),
        election_name=election.name_ko or election.name_en,
        booth_name=place,
        voting_page=voting_page(election.id) if booth is None else None,
    )


def voting_page(election_id: int) -> VotingPage:
    """The election's voting page under ``VOTESVC_PUBLIC_URL``; refused
    (``public_url_unset``) when production has none, rather than print wrong links."""
    public_url = current_app.config["VOTESVC_PUBLIC_URL"]
    if not public_url:
        raise Conflict("public_url_unset")
    return VotingPage(public_url, election_id)


def seal_batch(election_id: int, batch_id: int) -> TokenBatch:
    """Erase the batch's seed: its tokens can no longer be printed, or rebuilt by anyone."""
    with unit_of_work():
        batch = get_batch(election_id, batch_id)
        if batch.seed is not None:
            batch.seed = None
            batch.sealed_at = keys.now()
            audit.record("tokens.sealed", election_id, {"batch": batch.id})
    return batch


def void_token(election_id: int, code: str) -> None:
    """Void one unused (or test) token of the election, named by its short code."""
    with unit_of_work():
        election = fetch(Election, election_id)
        try:
            id_hash = keys.token_hash(shortcodes.parse_code(code, TOKEN_ID_BYTES))
        except shortcodes.ShortCodeError as error:
            raise refusal(error) from error
        voided = db.session.execute(
            update(Token)
            .where(
                Token.id_hash == id_hash,
                Token.election_id == election.id,
                Token.status.in_(VOIDABLE),
            )
            .values(status=TokenStatus.VOID.value)
            .execution_options(synchronize_session=False)
        ).rowcount
        if voided == 0:
            status = db.session.scalar(
                select(Token.status).where(
                    Token.id_hash == id_hash, Token.election_id == election.id
                )
            )
            if status is None:
                raise NotFound("token_unknown")
            raise Conflict("token_not_voidable", status=status)
        audit.record("tokens.voided", election.id, {"voided": 1})


def void_batch(election_id: int, batch_id: int) -> int:
    """Void every token of the batch not yet spent; returns how many were voided."""
    with unit_of_work():
        batch = get_batch(election_id, batch_id)
        voided = db.session.execute(
            update(Token)
            .where(Token.batch_id == batch.id, Token.status.in_(VOIDABLE))
            .values(status=TokenStatus.VOID.value)
            .execution_options(synchronize_session=False)
        ).rowcount
        audit.record("tokens.voided", election_id, {"batch": batch.id, "voided": voided})
        return voided


def _status_counts(*conditions: Any) -> dict[str, dict[str, int]]:
    """Tokens per channel and status, every status present (zero when none)."""
    rows = db.session.execute(
        select(Token.channel, Token.status, func.count())
        .where(*conditions)
        .group_by(Token.channel, Token.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for channel, status, number in rows:
        counts.setdefault(channel, dict.fromkeys(TokenStatus, 0))[status] = number
    return counts


def batch_counts(batch: TokenBatch) -> dict[str, int]:
    return _status_counts(Token.batch_id == batch.id).get(
        batch.channel, dict.fromkeys(TokenStatus, 0)
    )


def participation(election_id: int) -> list[dict[str, Any]]:
    """Per channel (online, then each booth): tokens issued, spent, unused and void, and test
    tokens apart. Only token counts: no contest's ballots before publication."""
    election = fetch(Election, election_id)
    counts = _status_counts(Token.election_id == election.id)
    channels = [(ONLINE, None)] + [(booth_channel(b.id), b) for b in election.booths]
    report = []
    for channel, booth in channels:
        by_status = counts.get(channel, dict.fromkeys(TokenStatus, 0))
        real = (TokenStatus.UNUSED, TokenStatus.SPENT, TokenStatus.VOID)
        report.append(
            {
                "channel": channel,
                "booth_id": None if booth is None else booth.id,
                "booth_code": None if booth is None else booth.code,
                "issued": sum(by_status[s] for s in real),
                **{status.value: by_status[status] for status in TokenStatus},
            }
        )
    return report


def list_batches(election_id: int) -> list[TokenBatch]:
    election = fetch(Election, election_id)
    return list(
        db.session.scalars(
            select(TokenBatch).where(TokenBatch.election_id == election.id).order_by(TokenBatch.id)
        )
    )
