"""Casting: validate a voter's selections, spend the token once, store the ballots, give a receipt.

**One spend, one transaction.** The token is spent by ``UPDATE token SET status = 'spent'
WHERE id_hash = ? AND status = 'unused' AND ...`` (the same statement checks that the token is
this election's, online, that its batch, if restricted to some contests, allows every contest
voted, and that the election is voting inside its window); the receipt and the ballots are
inserted in the same transaction. On PostgreSQL the three are one statement (the UPDATE and
the receipt's INSERT as data-modifying CTEs of the ballots' INSERT, see
:func:`spend_and_store`). On PostgreSQL concurrent spends queue on the
row lock and the losers re-read the row at READ COMMITTED, so exactly one wins
(``tests/pg/test_casting_pg.py`` races 50 threads). The selections are validated before, in
memory (:mod:`votesvc.services.selections`), so the usual cast reads nothing from the
database; only when the UPDATE changes no row is the token's record read, once
(:func:`votesvc.services.tokens.token_record`), to say why.

**What is stored.** One :class:`~votesvc.models.Ballot` per contest with canonical
content, the channel, the hour, and the hash of a fresh receipt code; nothing about the token.
A replayed token answers ``token_already_used`` and nothing else: the answer never depends on
what was voted.

**Test tokens** (status ``test``) run the whole path (signature, election, validation) for a
dry run before the booth opens, also in the draft phase, and answer ``test: true`` with no
receipt; they are never spent and nothing is stored, so a test sheet can be used again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Integer,
    String,
    Text,
    Update,
    any_,
    bindparam,
    false,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy import cast as sql_cast  # this module's cast() is the use case

from votesvc.i18n import N_
from votesvc.i18n.times import local
from votesvc.models import (
    Ballot,
    Contest,
    Election,
    Phase,
    Receipt,
    Token,
    TokenBatch,
    TokenBatchContest,
    UTCDateTime,
)
from votesvc.models.base import db
from votesvc.services import keys, metrics
from votesvc.services.bulk import insert_rows, json_rows, recordset
from votesvc.services.common import fetch
from votesvc.services.errors import Conflict, Forbidden, Invalid, NotFound
from votesvc.services.publication import receipt_counted
from votesvc.services.selections import ContestBallot, check_selections, known_contests
from votesvc.services.tokens import (
    admit_presented,
    allowed_contests,
    read_token,
    token_record,
)
from votesvc.services.transaction import DriverStatement, autocommit, core_transaction
from votesvc.voting import shortcodes
from votesvc.voting.tokens import ONLINE, TokenStatus

TEST_PHASES = (Phase.DRAFT.value, Phase.VOTING.value)


@dataclass(frozen=True, slots=True)
class CastResult:
    receipt: str | None
    test: bool
    contests: tuple[str, ...]


def ensure_open(election: Election, moment: datetime, *, test: bool) -> None:
    """Counted ballots need the voting phase and a moment inside the voting window; a dry run
    with a test token also works before voting starts."""
    if test:
        if election.phase not in TEST_PHASES:
            raise Conflict("election_not_open", phase=election.phase)
        return
    if election.phase != Phase.VOTING.value or not (
        election.starts_at <= moment < election.ends_at
    ):
        raise Conflict("election_not_open", phase=election.phase)


def store_ballots(
    connection: Connection,
    election_id: int,
    channel: str,
    casts: Sequence[tuple[str, Sequence[ContestBallot]]],
) -> None:
    """Insert receipts (by their hash) and their ballots in ``connection``'s transaction: two
    statements whatever the number of casts (a kiosk sync stores hundreds at once; see
    :func:`votesvc.services.bulk.insert_rows`). Coarse times only."""
    if not casts:
        return
    hour = keys.coarse(keys.now())
    receipts, ballots = [], []
    for code_hash, contest_ballots in casts:
        receipts.append({"code_hash": code_hash})
        ballots.extend(
            {
                "id": keys.new_ballot_id(),
                "contest_id": ballot.contest_id,
                "content": ballot.content,
                "receipt_hash": code_hash,
            }
            for ballot in contest_ballots
        )
    insert_rows(connection, Receipt.__table__, receipts, election_id=election_id, recorded_at=hour)
    insert_rows(
        connection,
        Ballot.__table__,
        ballots,
        election_id=election_id,
        channel=channel,
        cast_at=hour,
    )


def _spend_online(voted_among: Callable[[Any], ColumnElement[bool]]) -> Update:
    """The conditional spend; ``voted_among(column)`` says that ``column`` is one of the voted
    contest ids (an ``IN`` list on SQLite, ``= ANY(array)`` on PostgreSQL, which needs no
    rendering of the list on each execution)."""
    return (
        Token.__table__.update()
        .where(
            Token.id_hash == bindparam("token_hash"),
            Token.status == TokenStatus.UNUSED.value,
            Token.election_id == bindparam("election"),
            Token.channel == ONLINE,
            select(Election.id)
            .where(
                Election.id == bindparam("election"),
                Election.phase == Phase.VOTING.value,
                Election.starts_at <= bindparam("now", type_=UTCDateTime()),
                Election.ends_at > bindparam("now", type_=UTCDateTime()),
            )
            .exists(),
            ~select(TokenBatch.id)
            .where(
                TokenBatch.id == Token.batch_id,
                TokenBatch.restricted,
                select(func.count())
                .where(
                    TokenBatchContest.batch_id == TokenBatch.id,
                    voted_among(TokenBatchContest.contest_id),
                )
                .scalar_subquery()
                < bindparam("voted_count"),
            )
            .exists(),
        )
        .values(
            status=TokenStatus.SPENT.value,
            spent_at=bindparam("spend_hour", type_=UTCDateTime()),
            spend_key=bindparam("spend_key"),
            mixed=false(),
        )
    )


_SPEND_ONLINE = _spend_online(lambda column: column.in_(bindparam("voted", expanding=True)))
"""Built once: a Core statement with bound parameters costs the request nothing to construct.
The hot statements run on a plain connection (:func:`cast`), which skips the ORM's
bulk-update bookkeeping that a plain table statement does not need."""


_SPENT = (
    _spend_online(
        lambda column: column == any_(sql_cast(bindparam("voted", type_=Text()), ARRAY(Integer())))
    )
    .returning(Token.id)
    .cte("spent")
)
_RECEIPT = (
    insert(Receipt)
    .from_select(
        ["code_hash", "election_id", "recorded_at"],
        select(
            bindparam("receipt_hash", type_=String()),
            bindparam("election", type_=Integer()),
            bindparam("spend_hour", type_=UTCDateTime()),
        ).select_from(_SPENT),
    )
    .returning(Receipt.code_hash)
    .cte("receipt")
)
_CAST_BALLOTS = recordset(
    Ballot.__table__, ("id", "contest_id", "content"), "ballots", "cast_ballots"
)
_CAST_ONLINE_PG = DriverStatement(
    insert(Ballot)
    .from_select(
        ["id", "election_id", "contest_id", "channel", "content", "cast_at", "receipt_hash"],
        select(
            _CAST_BALLOTS.c.id,
            bindparam("election", type_=Integer()),
            _CAST_BALLOTS.c.contest_id,
            literal(ONLINE),
            _CAST_BALLOTS.c.content,
            bindparam("spend_hour", type_=UTCDateTime()),
            _RECEIPT.c.code_hash,
        ).select_from(_RECEIPT.join(_CAST_BALLOTS, true())),
    )
    .add_cte(_SPENT, _RECEIPT)
)
"""PostgreSQL: the spend, the receipt and the ballots as one statement (data-modifying CTEs):
the receipt is inserted only from the row the UPDATE returned, the ballots only from that
receipt, so nothing is stored unless this statement spent the token. Two statements and two
round trips fewer than the SQLite path; the spend's conditions come from
the same builder (:func:`_spend_online`). Compiled once and run as the driver's SQL
(:class:`~votesvc.services.transaction.DriverStatement`)."""


def int_array_text(values: Sequence[int]) -> str:
    """PostgreSQL's text form of an integer array (``{3,5}``), cast to ``integer[]`` by the
    statement: psycopg sends a string as it is, where a Python list costs it a dumper looked
    up and built for each execution and each element dumped (about 3 % of a cast's CPU)."""
    return "{" + ",".join(str(value) for value in values) + "}"


def spend_and_store(
    id_hash: str,
    election_id: int,
    now: datetime,
    ballots: Sequence[ContestBallot],
    receipt: CastReceipt,
) -> bool:
    """Spend the token and store the receipt and the ballots, all committed together, or
    change nothing; True when this call spent it: an unused online token of this election
    whose batch (if restricted) allows every contest voted, while the election is voting and
    inside its window. The usual case reads nothing before it. On PostgreSQL that is one
    statement, committed as it runs (:func:`~votesvc.services.transaction.autocommit`: one
    round trip); elsewhere two, in a transaction of their own."""
    voted = sorted({ballot.contest_id for ballot in ballots})
    parameters = {
        "token_hash": id_hash,
        "election": election_id,
        "now": now,
        "spend_hour": keys.coarse(now),
        "voted": voted,
        "voted_count": len(voted),
        "receipt_hash": receipt.code_hash,
        "spend_key": receipt.spend_key,
    }
    if db.engine.dialect.name == "postgresql":
        parameters["voted"] = int_array_text(voted)
        parameters["ballots"] = json_rows(
            {"id": keys.new_ballot_id(), "contest_id": b.contest_id, "content": b.content}
            for b in ballots
        )
        with autocommit() as connection:
            return _CAST_ONLINE_PG.execute(connection, parameters).rowcount > 0
    with core_transaction() as connection:
        if connection.execute(_SPEND_ONLINE, parameters).rowcount != 1:
            return False
        store_ballots(connection, election_id, ONLINE, [(receipt.code_hash, ballots)])
        return True


def not_allowed(
    allowed: frozenset[int] | None, ballots: Sequence[ContestBallot]
) -> Forbidden | None:
    """``token_contest_not_allowed`` naming each voted contest outside a restricted batch's
    ``allowed`` contest ids; ``None`` when the batch allows every contest voted."""
    if allowed is None:
        return None
    outside = [ballot.code for ballot in ballots if ballot.contest_id not in allowed]
    if not outside:
        return None
    problem = [N_("This voting code does not allow a vote in this contest.")]
    return Forbidden(
        "token_contest_not_allowed", fields={"selections": {code: problem for code in outside}}
    )


@dataclass(frozen=True, slots=True)
class CastReceipt:
    """A cast's receipt code, its stored hash, and the token's ``spend_key`` (set only when
    the client named its cast, so that a retry can be recognised; see :func:`cast`)."""

    code: str
    code_hash: str
    spend_key: str | None


def receipt_for(
    election_id: int, id_hash: str, cast_id: str | None, ballots: Sequence[ContestBallot]
) -> CastReceipt:
    """A fresh random receipt, or the one a named cast always gets (:func:`keys.cast_receipt`)."""
    if cast_id is None:
        code, code_hash = keys.new_receipt()
        return CastReceipt(code, code_hash, None)
    content = "|".join(f"{ballot.code}={ballot.content}" for ballot in ballots)
    bits = keys.cast_receipt(election_id, id_hash, cast_id, content)
    return CastReceipt(
        shortcodes.format_code(bits),
        keys.keyed(keys.Purpose.RECEIPT, bits),
        keys.keyed(keys.Purpose.SPEND, bits),
    )


def cast(
    election_id: int,
    token_text: str,
    selections: Mapping[str, Mapping[str, Any]],
    cast_id: str | None = None,
) -> CastResult:
    """Cast an online ballot (see the module docstring).

    The usual case is the signature check and the validation in memory, then one transaction:
    the spend, the receipt, the ballots, Core statements outside the ORM session
    (:func:`spend_and_store`; they need none of the session's state, which holds at most the
    election read by :func:`known_contests`). Only when the
    spend does not happen is the token's record read, once, to say precisely why (or to run a
    test token's dry run).

    **Retries.** A client that names its cast (``cast_id``) gets a receipt derived from the
    token, the id and the ballots, and the token keeps ``spend_key``, a keyed hash of that
    receipt, as a kiosk's sync does (:mod:`votesvc.services.kiosks`). The same cast sent again
    after a lost answer finds its token spent with that very key and answers the same receipt;
    nothing is stored twice, since the token is spent once. The same id with other selections
    derives another receipt, so it is refused as any spent token is.
    """
    contests = known_contests(election_id)
    presented = read_token(token_text, election_id, ONLINE)
    ballots = check_selections(contests, selections)
    codes = tuple(ballot.code for ballot in ballots)
    now = keys.now()
    receipt = receipt_for(election_id, presented.id_hash, cast_id, ballots)
    if not presented.claimed_test and spend_and_store(
        presented.id_hash, election_id, now, ballots, receipt
    ):
        metrics.CAST_ACCEPTED.inc()
        return CastResult(receipt.code, False, codes)
    election = fetch(Election, election_id)
    record = token_record(presented.id_hash)
    if _retried(record, election, receipt):
        metrics.CAST_RETRIED.inc()
        return CastResult(receipt.code, False, codes)
    status = admit_presented(presented, election, ONLINE, record)
    refusal = not_allowed(allowed_contests([record.batch_id]).get(record.batch_id), ballots)
    if refusal is not None:
        raise refusal
    ensure_open(election, now, test=status is TokenStatus.TEST)
    if status is TokenStatus.TEST:
        metrics.CAST_TEST.inc()
        return CastResult(None, True, codes)
    # Unused, online, this election, voting and open, yet not spent: it changed under us
    # between the UPDATE and the read, and only spending changes an unused token.
    raise Conflict("token_already_used")


def _retried(record: Any, election: Election, receipt: CastReceipt) -> bool:
    """Whether this token was spent by this very cast before (its answer was lost)."""
    return (
        receipt.spend_key is not None
        and record is not None
        and record.election_id == election.id
        and record.status == TokenStatus.SPENT.value
        and keys.same(record.spend_key or "", receipt.spend_key)
    )


def check_receipt(election_id: int, code: str) -> dict[str, Any]:
    """What a receipt proves: that ballots were recorded in these contests, at that hour.

    Never the ballots' content: a receipt a voter could show would let a buyer check the vote.
    """
    election = fetch(Election, election_id)
    try:
        code_hash = keys.receipt_hash(code)
    except ValueError as error:
        raise Invalid("receipt_malformed", fields={"code": [str(error)]}) from error
    receipt = db.session.get(Receipt, code_hash)
    if receipt is None or receipt.election_id != election.id:
        raise NotFound("receipt_unknown")
    contests = db.session.scalars(
        select(Contest.code)
        .join(Ballot, Ballot.contest_id == Contest.id)
        .where(Ballot.receipt_hash == code_hash)
        .order_by(Contest.position)
    )
    counted = receipt_counted(election.id)
    return {
        "recorded": True,
        "recorded_at": local(receipt.recorded_at, election.timezone),
        "contests": list(contests),
        "counted": counted,
    }
