"""Agendas and the organisations that propose them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from votesvc.i18n import N_
from votesvc.models import Agenda, AgendaProposer, Contest, Organisation
from votesvc.models.base import db
from votesvc.services import audit
from votesvc.services.common import (
    WORDING,
    apply,
    attach,
    ensure_draft,
    ensure_editable,
    ensure_unique,
    fetch,
    next_position,
    require_title,
    settle_code,
)
from votesvc.services.errors import Invalid
from votesvc.services.transaction import unit_of_work


def upsert_organisation(name_ko: str, name_en: str = "") -> Organisation:
    """The organisation with this Korean name, created if new; a given English name is kept."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.name_ko == name_ko))
    if organisation is None:
        organisation = Organisation(name_ko=name_ko, name_en=name_en)
        db.session.add(organisation)
    elif name_en:
        organisation.name_en = name_en
    return organisation


def _set_proposers(agenda: Agenda, names: Sequence[str]) -> None:
    if len(set(names)) != len(names):
        raise Invalid(fields={"organisations": [N_("An organisation is listed twice.")]})
    agenda.proposers = [AgendaProposer(organisation=upsert_organisation(name)) for name in names]


def build_agenda(contest: Contest, data: Mapping[str, Any]) -> Agenda:
    """Add an agenda to ``contest`` in the current transaction (API and imports)."""
    ensure_draft(contest.election)
    values = dict(data)
    organisations = values.pop("organisations", [])
    parent = (Agenda.contest_id, contest.id)
    settle_code(values, Agenda.code, parent, "", len(contest.agendas) + 1)
    values.setdefault("position", next_position(Agenda.position, parent))
    agenda = Agenda()
    apply(agenda, values)
    require_title(agenda, "title")
    _set_proposers(agenda, organisations)
    attach(agenda, contest=contest)
    return agenda


def list_agendas(contest_id: int) -> list[Agenda]:
    """The contest's agendas in ballot order."""
    return list(fetch(Contest, contest_id).agendas)


def get_agenda(agenda_id: int) -> Agenda:
    return fetch(Agenda, agenda_id)


def create_agenda(contest_id: int, data: Mapping[str, Any]) -> Agenda:
    with unit_of_work():
        agenda = build_agenda(fetch(Contest, contest_id), data)
        audit.record("agenda.created", agenda.contest.election_id, {"agenda": agenda.code})
    return agenda


def update_agenda(agenda_id: int, data: Mapping[str, Any]) -> Agenda:
    with unit_of_work():
        agenda = fetch(Agenda, agenda_id)
        ensure_editable(agenda.contest.election, sorted(data), WORDING)
        values = dict(data)
        if "code" in values:
            scope = (Agenda.contest_id, agenda.contest_id)
            ensure_unique(Agenda.code, values["code"], scope=scope, exclude_id=agenda.id)
        if "organisations" in values:
            _set_proposers(agenda, values.pop("organisations"))
        apply(agenda, values)
        require_title(agenda, "title")
        audit.record(
            "agenda.updated",
            agenda.contest.election_id,
            {"agenda": agenda.id, "fields": sorted(data)},
        )
    return agenda


def delete_agenda(agenda_id: int) -> None:
    """Remove an agenda from its contest, in a draft only (``election_frozen`` after)."""
    with unit_of_work():
        agenda = fetch(Agenda, agenda_id)
        contest = agenda.contest
        ensure_draft(contest.election)
        contest.agendas.remove(agenda)
        audit.record("agenda.deleted", contest.election_id, {"agenda": agenda.code})
