"""The audit log: every admin action appended through :func:`record`, hash-chained per election.

``record`` adds the entry to the caller's transaction, so an action and its entry commit or
roll back together; two racing appends to one chain collide on the unique (chain, seq) key
and one of them is refused (409), which keeps the chain a line, never a fork.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from votesvc.models import AuditEntry
from votesvc.models.base import db
from votesvc.publication.audit_chain import GENESIS, entry_hash

SYSTEM = "system"
"""The actor of what the service does by itself (closing at the end of the window)."""


def _actor() -> str:
    key = getattr(g, "api_key", None) if has_request_context() else None
    return f"key:{key.id}" if key is not None else SYSTEM


def chain_of(election_id: int | None) -> str:
    return "global" if election_id is None else f"election-{election_id}"


def record(
    action: str, election_id: int | None = None, payload: Mapping[str, Any] | None = None
) -> AuditEntry:
    """Append ``action`` to the election's chain in the current transaction."""
    chain = chain_of(election_id)
    last = db.session.scalars(
        select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq.desc())
    ).first()
    values: dict[str, Any] = {
        "chain": chain,
        "seq": 1 if last is None else last.seq + 1,
        "election_id": election_id,
        "action": action,
        "actor": _actor(),
        "payload": dict(payload or {}),
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    prev_hash = GENESIS if last is None else last.hash
    entry = AuditEntry(**values, prev_hash=prev_hash, hash=entry_hash(values, prev_hash))
    db.session.add(entry)
    db.session.flush()
    return entry


def export(election_id: int | None) -> list[dict[str, Any]]:
    """One chain in order, as published beside the results and checked by ``votesvc verify``."""
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.chain == chain_of(election_id)).order_by(AuditEntry.seq)
    )
    return [
        {
            "chain": e.chain,
            "seq": e.seq,
            "election_id": e.election_id,
            "action": e.action,
            "actor": e.actor,
            "payload": e.payload,
            "created_at": e.created_at,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in entries
    ]
