"""Ballot forms: one contest as a person marks it, and the form they post read back.

Every ballot type is a plain HTML form that works without JavaScript: checkboxes (approval,
the knapsack), radio buttons (choose one), number fields (points) and one rank select per
agenda (ranked; never drag-and-drop). The posted form becomes the same ``choices``/``points``
the API takes, and the counting core's validator (through
:func:`votesvc.services.selections.selection_problems`) says what is wrong; this module only
places each problem next to the agenda it names and words it in the page's language. The
JavaScript in ``static/js/ballot.js`` adds live counters and the budget meter on top of the
same markup, reading the limits from ``data-`` attributes written here.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from votesvc.i18n import detail
from votesvc.models import Agenda, Contest
from votesvc.services.contests import core_contest
from votesvc.services.selections import Mark, selection_problems
from votesvc.tally.model import BallotType
from votesvc.tally.validation import Problem
from votesvc.web.locale import current_lang

APPROVAL, KNAPSACK, CHOOSE_ONE, POINTS, RANKED = (
    "approval",
    "knapsack",
    "choose-1",
    "points",
    "ranked",
)


def in_order(contest: Contest, seed: str) -> list[Agenda]:
    """The agendas as this voter's page lists them: stored order, or for a contest that
    shuffles, an order drawn from the voter's own seed (the same on every visit to the step,
    different for the next voter)."""
    agendas = list(contest.agendas)
    if contest.shuffle_agendas:
        random.Random(f"{seed}:{contest.code}").shuffle(agendas)
    return agendas


def kind_of(contest: Contest) -> str:
    """Which form a contest's ballot is: the knapsack is an approval ballot capped by cost."""
    ballot_type = BallotType(contest.ballot_type)
    if ballot_type is BallotType.ORDINAL:
        return RANKED
    if ballot_type in (BallotType.CUMULATIVE, BallotType.SCORING):
        return POINTS
    if ballot_type is BallotType.CHOOSE_ONE:
        return CHOOSE_ONE
    return KNAPSACK if contest.knapsack_cap else APPROVAL


@dataclass
class Marked:
    """What a voter marked in one contest, in the API's shape, and the form's own problems
    (a points field that is not a whole number never reaches the validator)."""

    choices: list[Mark] = field(default_factory=list)
    points: list[int] = field(default_factory=list)
    form_problems: dict[str, str] = field(default_factory=dict)

    def selection(self) -> dict[str, Any]:
        body: dict[str, Any] = {"choices": self.choices}
        if self.points:
            body["points"] = self.points
        return body

    @property
    def empty(self) -> bool:
        return not any(mark is not None for mark in self.choices)

    def chosen(self, code: str) -> bool:
        return code in self.choices

    def points_of(self, code: str) -> int | None:
        for choice, value in zip(self.choices, self.points, strict=False):
            if choice == code:
                return value
        return None

    def rank_of(self, code: str) -> int | None:
        for number, mark in enumerate(self.choices, start=1):
            if mark == code or (isinstance(mark, list) and code in mark):
                return number
        return None


def marked_agendas(contest: Contest, marked: Marked) -> list[Agenda]:
    """The agendas marked, as the review lists them: by rank on a ranked ballot (skipped
    ranks leave no line), otherwise in ballot order."""
    by_code = {agenda.code: agenda for agenda in contest.agendas}
    if kind_of(contest) == RANKED:
        return [by_code[m] for m in marked.choices if isinstance(m, str) and m in by_code]
    return [agenda for agenda in contest.agendas if marked.chosen(agenda.code)]


def from_selection(selection: Mapping[str, Any] | None) -> Marked:
    """A selection kept in the session (the API's shape) as the form shows it again."""
    if not selection:
        return Marked()
    return Marked(list(selection.get("choices", [])), list(selection.get("points", [])))


def read_form(contest: Contest, form: MultiDict[str, str]) -> Marked:
    """The posted form of ``contest``'s step as a selection. Fields name agendas by code;
    codes not on the ballot are kept so that the validator reports them."""
    kind = kind_of(contest)
    codes = [agenda.code for agenda in contest.agendas]
    marked = Marked()
    if kind in (APPROVAL, KNAPSACK, CHOOSE_ONE):
        chosen = set(form.getlist("choice"))
        marked.choices = [code for code in codes if code in chosen]
        marked.choices += sorted(chosen.difference(codes))
    elif kind == POINTS:
        for code in codes:
            text = form.get(f"points-{code}", "").strip()
            if not text:
                continue
            if not text.lstrip("-").isdigit() or len(text) > 12:
                marked.form_problems[code] = _("Enter a whole number of points.")
                continue
            value = int(text)
            if value or contest.ballot_type == BallotType.SCORING.value:
                marked.choices.append(code)
                marked.points.append(value)
    else:
        marked.choices = _ranking(codes, form, marked.form_problems)
    return marked


def _ranking(
    codes: Sequence[str], form: MultiDict[str, str], problems: dict[str, str]
) -> list[Mark]:
    """Ranks as marked: rank ``n`` holds the agenda given ``n``, a rank nobody was given is a
    skipped one. Two agendas at one rank are refused here whatever the contest's overvote
    rule: a count may have to read paper ballots marked that way, but a page that lets a
    voter do it by a slip of the finger would waste their ballot."""
    at: dict[int, list[str]] = {}
    for code in codes:
        text = form.get(f"rank-{code}", "").strip()
        if text.isdigit() and 0 < int(text) <= len(codes):
            at.setdefault(int(text), []).append(code)
    for names in at.values():
        if len(names) > 1:
            problems.update(
                dict.fromkeys(names, _("Two agendas share one rank: give each its own rank."))
            )
    if not at:
        return []
    marks: list[Mark] = []
    for number in range(1, max(at) + 1):
        names = at.get(number, [])
        marks.append(None if not names else names[0] if len(names) == 1 else names)
    return marks


def problems(contest: Contest, marked: Marked) -> list[Problem]:
    """The counting core's problems with what was marked (none for an empty step: leaving
    a contest blank is an abstention, checked when the whole ballot is cast)."""
    if marked.empty:
        return []
    return selection_problems(core_contest(contest), marked.choices, marked.points)


def placed_problems(contest: Contest, marked: Marked) -> dict[str, list[str]]:
    """Each problem in the page's language under the agenda it names, or under ``""`` for
    the contest as a whole; empty when the step may be kept. The validator's own words,
    translated as the API translates them (:func:`votesvc.i18n.detail`): one wording of each
    rule for every edge."""
    placed: dict[str, list[str]] = {code: [text] for code, text in marked.form_problems.items()}
    if placed:
        return placed
    for problem in problems(contest, marked):
        placed.setdefault(problem.agenda or "", []).append(detail(problem.message, current_lang()))
    return placed


def limit_of(contest: Contest) -> int | None:
    """The most agendas a voter may mark (ranks, for a ranked ballot)."""
    if contest.ballot_type == BallotType.CHOOSE_ONE.value:
        return 1
    if contest.ballot_type == BallotType.ORDINAL.value:
        return contest.max_ranks or len(contest.agendas)
    return contest.max_selections


def rule_sentence(contest: Contest) -> str:
    """The counting rule in one plain sentence."""
    rule = contest.rule
    if rule.startswith("equalshares"):
        return _(
            "Method of Equal Shares: the budget is shared equally among the voters, and an "
            "agenda is funded when its supporters' shares can pay for it together."
        )
    if rule.startswith("phragmen"):
        return _(
            "Sequential Phragmén: agendas are funded one by one, each time the one whose "
            "supporters can pay for it soonest, sharing the cost among them."
        )
    if rule == "max-welfare":
        return _("The funded agendas are the set within the budget that the most votes support.")
    if rule == "irv":
        return _(
            "Instant runoff: the agenda with the fewest first choices drops out round by round "
            "and its ballots go to their next choice, until one has a majority."
        )
    if rule in ("stv", "block"):
        return _(
            "Ranked count: ballots move to their next choice as agendas are elected or drop "
            "out, until every seat is filled."
        )
    return _(
        "Agendas are funded in order of votes, most first, as long as the budget still covers them."
    )
