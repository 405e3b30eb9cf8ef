"""Voting tokens in the database: inserting them, reading a presented token, a batch's contest
restrictions, voiding one token, counts by status.

The table holds only keyed hashes of token ids (:func:`votesvc.services.keys.token_hash`). The
batches tokens are issued in (seeds, sheets, sealing) are :mod:`votesvc.services.batches`'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from votesvc.models import (
    Booth,
    Election,
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
from votesvc.voting.tokens import (
    ONLINE,
    TOKEN_ID_BYTES,
    IssuedRecord,
    KioskVerifier,
    TokenError,
    TokenSpent,
    TokenStatus,
    admit,
    booth_channel,
)

ISSUING_PHASES = (Phase.DRAFT.value, Phase.VOTING.value)
VOIDABLE = (TokenStatus.UNUSED.value, TokenStatus.TEST.value)


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
