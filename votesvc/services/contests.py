"""Contests: their ballot limits and rule, and the one mapping onto the counting core's Contest."""

from __future__ import annotations

import json
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from votesvc.i18n import N_
from votesvc.models import Contest, Election
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
    unknown_group_codes,
)
from votesvc.services.errors import Invalid
from votesvc.services.transaction import unit_of_work
from votesvc.tally import model as core
from votesvc.tally.catalog import ALLOCATION_RULES, RANKED_RULES, accepts
from votesvc.tally.model import BallotType
from votesvc.tally.options import option_problems, ranked_rules
from votesvc.tally.pb_count import option_problem
from votesvc.tally.ranked.rules import RulesError

_ONLY_FOR = {
    "points_total": (BallotType.CUMULATIVE,),
    "max_points_per_agenda": (BallotType.CUMULATIVE, BallotType.SCORING),
    "max_ranks": (BallotType.ORDINAL,),
    "max_selections": (BallotType.APPROVAL, BallotType.CUMULATIVE),
    "knapsack_cap": (BallotType.APPROVAL, BallotType.CUMULATIVE),
}
"""Which ballot types each limit applies to; setting it elsewhere is a mistake worth naming."""


def _check(contest: Contest) -> None:
    """Rules that span fields; the merged state is checked, so partial updates cannot slip by."""
    require_title(contest, "title")
    ballot_type = BallotType(contest.ballot_type)
    problems: dict[str, list[str]] = {}
    if not accepts(contest.rule, ballot_type):
        problems["rule"] = [
            N_("Rule '%(rule)s' cannot count %(ballot_type)s ballots.")
            % {"rule": contest.rule, "ballot_type": ballot_type.value}
        ]
    for name, types in _ONLY_FOR.items():
        if getattr(contest, name) not in (None, False) and ballot_type not in types:
            problems[name] = [
                N_("Does not apply to %(ballot_type)s ballots.")
                % {"ballot_type": ballot_type.value}
            ]
    if ballot_type is BallotType.CUMULATIVE and contest.points_total is None:
        problems["points_total"] = [N_("Cumulative ballots need a points total.")]
    if (
        contest.min_selections is not None
        and contest.max_selections is not None
        and contest.min_selections > contest.max_selections
    ):
        problems["min_selections"] = [N_("Must not exceed max_selections.")]
    if (
        contest.max_points_per_agenda is not None
        and contest.points_total is not None
        and contest.max_points_per_agenda > contest.points_total
    ):
        problems["max_points_per_agenda"] = [N_("Must not exceed points_total.")]
    unknown = unknown_group_codes(contest)
    if unknown and contest.agendas:
        problems["exclusive_groups"] = [
            N_("No agenda '%(code)s' in this contest.") % {"code": code} for code in unknown
        ]
    option_fields = option_problems(contest.rule, contest.rule_options or {})
    if option_fields:
        problems["rule_options"] = option_fields
    elif not problems:
        problem = _rules_problem(contest, groups=not unknown)
        if problem is not None:
            problems["rule_options"] = [problem]
    if problems:
        raise Invalid(fields=problems)


def _rules_problem(contest: Contest, *, groups: bool) -> str | None:
    """What the rule engine itself refuses in options that are each well formed (a measure
    that cannot read these ballots, batch elimination with several seats); ``groups``: count
    with the contest's exclusive groups (only when they name its agendas)."""
    options = contest.rule_options or {}
    if contest.rule in ALLOCATION_RULES:
        return option_problem(core_contest(contest, groups=groups), contest.rule, options)
    if contest.rule in RANKED_RULES:
        try:
            ranked_rules(contest.rule, options, 0, ()).check(())
        except RulesError as error:
            return str(error)
    return None


def build_contest(election: Election, data: Mapping[str, Any]) -> Contest:
    """Add a contest to ``election`` in the current transaction (API and imports)."""
    ensure_draft(election)
    values = dict(data)
    parent = (Contest.election_id, election.id)
    settle_code(values, Contest.code, parent, "C", len(election.contests) + 1)
    values.setdefault("position", next_position(Contest.position, parent))
    values.setdefault("rule_options", {})
    contest = Contest(knapsack_cap=False)
    apply(contest, values)
    _check(contest)
    attach(contest, election=election)
    return contest


def list_contests(election_id: int) -> list[Contest]:
    """The election's contests in ballot order."""
    return list(fetch(Election, election_id).contests)


def get_contest(contest_id: int) -> Contest:
    return fetch(Contest, contest_id)


def create_contest(election_id: int, data: Mapping[str, Any]) -> Contest:
    with unit_of_work():
        contest = build_contest(fetch(Election, election_id), data)
        audit.record("contest.created", election_id, {"contest": contest.code})
    return contest


def update_contest(contest_id: int, data: Mapping[str, Any]) -> Contest:
    with unit_of_work():
        contest = fetch(Contest, contest_id)
        ensure_editable(contest.election, sorted(data), WORDING)
        if "code" in data:
            scope = (Contest.election_id, contest.election_id)
            ensure_unique(Contest.code, data["code"], scope=scope, exclude_id=contest.id)
        apply(contest, data)
        _check(contest)
        audit.record(
            "contest.updated", contest.election_id, {"contest": contest.id, "fields": sorted(data)}
        )
    return contest


def delete_contest(contest_id: int) -> None:
    """Remove a contest with its agendas, in a draft only (``election_frozen`` after); token
    batches restricted to it lose it from their restriction (the foreign key cascades)."""
    with unit_of_work():
        contest = fetch(Contest, contest_id)
        ensure_draft(contest.election)
        election = contest.election
        election.contests.remove(contest)
        audit.record("contest.deleted", election.id, {"contest": contest.code})


def _meta_value(value: str | int | float | bool) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def core_contest(contest: Contest, *, groups: bool = True) -> core.Contest:
    """The counting core's view of a stored contest; casting and counting both start here.

    Agenda ids are the agendas' codes. ``max_length`` is the ranks limit for ordinal ballots,
    1 for choose-1 ballots, and the selections limit otherwise; the knapsack cap is the budget.
    ``meta`` carries the rule and its options as strings, as a pabulib META section would;
    ``exclusive`` the exclusive groups (left out with ``groups=False``, for checks made before
    the agendas they name exist).
    """
    ballot_type = BallotType(contest.ballot_type)
    if ballot_type is BallotType.ORDINAL:
        max_length = contest.max_ranks
    elif ballot_type is BallotType.CHOOSE_ONE:
        max_length = 1
    else:
        max_length = contest.max_selections
    rules = core.BallotRules(
        min_length=contest.min_selections,
        max_length=max_length,
        max_cost=Fraction(contest.budget) if contest.knapsack_cap else None,
        max_points=contest.points_total,
        max_points_per_agenda=contest.max_points_per_agenda,
    )
    meta = {key: _meta_value(value) for key, value in (contest.rule_options or {}).items()}
    meta["rule"] = contest.rule
    agendas = tuple(
        core.Agenda(
            id=agenda.code, cost=Fraction(agenda.cost), name=agenda.title_en or agenda.title_ko
        )
        for agenda in contest.agendas
    )
    return core.Contest(
        agendas=agendas,
        budget=Fraction(contest.budget),
        ballot_type=ballot_type,
        rules=rules,
        meta=meta,
        exclusive=tuple(tuple(group) for group in contest.exclusive_groups or ()) if groups else (),
    )
