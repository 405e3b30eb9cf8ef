"""Elections: create, edit, list, and move through the phases with their guards."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from votesvc.i18n import N_
from votesvc.models import DEFAULT_TIMEZONE, Agenda, Contest, Election, Phase
from votesvc.models.base import db
from votesvc.services import audit
from votesvc.services.common import (
    apply,
    ensure_editable,
    ensure_unique,
    fetch,
    require_title,
    unknown_group_codes,
)
from votesvc.services.counting import count_problem
from votesvc.services.errors import Conflict, Invalid, NotFound
from votesvc.services.transaction import unit_of_work
from votesvc.tally.options import option_problems

NEXT_PHASE = {Phase.DRAFT: Phase.VOTING, Phase.VOTING: Phase.CLOSED, Phase.CLOSED: Phase.PUBLISHED}
PUBLIC_PHASES = (Phase.VOTING.value, Phase.PUBLISHED.value)
EDITABLE_WHEN_FROZEN = frozenset({"name_ko", "name_en", "description_ko", "description_en"})
"""Wording may be corrected at any time; what voters are asked and when may not."""


def _localise(data: dict[str, Any], timezone: str) -> None:
    """Naive times in the input are read in the election's time zone (Asia/Seoul by default)."""
    zone = ZoneInfo(timezone)
    for key in ("starts_at", "ends_at"):
        moment: datetime | None = data.get(key)
        if moment is not None and moment.tzinfo is None:
            data[key] = moment.replace(tzinfo=zone)


def _check(election: Election) -> None:
    require_title(election, "name")
    if election.ends_at <= election.starts_at:
        raise Invalid(fields={"ends_at": [N_("Must be after starts_at.")]})


def build_election(data: Mapping[str, Any]) -> Election:
    """Add an election to the current transaction (used by the API and by imports)."""
    values = dict(data)
    values.setdefault("timezone", DEFAULT_TIMEZONE)
    _localise(values, values["timezone"])
    ensure_unique(Election.slug, values["slug"])
    election = Election(phase=Phase.DRAFT.value)
    apply(election, values)
    _check(election)
    db.session.add(election)
    db.session.flush()
    return election


def create_election(data: Mapping[str, Any]) -> Election:
    with unit_of_work():
        election = build_election(data)
        audit.record("election.created", election.id, {"slug": election.slug})
    return election


def update_election(election_id: int, data: Mapping[str, Any]) -> Election:
    with unit_of_work():
        election = fetch(Election, election_id)
        ensure_editable(election, sorted(data), EDITABLE_WHEN_FROZEN)
        values = dict(data)
        _localise(values, values.get("timezone", election.timezone))
        if "slug" in values:
            ensure_unique(Election.slug, values["slug"], exclude_id=election.id)
        apply(election, values)
        _check(election)
        audit.record("election.updated", election.id, {"fields": sorted(data)})
    return election


def list_elections(scope: int | None = None) -> list[Election]:
    """All elections, or only the one a scoped admin key may see."""
    query = select(Election).order_by(Election.starts_at.desc(), Election.id)
    if scope is not None:
        query = query.where(Election.id == scope)
    return list(db.session.scalars(query))


def get_election(election_id: int) -> Election:
    """One election with its contests, agendas and booths, for admins (any phase)."""
    return fetch(Election, election_id)


def get_election_outline(election_id: int) -> Election:
    """One election with every contest's agendas loaded in two queries, not one per contest
    (a page listing them all: the console's contests page); the agendas' proposers are left
    to load if asked for."""
    election = db.session.scalar(
        select(Election)
        .where(Election.id == election_id)
        .options(
            selectinload(Election.contests).selectinload(Contest.agendas).lazyload(Agenda.proposers)
        )
    )
    if election is None:
        raise NotFound(resource="election")
    return election


def list_public() -> list[Election]:
    query = (
        select(Election)
        .where(Election.phase.in_(PUBLIC_PHASES))
        .order_by(Election.starts_at.desc(), Election.id)
    )
    return list(db.session.scalars(query))


def get_public(election_id: int) -> Election:
    """A draft or a closed-but-unpublished election does not exist for the public."""
    election = db.session.get(Election, election_id)
    if election is None or election.phase not in PUBLIC_PHASES:
        raise NotFound(resource="election")
    return election


def _readiness_problems(election: Election) -> dict[str, Any]:
    if not election.contests:
        return {"contests": [N_("An election needs at least one contest before voting starts.")]}
    problems: dict[str, Any] = {}
    for contest in election.contests:
        if not contest.agendas:
            problems[contest.code] = [N_("A contest needs at least one agenda.")]
        elif contest.min_selections is not None and contest.min_selections > len(contest.agendas):
            problems[contest.code] = [N_("min_selections is more than the contest's agendas.")]
        elif unknown := unknown_group_codes(contest):
            problems[contest.code] = [
                N_("An exclusive group names no agenda %(codes)s.") % {"codes": ", ".join(unknown)}
            ]
        elif options := option_problems(contest.rule, contest.rule_options or {}):
            problems[contest.code] = {"rule_options": options}  # saved before they were checked
        elif (problem := count_problem(contest)) is not None:
            problems[contest.code] = [
                N_(
                    "Its count would fail (%(problem)s); correct its rule options before voting "
                    "starts, since they are frozen after."
                )
                % {"problem": problem}
            ]
    return {"contests": problems} if problems else {}


def _move_refusal(election: Election, target: Phase) -> Conflict | None:
    """Why ``election`` may not move to ``target`` now, or ``None``: the one list of rules."""
    current = Phase(election.phase)
    if NEXT_PHASE.get(current) != target:
        return Conflict("illegal_phase_transition", current=current.value, target=target.value)
    if target is Phase.VOTING:
        problems = _readiness_problems(election)
        if problems:
            return Conflict("election_not_ready", fields=problems)
    return None


def apply_transition(election: Election, target: Phase) -> None:
    """Move ``election`` one phase forward inside the current transaction, or refuse."""
    refusal = _move_refusal(election, target)
    if refusal is not None:
        raise refusal
    election.phase = target.value


def transition_refusal(election: Election, target: Phase) -> Conflict | None:
    """What :func:`transition` to ``target`` would answer now, without moving: the console's
    phase stepper shows it before the click. ``published`` promises public results, which
    only publishing (:func:`votesvc.services.publication.publish`) stores, so the one legal
    move to it here is ``publish_required``: a bare change would leave a published election
    whose results answer 404 forever."""
    if target is Phase.PUBLISHED and NEXT_PHASE.get(Phase(election.phase)) is target:
        return Conflict("publish_required", election_id=election.id)
    return _move_refusal(election, target)


def transition(election_id: int, target: Phase) -> Election:
    """An admin's phase change, refused as :func:`transition_refusal` says."""
    with unit_of_work():
        election = fetch(Election, election_id)
        refusal = transition_refusal(election, target)
        if refusal is not None:
            raise refusal
        if target is Phase.CLOSED:
            close_now(election)
        else:
            election.phase = target.value
            audit.record("election.phase", election.id, {"phase": target.value})
    return election


def close_now(election: Election) -> None:
    """Close voting at this moment, in the caller's transaction.

    An early close also ends the voting window now, so the kiosks' grace period (and with it
    the earliest count) runs from the close, not from the planned end; the phase endpoint and
    ``POST .../close`` both come here.
    """
    now = datetime.now(UTC)
    apply_transition(election, Phase.CLOSED)
    early = election.ends_at > now
    if early:
        election.ends_at = max(now, election.starts_at + timedelta(microseconds=1))
    audit.record(
        "election.closed", election.id, {"ends_at": election.ends_at.isoformat(), "early": early}
    )
