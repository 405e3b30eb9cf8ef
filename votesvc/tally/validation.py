"""Checks on one allocation ballot before it is accepted: every problem, each with a stable code.

A ballot is checked whole, never stopping at the first problem, so a voter (or a kiosk syncing a
queued ballot) sees everything to fix at once. ``code`` is machine-stable (the API translates it);
``message`` is plain English with the figures (marked ``N_`` for the catalogues, which the
edges translate); ``agenda`` names the agenda concerned, if one is.

Codes:

- every ballot type: ``unknown_agenda``, ``duplicate_agenda``, ``too_few_choices``,
  ``too_many_choices`` (``min_length``/``max_length``; choose-1 allows one), ``over_cost_limit``
  and ``under_cost_minimum`` (the selected agendas' total cost against ``max_cost``/``min_cost``:
  the knapsack cap);
- cumulative and scoring ballots: ``points_mismatch`` (not one number per agenda),
  ``negative_points`` (cumulative only), ``too_many_points``/``too_few_points`` (the total),
  ``agenda_points_too_high``/``agenda_points_too_low`` (one agenda's points);
- other ballot types: ``unexpected_points``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from votesvc.tally.model import Agenda, BallotType, Contest
from votesvc.tally.text import N_

POINTS_BALLOTS = frozenset({BallotType.CUMULATIVE, BallotType.SCORING})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a ballot; ``agenda`` names the agenda concerned, if any."""

    code: str
    message: str
    agenda: str | None = None


def _money(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}"


def validate_ballot(
    contest: Contest, choices: Sequence[str], points: Sequence[int] = ()
) -> list[Problem]:
    """Every problem with a ballot for ``contest`` listing ``choices`` (ranked, for ordinal).

    ``points`` is parallel to ``choices`` for cumulative and scoring ballots, empty otherwise.
    An empty list means the ballot is valid.
    """
    problems: list[Problem] = []
    known = contest.by_id
    ranks = contest.ballot_type is BallotType.ORDINAL
    seen: set[str] = set()
    for choice in choices:
        if choice not in known:
            text = N_("%(agenda)s is not on this ballot.") % {"agenda": choice}
            problems.append(Problem("unknown_agenda", text, choice))
        elif choice in seen:
            text = N_("%(agenda)s is marked twice.") % {"agenda": choice}
            problems.append(Problem("duplicate_agenda", text, choice))
        seen.add(choice)
    problems.extend(_length_problems(contest, len(choices), ranks))
    problems.extend(_cost_problems(contest, [known[c] for c in seen if c in known]))
    if contest.ballot_type in POINTS_BALLOTS:
        problems.extend(_points_problems(contest, choices, points))
    elif points:
        text = N_("%(ballot_type)s ballots carry no points.") % {"ballot_type": contest.ballot_type}
        problems.append(Problem("unexpected_points", text))
    return problems


def _length_problems(contest: Contest, length: int, ranks: bool) -> list[Problem]:
    rules = contest.rules
    most = rules.max_length
    if contest.ballot_type is BallotType.CHOOSE_ONE:
        most = 1 if most is None else min(most, 1)
    if rules.min_length is not None and length < rules.min_length:
        if ranks:
            text = N_("At least %(least)s ranks are needed; the ballot has %(length)s.")
        else:
            text = N_("At least %(least)s choices are needed; the ballot has %(length)s.")
        return [Problem("too_few_choices", text % {"least": rules.min_length, "length": length})]
    if most is not None and length > most:
        if ranks:
            text = N_("At most %(most)s ranks are allowed; the ballot has %(length)s.")
        else:
            text = N_("At most %(most)s choices are allowed; the ballot has %(length)s.")
        return [Problem("too_many_choices", text % {"most": most, "length": length})]
    return []


def _cost_problems(contest: Contest, agendas: list[Agenda]) -> list[Problem]:
    rules = contest.rules
    if rules.max_cost is None and rules.min_cost is None:
        return []
    total = _exact_sum(agenda.cost for agenda in agendas)
    if rules.max_cost is not None and total > rules.max_cost:
        text = N_("Total cost %(total)s exceeds the limit %(limit)s.")
        figures = {"total": _money(total), "limit": _money(rules.max_cost)}
        return [Problem("over_cost_limit", text % figures)]
    if rules.min_cost is not None and total < rules.min_cost:
        text = N_("Total cost %(total)s is below the minimum %(minimum)s.")
        figures = {"total": _money(total), "minimum": _money(rules.min_cost)}
        return [Problem("under_cost_minimum", text % figures)]
    return []


def _exact_sum(amounts: Iterable[Fraction]) -> Fraction:
    """The exact sum; whole amounts (every cost the service stores) are added as integers and
    joined to the rest once, which is the same Fraction at a fraction of the cost (each
    ballot a kiosk syncs is checked here)."""
    whole, rest = 0, Fraction(0)
    for amount in amounts:
        if amount.denominator == 1:
            whole += amount.numerator
        else:
            rest += amount
    return rest + whole


def _points_problems(
    contest: Contest, choices: Sequence[str], points: Sequence[int]
) -> list[Problem]:
    if len(points) != len(choices):
        text = N_("Each of the %(choices)s choices needs its points; %(points)s were given.")
        return [Problem("points_mismatch", text % {"choices": len(choices), "points": len(points)})]
    rules = contest.rules
    problems: list[Problem] = []
    for choice, value in zip(choices, points, strict=True):
        if contest.ballot_type is BallotType.CUMULATIVE and value < 0:
            text = N_("%(agenda)s has %(points)s points.") % {"agenda": choice, "points": value}
            problems.append(Problem("negative_points", text, choice))
        if rules.max_points_per_agenda is not None and value > rules.max_points_per_agenda:
            text = N_("%(agenda)s has %(points)s points; at most %(most)s allowed.")
            figures = {"agenda": choice, "points": value, "most": rules.max_points_per_agenda}
            problems.append(Problem("agenda_points_too_high", text % figures, choice))
        if rules.min_points_per_agenda is not None and value < rules.min_points_per_agenda:
            text = N_("%(agenda)s has %(points)s points; at least %(least)s needed.")
            figures = {"agenda": choice, "points": value, "least": rules.min_points_per_agenda}
            problems.append(Problem("agenda_points_too_low", text % figures, choice))
    total = sum(points)
    if rules.max_points is not None and total > rules.max_points:
        text = N_("%(points)s points given; at most %(most)s allowed.")
        problems.append(
            Problem("too_many_points", text % {"points": total, "most": rules.max_points})
        )
    if rules.min_points is not None and total < rules.min_points:
        text = N_("%(points)s points given; at least %(least)s needed.")
        problems.append(
            Problem("too_few_points", text % {"points": total, "least": rules.min_points})
        )
    return problems
