"""Small rules shared by the resource services: lookups, uniqueness, titles, positions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from votesvc.i18n import N_
from votesvc.models import Contest, Election, Phase
from votesvc.models.base import db
from votesvc.services.errors import Conflict, Invalid, NotFound

T = TypeVar("T")


def fetch(model: type[T], ident: int) -> T:
    """The row with this id, or a ``not_found`` error."""
    found = db.session.get(model, ident)
    if found is None:
        raise NotFound(resource=model.__tablename__)  # type: ignore[attr-defined]
    return found


def apply(obj: object, data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        setattr(obj, key, value)


def ensure_draft(election: Election, field_names: Sequence[str] = ()) -> None:
    """Ballot rules, agendas and the voting window are frozen once voting starts."""
    if election.phase != Phase.DRAFT:
        raise Conflict(
            "election_frozen",
            fields={name: [N_("Frozen once voting starts.")] for name in field_names},
            phase=election.phase,
        )


WORDING = frozenset({"title_ko", "title_en", "description_ko", "description_en"})
"""A contest's or an agenda's words, which may be corrected in any phase: they change what a
voter reads, never what is counted."""


def ensure_editable(
    election: Election, field_names: Sequence[str], wording: frozenset[str]
) -> None:
    """Fields outside ``wording`` change only in a draft; wording changes at any time."""
    frozen = sorted(set(field_names) - wording)
    if frozen:
        ensure_draft(election, frozen)


def require_title(obj: object, stem: str) -> None:
    """A name or title must exist in Korean or English; the other language may be left out."""
    if not (getattr(obj, f"{stem}_ko") or getattr(obj, f"{stem}_en")):
        raise Invalid(fields={f"{stem}_ko": [N_("Give it in Korean or in English.")]})


def ensure_unique(
    column: InstrumentedAttribute[Any],
    value: Any,
    *,
    scope: tuple[InstrumentedAttribute[Any], Any] | None = None,
    exclude_id: int | None = None,
) -> None:
    """Refuse a value its column already holds (within ``scope``) with a 409 on that field."""
    model = column.class_
    query = select(model.id).where(column == value)
    if scope is not None:
        query = query.where(scope[0] == scope[1])
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.execute(query.limit(1)).first() is not None:
        raise Conflict("duplicate", fields={column.key: [N_("Already used.")]})


def next_position(column: InstrumentedAttribute[int], parent: tuple[Any, Any]) -> int:
    highest = db.session.scalar(select(func.max(column)).where(parent[0] == parent[1]))
    return 0 if highest is None else highest + 1


def next_code(
    column: InstrumentedAttribute[str], parent: tuple[Any, Any], prefix: str, start: int
) -> str:
    """The first unused ``prefix<n>`` from ``start`` on, for rows created without a code."""
    used = set(db.session.scalars(select(column).where(parent[0] == parent[1])))
    number = start
    while f"{prefix}{number}" in used:
        number += 1
    return f"{prefix}{number}"


def settle_code(
    values: dict[str, Any],
    column: InstrumentedAttribute[str],
    parent: tuple[Any, Any],
    prefix: str,
    start: int,
) -> None:
    """Check a new row's given code is free among its siblings, or give it the next free one."""
    if "code" in values:
        ensure_unique(column, values["code"], scope=parent)
    else:
        values["code"] = next_code(column, parent, prefix, start)


def attach(row: object, **parent: object) -> None:
    """Attach a checked new row to its parent, last, so that a half-built row is never
    flushed; the flush gives it the id that scopes the checks of rows added under it next."""
    apply(row, parent)
    db.session.add(row)
    db.session.flush()


def unknown_group_codes(contest: Contest) -> list[str]:
    """Codes the contest's exclusive groups name that none of its agendas has. A contest is
    saved before its agendas are added, so these are refused on saving only once it has
    agendas, and always when voting opens."""
    codes = {agenda.code for agenda in contest.agendas}
    named = [code for group in contest.exclusive_groups or () for code in group]
    return sorted({code for code in named if code not in codes})
