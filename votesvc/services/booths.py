"""Booths: the places where people vote in person during one election."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from votesvc.models import Booth, Election, Phase
from votesvc.services import audit
from votesvc.services.common import (
    apply,
    attach,
    ensure_draft,
    ensure_unique,
    fetch,
    require_title,
)
from votesvc.services.errors import Conflict
from votesvc.services.transaction import unit_of_work


def _ensure_open(election: Election) -> None:
    """Booths may still be added or corrected while voting runs (a centre moves), not after."""
    if election.phase not in (Phase.DRAFT, Phase.VOTING):
        raise Conflict("election_frozen", phase=election.phase)


def build_booth(election: Election, data: Mapping[str, Any]) -> Booth:
    _ensure_open(election)
    ensure_unique(Booth.code, data["code"], scope=(Booth.election_id, election.id))
    booth = Booth()
    apply(booth, data)
    require_title(booth, "name")
    attach(booth, election=election)
    return booth


def list_booths(election_id: int) -> list[Booth]:
    return list(fetch(Election, election_id).booths)


def get_booth(booth_id: int) -> Booth:
    return fetch(Booth, booth_id)


def create_booth(election_id: int, data: Mapping[str, Any]) -> Booth:
    with unit_of_work():
        booth = build_booth(fetch(Election, election_id), data)
        audit.record("booth.created", election_id, {"booth": booth.code})
    return booth


def update_booth(booth_id: int, data: Mapping[str, Any]) -> Booth:
    with unit_of_work():
        booth = fetch(Booth, booth_id)
        _ensure_open(booth.election)
        if "code" in data:
            scope = (Booth.election_id, booth.election_id)
            ensure_unique(Booth.code, data["code"], scope=scope, exclude_id=booth.id)
        apply(booth, data)
        require_title(booth, "name")
        audit.record(
            "booth.updated", booth.election_id, {"booth": booth.id, "fields": sorted(data)}
        )
    return booth


def delete_booth(booth_id: int) -> None:
    """Remove a booth with its batches and kiosks, in a draft only: once voting has started a
    booth may have printed sheets and cast ballots (``election_frozen``)."""
    with unit_of_work():
        booth = fetch(Booth, booth_id)
        election = booth.election
        ensure_draft(election)
        election.booths.remove(booth)
        audit.record("booth.deleted", election.id, {"booth": booth.code})
