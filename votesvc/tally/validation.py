"""Checks on one allocation ballot before it is accepted: every problem, each with a stable code.

A ballot is checked whole, never stopping at the first problem, so a voter (or a kiosk syncing a
queued ballot) sees everything to fix at once. ``code`` is machine-stable (the API translates it);
``message`` is plain English with the figures; ``agenda`` names the agenda concerned, if one is.

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
    noun = "ranks" if contest.ballot_type is BallotType.ORDINAL else "choices"
    seen: set[str] = set()
    for choice in choices:
        if choice not in known:
            problems.append(Problem("unknown_agenda", f"{choice} is not on this ballot.", choice))
        elif choice in seen:
            problems.append(Problem("duplicate_agenda", f"{choice} is marked twice.", choice))
        seen.add(choice)
    problems.extend(_length_problems(contest, len(choices), noun))
    problems.extend(_cost_problems(contest, [known[c] for c in seen if c in known]))
    if contest.ballot_type in POINTS_BALLOTS:
        problems.extend(_points_problems(contest, choices, points))
    elif points:
        problems.append(
            Problem("unexpected_points", f"{contest.ballot_type} ballots carry no points.")
        )
    return problems


def _length_problems(contest: Contest, length: int, noun: str) -> list[Problem]:
    rules = contest.rules
    most = rules.max_length
    if contest.ballot_type is BallotType.CHOOSE_ONE:
        most = 1 if most is None else min(most, 1)
    if rules.min_length is not None and length < rules.min_length:
        return [
            Problem(
                "too_few_choices",
                f"At least {rules.min_length} {noun} are needed; the ballot has {length}.",
            )
        ]
    if most is not None and length > most:
        return [
            Problem(
                "too_many_choices", f"At most {most} {noun} are allowed; the ballot has {length}."
            )
        ]
    return []


def _cost_problems(contest: Contest, agendas: list[Agenda]) -> list[Problem]:
    rules = contest.rules
    if rules.max_cost is None and rules.min_cost is None:
        return []
    total = _exact_sum(agenda.cost for agenda in agendas)
    if rules.max_cost is not None and total > rules.max_cost:
        return [
            Problem(
                "over_cost_limit",
                f"Total cost {_money(total)} exceeds the limit {_money(rules.max_cost)}.",
            )
        ]
    if rules.min_cost is not None and total < rules.min_cost:
        return [
            Problem(
                "under_cost_minimum",
                f"Total cost {_money(total)} is below the minimum {_money(rules.min_cost)}.",
            )
        ]
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
        return [
            Problem(
                "points_mismatch",
                f"Each of the {len(choices)} choices needs its points; {len(points)} were given.",
            )
        ]
    rules = contest.rules
    problems: list[Problem] = []
    for choice, value in zip(choices, points, strict=True):
        if contest.ballot_type is BallotType.CUMULATIVE and value < 0:
            problems.append(Problem("negative_points", f"{choice} has {value} points.", choice))
        if rules.max_points_per_agenda is not None and value > rules.max_points_per_agenda:
            problems.append(
                Problem(
                    "agenda_points_too_high",
                    f"{choice} has {value} points; at most {rules.max_points_per_agenda} allowed.",
                    choice,
                )
            )
        if rules.min_points_per_agenda is not None and value < rules.min_points_per_agenda:
            problems.append(
                Problem(
                    "agenda_points_too_low",
                    f"{choice} has {value} points; at least {rules.min_points_per_agenda} needed.",
                    choice,
                )
            )
    total = sum(points)
    if rules.max_points is not None and total > rules.max_points:
        problems.append(
            Problem("too_many_points", f"{total} points given; at most {rules.max_points} allowed.")
        )
    if rules.min_points is not None and total < rules.min_points:
        problems.append(
            Problem("too_few_points", f"{total} points given; at least {rules.min_points} needed.")
        )
    return problems
