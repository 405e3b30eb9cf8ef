"""Secrecy mixing: rewrite recent ballots and the rows written beside them, apart and shuffled.

**Why.** No column links a ballot to its token, but the database itself does: an online cast
spends the token and inserts the receipt and the ballots in one transaction, so on PostgreSQL
the rows share the system column ``xmin`` (and its order is the cast order); a kiosk sync
appends tokens and ballots in the same physical order (``ctid``, SQLite's ``rowid``, and the
order ``pg_dump`` writes); a claim from the voter roll writes the roll entry and its new token
in one transaction. Someone holding the database could join on any of these.

**What the mixer does.** Every ``VOTESVC_MIX_INTERVAL_SECONDS`` (default 300) a pass

1. takes every ballot not yet mixed (``ballot.mixed = 0``) with its receipts, deletes them and
   inserts them again in a random order, in a transaction of its own: the rows get the mixer's
   ``xmin``, new physical places in random order, and nothing of the cast transaction;
2. does the same, in that transaction, for the ballots of every hour that has ended
   (``mixed < 2``), all together: the anonymity set of a ballot becomes its hour, which is
   what the stored hour stamps (``cast_at``, ``spent_at``) already say, instead of its mixing
   interval;
3. updates, each in a transaction of its own, the tokens spent or claimed and the roll entries
   issued since the last pass, so they too lose the ``xmin`` of the cast or the claim.

Ballots and receipts are never updated after they are written, so deleting and inserting them
again is safe beside any concurrent cast, sync, count or receipt check (each statement sees
either the old rows or the new ones). Tokens are updated instead (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL): a concurrent spend waits for the row and then spends its new version, which a
deleted and re-inserted row would not allow. Token and roll rows keep their physical place;
with the ballot side shuffled, their order (which follows the printed cards or the roll file)
leads to no ballot.

Closing and counting mix a whole election at once (:func:`mix_election`), so a published
election, and any dump of it taken after the count, has no pool finer than the election's hours.
On PostgreSQL an advisory lock keeps two nodes from mixing at the same moment.

**What stays out of reach** (docs/voting.md, "Secrecy against the database"): until a
ballot's pass, an insider reading the live database sees which token cast it; until its hour
has ended and one pass has run, which mixing interval it came in. The write-ahead log, WAL
archives and replicas' WAL, statement logs (``log_statement``), and deleted row versions left in
the data files until VACUUM reuses their space hold the casts as they happened: an operator
keeps WAL archives as secret as the keys and turns statement logging off.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from votesvc.models import Ballot, Receipt, Token, VoterRollEntry
from votesvc.models.base import db
from votesvc.services import keys

log = logging.getLogger(__name__)

FRESH, INTERVAL, HOUR = 0, 1, 2
"""``ballot.mixed``: as cast, mixed with its interval's ballots, mixed with its hour's."""
ADVISORY_LOCK = 0x766F7465  # "vote": PostgreSQL's advisory lock key for the ballot side
_BALLOT = Ballot.__table__
_RECEIPT = Receipt.__table__


@dataclass(slots=True)
class MixReport:
    """How many rows a pass rewrote (ballots, their receipts) or touched (tokens, roll)."""

    ballots: int = 0
    receipts: int = 0
    tokens: int = 0
    roll_entries: int = 0

    def __iadd__(self, other: MixReport) -> MixReport:
        self.ballots += other.ballots
        self.receipts += other.receipts
        self.tokens += other.tokens
        self.roll_entries += other.roll_entries
        return self


def _scratch(table: Table) -> Table:
    """A temporary table with ``table``'s columns, to hold rows between delete and insert."""
    columns = [Column(column.name, column.type) for column in table.columns]
    return Table(f"mix_{table.name}", MetaData(), *columns, prefixes=["TEMPORARY"])


_SCRATCH_BALLOT = _scratch(_BALLOT)
_SCRATCH_RECEIPT = _scratch(_RECEIPT)


def _shuffled(connection: Connection) -> ColumnElement[object]:
    """A random sort key from the database's strong generator where it has one."""
    if connection.dialect.name == "postgresql":
        return func.gen_random_uuid()
    return func.random()


def _move_ballots(connection: Connection, where: ColumnElement[bool], level: int) -> MixReport:
    """Delete the ballots matching ``where`` and their receipts, and insert them again in a
    random order with ``mixed = level``, in ``connection``'s transaction.

    A receipt moves only once no ballot points at it outside the scratch table: today every
    ballot of one receipt matches or none does (they share election, hour and level), but a
    receipt whose other ballots stay is left in place rather than deleted under them (the
    foreign key cascades: they would go with it); it moves with its last ballots. Receipts go
    back first, for the ballots' foreign key.
    """
    if connection.scalar(select(exists().where(where))) is not True:
        return MixReport()  # an idle pass creates no scratch tables (the partial index answers)
    for scratch in (_SCRATCH_BALLOT, _SCRATCH_RECEIPT):
        scratch.drop(connection, checkfirst=True)
        scratch.create(connection)
    ballot_columns = [column.name for column in _BALLOT.columns]
    receipt_columns = [column.name for column in _RECEIPT.columns]
    connection.execute(
        insert(_SCRATCH_BALLOT).from_select(ballot_columns, select(_BALLOT).where(where))
    )
    moved = connection.execute(
        delete(_BALLOT).where(_BALLOT.c.id.in_(select(_SCRATCH_BALLOT.c.id)))
    ).rowcount
    copied = connection.scalar(select(func.count()).select_from(_SCRATCH_BALLOT))
    if moved != copied:  # a ballot went between copy and delete: put nothing back twice
        raise RuntimeError(f"mixing: {copied} ballots copied, {moved} deleted; pass rolled back")
    report = MixReport()
    if moved:
        hashes = select(_SCRATCH_BALLOT.c.receipt_hash)
        unpointed = ~exists().where(_BALLOT.c.receipt_hash == _RECEIPT.c.code_hash)
        connection.execute(
            insert(_SCRATCH_RECEIPT).from_select(
                receipt_columns,
                select(_RECEIPT).where(_RECEIPT.c.code_hash.in_(hashes), unpointed),
            )
        )
        receipts = connection.execute(
            delete(_RECEIPT).where(_RECEIPT.c.code_hash.in_(select(_SCRATCH_RECEIPT.c.code_hash)))
        ).rowcount
        connection.execute(
            insert(_RECEIPT).from_select(
                receipt_columns, select(_SCRATCH_RECEIPT).order_by(_shuffled(connection))
            )
        )
        values = [
            literal(level).label("mixed") if name == "mixed" else _SCRATCH_BALLOT.c[name]
            for name in ballot_columns
        ]
        connection.execute(
            insert(_BALLOT).from_select(
                ballot_columns, select(*values).order_by(_shuffled(connection))
            )
        )
        report = MixReport(ballots=moved, receipts=receipts)
    for scratch in (_SCRATCH_RECEIPT, _SCRATCH_BALLOT):
        scratch.drop(connection)
    return report


def _lock(connection: Connection, *, wait: bool) -> bool:
    """The ballot side's lock, taken before the pass reads anything: PostgreSQL's advisory
    lock; on SQLite the database's write lock itself (``BEGIN IMMEDIATE``). pysqlite would
    otherwise begin the transaction at the first insert, and the pass would hold a read lock
    from its copy to its delete: a cast or sync that began writing meanwhile would deadlock
    with it, which SQLite settles by failing the pass at once (``database is locked``) rather
    than waiting. With the write lock taken first, writers wait for the pass (busy timeout)
    and the pass for them."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return True
    if connection.dialect.name != "postgresql":
        return True
    if wait:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        return True
    return bool(
        connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    )


def _touch(model: type[Token] | type[VoterRollEntry], where: ColumnElement[bool]) -> int:
    """Mark unmixed token or roll rows mixed in a transaction of their own, which gives them a
    new ``xmin``; rows a spend or a sync holds right now are left for the next pass."""
    table = model.__table__
    key = table.primary_key.columns.values()[0]
    pending = select(key).where(~table.c.mixed, where).with_for_update(skip_locked=True)
    with db.engine.begin() as connection:
        return connection.execute(update(table).where(key.in_(pending)).values(mixed=True)).rowcount


def _token_side(where_token: ColumnElement[bool], where_roll: ColumnElement[bool]) -> MixReport:
    return MixReport(
        tokens=_touch(Token, where_token), roll_entries=_touch(VoterRollEntry, where_roll)
    )


def mix_pass(now: datetime | None = None) -> MixReport:
    """One pass of the mixer (see the module docstring); ``now`` decides which hours ended.

    Another node's pass running at the same moment makes this one skip the ballot side."""
    hour = keys.coarse(now or keys.now())
    report = MixReport()
    with db.engine.begin() as connection:
        if _lock(connection, wait=False):
            ended = (_BALLOT.c.mixed < HOUR) & (_BALLOT.c.cast_at < hour)
            report += _move_ballots(connection, ended, HOUR)
            report += _move_ballots(connection, _BALLOT.c.mixed == FRESH, INTERVAL)
    report += _token_side(true(), true())
    return report


def mix_election(election_id: int) -> MixReport:
    """Mix every ballot of one election with all the others at once (close, count)."""
    report = MixReport()
    with db.engine.begin() as connection:
        _lock(connection, wait=True)
        where = (_BALLOT.c.mixed < HOUR) & (_BALLOT.c.election_id == election_id)
        report += _move_ballots(connection, where, HOUR)
    report += _token_side(
        Token.__table__.c.election_id == election_id,
        VoterRollEntry.__table__.c.election_id == election_id,
    )
    return report


class Mixer:
    """The background mixer of one process: a daemon thread running :func:`mix_pass` every
    interval, started by the first request a process serves (a gunicorn worker forks after
    the app is built, and threads do not survive a fork)."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.pid = 0
        self.stop = threading.Event()
        self._starting = threading.Lock()

    def ensure_running(self) -> None:
        if self.pid == os.getpid():
            return
        with self._starting:  # two first requests of a threaded worker start one thread
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            threading.Thread(target=self._run, name="votesvc-mixer", daemon=True).start()

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            with self.app.app_context():
                try:
                    mix_pass()
                except Exception as error:  # the next pass tries again; nothing is lost
                    log.warning("mixing pass failed (%s); next try in %ss", error, self.interval)
                finally:
                    db.session.remove()


def install(app: Flask) -> None:
    """Start the background mixer with the app's first request, unless the interval is 0 or
    the app is a test's (tests call :func:`mix_pass` themselves)."""
    interval = app.config["VOTESVC_MIX_INTERVAL_SECONDS"]
    if interval <= 0 or app.testing:
        return
    mixer = Mixer(app, interval)
    app.extensions["votesvc.mixer"] = mixer
    app.before_request(mixer.ensure_running)
