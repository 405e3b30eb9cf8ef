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
memory, so the usual cast reads nothing from the database; only when the UPDATE changes no row
is the token's record read (:func:`votesvc.services.tokens.admit_presented`) to say why.

**What is stored.** One :class:`~votesvc.models.Ballot` per contest with canonical
content, the channel, the hour, and the hash of a fresh receipt code; nothing about the token.
A replayed token answers ``token_already_used`` and nothing else: the answer never depends on
what was voted.

**Test tokens** (status ``test``) run the whole path (signature, election, validation) for a
dry run before the booth opens, also in the draft phase, and answer ``test: true`` with no
receipt; they are never spent and nothing is stored, so a test sheet can be used again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
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
from votesvc.services import keys
from votesvc.services.bulk import insert_rows, json_rows, recordset
from votesvc.services.common import fetch
from votesvc.services.contests import core_contest
from votesvc.services.counting import ranking
from votesvc.services.errors import Conflict, Forbidden, Invalid, NotFound
from votesvc.services.publication import receipt_counted
from votesvc.services.tokens import (
    admit_presented,
    allowed_contests,
    read_token,
    token_record,
)
from votesvc.services.transaction import core_transaction
from votesvc.tally import model as core
from votesvc.tally.catalog import RANKED_RULES
from votesvc.tally.options import rule_set_of
from votesvc.tally.ranked.validation import validate_ranking
from votesvc.tally.validation import Problem, validate_ballot
from votesvc.voting import shortcodes
from votesvc.voting.tokens import ONLINE, TokenStatus

TEST_PHASES = (Phase.DRAFT.value, Phase.VOTING.value)


@dataclass(frozen=True, slots=True)
class ContestBallot:
    """A checked selection, ready to store: the contest's row id and canonical content."""

    contest_id: int
    code: str
    content: str


@dataclass(frozen=True, slots=True)
class CastResult:
    receipt: str | None
    test: bool
    contests: tuple[str, ...]


Mark = str | None | list[str]
"""One entry of ``choices``: an agenda code; in a ranked contest also ``None`` (a skipped
rank) or a list of codes (an overvote: several agendas at one rank)."""


def canonical_content(contest: core.Contest, choices: Sequence[Mark], points: Sequence[int]) -> str:
    """The stored form of a valid selection: rank order for ordinal ballots, otherwise choices
    sorted by id (points kept beside their agenda), as the counting core aggregates them; JSON
    with sorted keys and no spaces, so identical ballots are identical strings. In a ranked
    ballot an overvote's codes are sorted, and skipped ranks after the last marked one are
    dropped: RCTab reads them as the end of the ballot either way."""
    if contest.ballot_type is core.BallotType.ORDINAL:
        marks = [sorted(mark) if isinstance(mark, list) else mark for mark in choices]
        while marks and marks[-1] is None:
            marks.pop()
        return _CANONICAL_JSON.encode({"choices": marks})
    pairs = list(zip(choices, points or [None] * len(choices), strict=True))
    pairs.sort(key=lambda pair: pair[0])
    content: dict[str, Any] = {"choices": [choice for choice, _ in pairs]}
    if points:
        content["points"] = [value for _, value in pairs]
    return _CANONICAL_JSON.encode(content)


def _problems(contest: core.Contest, choices: Sequence[Mark], points: Sequence[int]) -> list[str]:
    """Every problem with one contest's selection. A ranked contest (``irv``, ``stv``,
    ``block``) takes skipped ranks, and overvotes where its rule set has an overvote rule
    (``rctab``), so that the count's skipped-rank and overvote options apply to cast ballots
    exactly; every other contest takes agenda codes only."""
    rule = contest.meta.get("rule")
    if rule in RANKED_RULES:
        found = validate_ranking(
            ranking(choices),
            contest.by_id,
            max_rankings=contest.rules.max_length,
            min_marked=contest.rules.min_length,
            overvotes=rule_set_of(contest.meta) == "rctab",
        )
        if points:
            found.append(Problem("unexpected_points", "ordinal ballots carry no points."))
        return [problem.message for problem in found]
    if not all(isinstance(choice, str) for choice in choices):
        return [
            "Only agenda codes can be marked here: a skipped rank (null) or several agendas at"
            " one rank (a list) can be cast only in ranked contests (irv, stv, block)."
        ]
    return [problem.message for problem in validate_ballot(contest, choices, points)]


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""Built once: ``json.dumps`` with options builds an encoder per call (every ballot)."""


ContestMap = dict[str, tuple[int, core.Contest]]
"""Each contest's code → (its row id, the counting core's Contest)."""


def _contest_cache() -> dict[int, ContestMap]:
    return current_app.extensions.setdefault("votesvc.contests", {})


def contests_of(election: Election) -> ContestMap:
    """The election's contests for validation. Rules are frozen once voting starts and phases
    only move forward, so once an election has left the draft phase its mapping is built once
    per app and reused without reading the election again (:func:`known_contests`)."""
    cache = _contest_cache()
    if election.id in cache:
        return cache[election.id]
    mapping = {contest.code: (contest.id, core_contest(contest)) for contest in election.contests}
    if election.phase != Phase.DRAFT.value:
        cache[election.id] = mapping
    return mapping


def known_contests(election_id: int) -> ContestMap:
    """The election's contests for :func:`cast`, from the cache when they are there. On a miss
    the election is read through the session, whose transaction then ends: the cast's own
    (:func:`~votesvc.services.transaction.core_transaction`) takes another pool connection,
    and one request should never hold two. The map holds no ORM objects."""
    cached = _contest_cache().get(election_id)
    if cached is not None:
        return cached
    mapping = contests_of(fetch(Election, election_id))
    db.session.close()
    return mapping


def check_selections(
    contests: ContestMap, selections: Mapping[str, Mapping[str, Any]]
) -> list[ContestBallot]:
    """The ballots to store, or ``ballot_invalid`` listing every problem of every contest.

    ``selections`` maps contest codes to ``{"choices": [...], "points": [...]}``; a contest
    left out is an abstention, but at least one contest must be voted.
    """
    problems: dict[str, list[str]] = {}
    ballots = []
    for code, selection in selections.items():
        if code not in contests:
            problems[code] = ["Not a contest of this election."]
            continue
        contest_id, contest = contests[code]
        choices, points = selection.get("choices", []), selection.get("points", [])
        found = _problems(contest, choices, points)
        if found:
            problems[code] = found
        else:
            content = canonical_content(contest, choices, points)
            ballots.append(ContestBallot(contest_id, code, content))
    if not selections:
        raise Invalid("ballot_invalid", fields={"selections": ["Vote in at least one contest."]})
    if problems:
        raise Invalid("ballot_invalid", fields={"selections": problems})
    return ballots


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
_CAST_ONLINE_PG = (
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
    .execution_options(preserve_rowcount=True)  # kept for UPDATE/DELETE only by default
)
"""PostgreSQL: the spend, the receipt and the ballots as one statement (data-modifying CTEs):
the receipt is inserted only from the row the UPDATE returned, the ballots only from that
receipt, so nothing is stored unless this statement spent the token. Two statements and two
round trips fewer than the SQLite path; the spend's conditions come from
the same builder (:func:`_spend_online`)."""


def int_array_text(values: Sequence[int]) -> str:
    """PostgreSQL's text form of an integer array (``{3,5}``), cast to ``integer[]`` by the
    statement: psycopg sends a string as it is, where a Python list costs it a dumper looked
    up and built for each execution and each element dumped (about 3 % of a cast's CPU)."""
    return "{" + ",".join(str(value) for value in values) + "}"


def spend_and_store(
    connection: Connection,
    id_hash: str,
    election_id: int,
    now: datetime,
    ballots: Sequence[ContestBallot],
    receipt: CastReceipt,
) -> bool:
    """Spend the token and store the receipt and the ballots in ``connection``'s transaction,
    or change nothing; True when this call spent it: an unused online token of this election
    whose batch (if restricted) allows every contest voted, while the election is voting and
    inside its window. The usual case reads nothing before it."""
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
    if connection.dialect.name == "postgresql":
        parameters["voted"] = int_array_text(voted)
        parameters["ballots"] = json_rows(
            {"id": keys.new_ballot_id(), "contest_id": b.contest_id, "content": b.content}
            for b in ballots
        )
        return connection.execute(_CAST_ONLINE_PG, parameters).rowcount > 0
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
    problem = ["This voting code does not allow a vote in this contest."]
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
    (:func:`~votesvc.services.transaction.core_transaction`; they need none of the session's
    state, which holds at most the election read by :func:`known_contests`). Only when the
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
    if not presented.claimed_test:
        with core_transaction() as connection:
            spent = spend_and_store(
                connection, presented.id_hash, election_id, now, ballots, receipt
            )
        if spent:
            return CastResult(receipt.code, False, codes)
    election = fetch(Election, election_id)
    record = token_record(presented.id_hash)
    if _retried(record, election, receipt):
        return CastResult(receipt.code, False, codes)
    status = admit_presented(presented, election, ONLINE, record)
    refusal = not_allowed(allowed_contests([record.batch_id]).get(record.batch_id), ballots)
    if refusal is not None:
        raise refusal
    ensure_open(election, now, test=status is TokenStatus.TEST)
    if status is TokenStatus.TEST:
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
        "recorded_at": receipt.recorded_at,
        "contests": list(contests),
        "counted": counted,
    }
