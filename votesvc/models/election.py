"""Persistence: the election data model as SQLAlchemy 2 typed models.

Money is stored as whole units of the election's currency in 64-bit integers; the service refuses
amounts above 2**53 so that every stored amount survives a round trip through JSON numbers
(IEEE doubles) in any client. Times are stored in UTC and shown in the election's time zone.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship

from votesvc.models.base import UTCDateTime, db, utc_now

MAX_AMOUNT = 2**53
"""Largest cost or budget accepted: the largest integer every JSON client reads exactly."""

MAX_ID = 2**31 - 1
"""Largest row id: ids are the databases' 32-bit ``integer`` columns. A larger number in a
request names nothing; PostgreSQL would refuse it in a query with an error."""

DEFAULT_TIMEZONE = "Asia/Seoul"


class Phase(StrEnum):
    """An election's life cycle; only forward moves are legal (see ``services.elections``)."""

    DRAFT = "draft"
    VOTING = "voting"
    CLOSED = "closed"
    PUBLISHED = "published"


class Titled:
    """A title and a description in Korean and English; either language may be left empty,
    but not both titles (checked by the services)."""

    title_ko: Mapped[str] = mapped_column(String(300), default="")
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")


class Organisation(db.Model):
    """An institution that proposes and carries out agendas (the seed city had 35).

    A table of its own rather than a list of names on each agenda: one institution proposes
    many agendas, so a renamed institution is one row to fix and "all agendas of this
    institution" is one join.
    """

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")


class Election(db.Model):
    __tablename__ = "election"
    __table_args__ = (
        CheckConstraint(f"phase IN ({', '.join(repr(p.value) for p in Phase)})", name="phase"),
        CheckConstraint("ends_at > starts_at", name="window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ko: Mapped[str] = mapped_column(String(300), default="")
    name_en: Mapped[str] = mapped_column(String(300), default="")
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    currency: Mapped[str] = mapped_column(String(3), default="KRW")
    phase: Mapped[str] = mapped_column(String(16), default=Phase.DRAFT.value)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    contests: Mapped[list[Contest]] = relationship(
        back_populates="election", order_by="Contest.position", cascade="all, delete-orphan"
    )
    booths: Mapped[list[Booth]] = relationship(
        back_populates="election", order_by="Booth.id", cascade="all, delete-orphan"
    )


class Contest(Titled, db.Model):
    """One question on an election's ballot, with its own agendas, budget and rule.

    The ballot limits map onto :class:`votesvc.tally.model.BallotRules` in
    :func:`votesvc.services.contests.core_contest`.
    """

    __tablename__ = "contest"
    __table_args__ = (
        UniqueConstraint("election_id", "code"),
        CheckConstraint(f"budget > 0 AND budget <= {MAX_AMOUNT}", name="budget"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[int] = mapped_column(BigInteger)
    ballot_type: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(40))
    rule_options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exclusive_groups: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    """Groups of agenda codes of which at most one may be funded (two plans for one park)."""
    min_selections: Mapped[int | None] = mapped_column(Integer)
    max_selections: Mapped[int | None] = mapped_column(Integer)
    knapsack_cap: Mapped[bool] = mapped_column(Boolean, default=False)
    points_total: Mapped[int | None] = mapped_column(Integer)
    max_points_per_agenda: Mapped[int | None] = mapped_column(Integer)
    max_ranks: Mapped[int | None] = mapped_column(Integer)
    shuffle_agendas: Mapped[bool] = mapped_column(Boolean, default=False)
    """Ballot pages list the agendas in an order of each voter's own, so that no agenda gains
    votes from its place on the page (the first on a list draws more); counts never depend
    on it."""

    election: Mapped[Election] = relationship(back_populates="contests")
    agendas: Mapped[list[Agenda]] = relationship(
        back_populates="contest", order_by="Agenda.position", cascade="all, delete-orphan"
    )


class Agenda(Titled, db.Model):
    """A proposed project. ``code`` is its stable name within the contest (the counting core's
    agenda id, printed on ballots); ``position`` orders the ballot."""

    __tablename__ = "agenda"
    __table_args__ = (
        UniqueConstraint("contest_id", "code"),
        CheckConstraint(f"cost >= 0 AND cost <= {MAX_AMOUNT}", name="cost"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[int] = mapped_column(BigInteger)

    contest: Mapped[Contest] = relationship(back_populates="agendas")
    proposers: Mapped[list[AgendaProposer]] = relationship(
        order_by="AgendaProposer.position",
        collection_class=ordering_list("position"),
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def organisations(self) -> list[Organisation]:
        """The proposing organisations, lead proposer first."""
        return [proposer.organisation for proposer in self.proposers]


class AgendaProposer(db.Model):
    """Links an agenda to one proposing organisation; ``position`` 0 is the lead proposer."""

    __tablename__ = "agenda_proposer"

    agenda_id: Mapped[int] = mapped_column(
        ForeignKey("agenda.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Booth(db.Model):
    """A place where people vote in person during one election (a community centre)."""

    __tablename__ = "booth"
    __table_args__ = (UniqueConstraint("election_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name_ko: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(300), default="")

    election: Mapped[Election] = relationship(back_populates="booths")


class ApiKey(db.Model):
    """An admin API key. Only the SHA-256 of the key is stored: the key is 256 random bits, so
    a plain hash cannot be reversed and needs no slow KDF. ``election_id`` None means the key
    may act on every election and create new ones."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(200), default="")
    election_id: Mapped[int | None] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AdminSession(db.Model):
    """A signed-in admin console (``/admin/``), opened with an :class:`ApiKey`.

    The browser holds 256 random bits in the ``votesvc_admin`` cookie; only their SHA-256 is
    stored, as for keys, so a copy of the table opens no console. Deleting the key deletes its
    sessions (the foreign key cascades). ``csrf_token`` is the synchronizer token every console
    form carries; ``last_seen_at`` ends the session after the idle timeout
    (``VOTESVC_ADMIN_IDLE_MINUTES``).
    """

    __tablename__ = "admin_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_id: Mapped[int] = mapped_column(
        ForeignKey("api_key.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    api_key: Mapped[ApiKey] = relationship(lazy="joined")


# --- results: count jobs, publications, the audit log ------------------------------------------


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


class CountJob(db.Model):
    """One count of a closed election, run in the background; ``result`` holds the preliminary
    results (admins only) once ``done``, and a failed job's ``{"failure": {"code", "contest"}}``
    beside its ``error`` in words. A failed job leaves the election closed: count again.

    A running job names its ``owner`` (host, process, thread) and refreshes ``heartbeat_at``
    while it lives, so a job whose process died can be told from a slow one and set aside
    (see :mod:`votesvc.services.results`)."""

    __tablename__ = "count_job"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s.value) for s in JobStatus)})", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(8), default=JobStatus.QUEUED.value)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    seed: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Publication(db.Model):
    """The frozen public result of an election: what was counted, how, and by which software.

    ``contests`` holds per contest code the rule, options, tie-break and the outcome as the
    counting core serialised it; ``digests`` the SHA-256 of every published file. The files
    themselves (the rendered results JSON included) are :class:`PublishedFile` rows, rendered
    once here so that no request ever recounts or re-renders.
    """

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), unique=True
    )
    software_version: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(64))
    contests: Mapped[dict[str, Any]] = mapped_column(JSON)
    digests: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class PublishedFile(db.Model):
    """One published document, byte for byte as served; ``sha256`` is also its strong ETag."""

    __tablename__ = "published_file"
    __table_args__ = (UniqueConstraint("publication_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(80))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class AuditEntry(db.Model):
    """An append-only, hash-chained record of an admin action (see
    :mod:`votesvc.publication.audit_chain`).

    Each chain (one per election, ``global`` for actions on none) numbers its entries; the
    unique (chain, seq) key makes two racing appends collide instead of forking the chain.
    ``actor`` names an admin key (``key:<id>``) or ``system``, never a voter.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    election_id: Mapped[int | None] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
