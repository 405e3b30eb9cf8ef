"""Persistence: the SQLAlchemy 2 typed models of elections and of voting, one package.

Owns the tables (``base`` the handle and column types, ``election`` elections, contests,
agendas, booths, keys, count jobs, publications and the audit log; ``voting`` tokens, kiosks,
ballots, receipts, quarantine and the voter roll). May import the standard library,
SQLAlchemy, Flask-SQLAlchemy, the counting core and the pure helpers (``votesvc.voting``),
never services or the edges.

This module is the package's one import point and loads both model modules, so that every
table is registered wherever any model is used (the app, migrations, tests): the relationships
between them are resolved by name at mapper configuration.
"""

from votesvc.models.base import UTCDateTime
from votesvc.models.election import (
    DEFAULT_TIMEZONE,
    MAX_AMOUNT,
    MAX_ID,
    AdminSession,
    Agenda,
    AgendaProposer,
    ApiKey,
    AuditEntry,
    Booth,
    Contest,
    CountJob,
    Election,
    JobStatus,
    Organisation,
    Phase,
    Publication,
    PublishedFile,
)
from votesvc.models.voting import (
    Ballot,
    Kiosk,
    QuarantinedBallot,
    Receipt,
    Token,
    TokenBatch,
    TokenBatchContest,
    VoterRollEntry,
)

__all__ = [
    "DEFAULT_TIMEZONE",
    "MAX_AMOUNT",
    "MAX_ID",
    "AdminSession",
    "Agenda",
    "AgendaProposer",
    "ApiKey",
    "AuditEntry",
    "Ballot",
    "Booth",
    "Contest",
    "CountJob",
    "Election",
    "JobStatus",
    "Kiosk",
    "Organisation",
    "Phase",
    "Publication",
    "PublishedFile",
    "QuarantinedBallot",
    "Receipt",
    "Token",
    "TokenBatch",
    "TokenBatchContest",
    "UTCDateTime",
    "VoterRollEntry",
]
