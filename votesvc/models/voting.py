"""Persistence of voting: tokens and their batches, kiosks, ballots, receipts, quarantine, roll.

**Ballot secrecy is a property of this schema.** A :class:`Ballot` row holds its contest, its
content, the channel it came through (``online`` or ``booth-<id>``: a place, needed for
per-channel counts, never an operator), a cast time truncated to the hour and the keyed hash of
its receipt code. It has no column and no foreign key that leads to a token, a voter, a kiosk
credential or an operator, and its id is random (not a sequence that would order ballots the
way tokens were spent). ``tests/api/test_casting_secrecy.py`` inspects the schema and the
stored rows to keep it so.

Kiosk retries need to know that a spent token was spent *by the ballot now being retried*;
:attr:`Token.spend_key` holds a keyed hash of the ballot's receipt code under a different key
from :attr:`Receipt.code_hash`. Without the receipt code itself (80 random bits, held by the
voter and never stored) the two hashes cannot be matched, even by someone holding the database
and every server key; see :mod:`votesvc.services.kiosks`.

What the database keeps beside the columns (PostgreSQL's ``xmin`` and ``ctid``, SQLite's
``rowid``, the order of a dump) would still pair ballots with tokens as they were written; the
``mixed`` columns tell :mod:`votesvc.services.mixing` which rows it has yet to rewrite apart.

Times that could order or date a vote (``Token.spent_at``, ``Ballot.cast_at``, ...) are stored
coarse (see :func:`votesvc.services.keys.coarse`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from votesvc.models.base import UTCDateTime, db, utc_now
from votesvc.voting.tokens import TokenStatus

HASH_LENGTH = 64
"""Hex HMAC-SHA256."""

CHANNEL_LENGTH = 72
"""``online`` or ``booth-<id>`` (ids of up to 64 characters, see :mod:`votesvc.voting.tokens`)."""


class TokenBatch(db.Model):
    """Tokens issued together for one channel: a booth's printed sheets or online tokens.

    ``seed`` lets the server derive the batch's token ids again to print the sheets (the token
    table holds only keyed hashes). It is erased when the batch is sealed after printing, from
    when on the ids exist only on paper. Mailed online batches never keep a seed.
    """

    __tablename__ = "token_batch"
    __table_args__ = (CheckConstraint("size > 0", name="size"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("booth.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(CHANNEL_LENGTH))
    size: Mapped[int] = mapped_column(Integer)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(String(200), default="")
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Its tokens vote only in the contests listed in :class:`TokenBatchContest`."""
    seed: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TokenBatchContest(db.Model):
    """A contest that a restricted batch's tokens may vote in (a district booth: the city-wide
    contest and its own district's). Only batches marked ``restricted`` are restricted, so a
    contest deleted while the election is still a draft leaves its batches allowing fewer
    contests, never every contest.
    """

    __tablename__ = "token_batch_contest"

    batch_id: Mapped[int] = mapped_column(
        ForeignKey("token_batch.id", ondelete="CASCADE"), primary_key=True
    )
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True
    )


class Token(db.Model):
    """One issued right to vote, known only by the keyed hash of its id.

    Spending is the conditional ``UPDATE ... WHERE status = 'unused'`` in the casting and sync
    services. ``batch_id`` is empty for tokens claimed by voters online (one at a time).
    """

    __tablename__ = "token"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s.value) for s in TokenStatus)})", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("token_batch.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(CHANNEL_LENGTH))
    status: Mapped[str] = mapped_column(String(8), default=TokenStatus.UNUSED.value)
    spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spend_key: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    mixed: Mapped[bool] = mapped_column(Boolean, server_default=true())
    """False from a spend or an online claim until the mixer rewrites the row
    (:mod:`votesvc.services.mixing`); a batch's unused tokens have nothing to hide."""


class Kiosk(db.Model):
    """A voting machine provisioned for one booth; its credential is stored as SHA-256 (256
    random bits need no slow hash, as for admin keys)."""

    __tablename__ = "kiosk"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")
    credential_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Receipt(db.Model):
    """A voter's proof that their ballots were recorded: the keyed hash of a random code.

    One receipt covers the ballots cast with one token (one per contest).
    """

    __tablename__ = "receipt"

    code_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ballot(db.Model):
    """What one voter marked in one contest; see the module docstring for what it must not
    hold. ``content`` is canonical JSON (:func:`votesvc.services.selections.canonical_content`),
    so identical ballots are identical strings and aggregate with one GROUP BY."""

    __tablename__ = "ballot"
    __table_args__ = (
        Index(
            "ix_ballot_unmixed",
            "mixed",
            "election_id",
            postgresql_where=text("mixed < 2"),
            sqlite_where=text("mixed < 2"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contest.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(CHANNEL_LENGTH))
    content: Mapped[str] = mapped_column(Text)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receipt_hash: Mapped[str] = mapped_column(
        ForeignKey("receipt.code_hash", ondelete="CASCADE"), index=True
    )
    mixed: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    """How far the mixer has taken the row (:mod:`votesvc.services.mixing`): 0 as cast, 1
    rewritten with its mixing interval's ballots, 2 with its hour's."""


class QuarantinedBallot(db.Model):
    """A ballot a kiosk synced that was refused, kept for officials with the reason.

    ``entry_key`` (a keyed hash of the kiosk's idempotency id) makes a retried sync record it
    once. Like a ballot it names no token.
    """

    __tablename__ = "quarantined_ballot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text)
    cast_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VoterRollEntry(db.Model):
    """One eligible voter for online voting, as keyed hashes only; ``issued`` once a token was
    handed out. Nothing records which token: the token table has no voter column."""

    __tablename__ = "voter_roll_entry"
    __table_args__ = (UniqueConstraint("election_id", "identity_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    identity_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    factor_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    issued: Mapped[bool] = mapped_column(Boolean, default=False)
    mixed: Mapped[bool] = mapped_column(Boolean, server_default=true())
    """False from a claim until the mixer rewrites the row (:mod:`votesvc.services.mixing`)."""
