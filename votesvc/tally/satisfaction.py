"""Satisfaction measures: how much a voter gains when an agenda is funded.

Every measure here is additive and factors as ``weight(ballot, agenda) * scale(agenda)``: the
weight is what the ballot gives the agenda, the scale is the agenda's cost or 1. The four
measures named after pabutools' classes give exactly its values:

- ``cost`` (``Cost_Sat``): the agenda's cost for every voter who lists it;
- ``cardinality`` (``Cardinality_Sat``): 1 for every voter who lists it;
- ``points`` (``Additive_Cardinal_Sat``): the points (or score) the voter gave it;
- ``borda`` (``Additive_Borda_Sat``): ``len(ballot) - position - 1`` on an ordinal ballot, so
  the last-ranked agenda gives 0 (pabutools' definition, not the 3-2-1 points cities publish).

``score`` is the agenda's published score times its cost, which makes greedy rank by the score
cities publish and pabulib's checker verifies: supporters on approval and choose-1 ballots
(where it equals ``cost``), points on cumulative and scoring ballots, and positional points
``k - position`` on ordinal ballots with ``k`` the ballot's maximum length (Kraków's 3, 2, 1).

"Listing" an agenda is what pabutools calls ``project in ballot``: on points ballots an agenda
given 0 points is listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from fractions import Fraction

from votesvc.tally.model import Agenda, BallotGroup, BallotType, Contest, Profile


class Satisfaction(StrEnum):
    COST = "cost"
    CARDINALITY = "cardinality"
    POINTS = "points"
    BORDA = "borda"
    SCORE = "score"


_POINTS_BALLOTS = frozenset({BallotType.CUMULATIVE, BallotType.SCORING})

APPLIES: dict[Satisfaction, frozenset[BallotType]] = {
    Satisfaction.COST: frozenset(BallotType),
    Satisfaction.CARDINALITY: frozenset(BallotType),
    Satisfaction.POINTS: _POINTS_BALLOTS,
    Satisfaction.BORDA: frozenset({BallotType.ORDINAL}),
    Satisfaction.SCORE: frozenset(BallotType),
}
"""Which ballot types each measure can read (pabutools refuses the same combinations)."""

_COST_SCALED = frozenset({Satisfaction.COST, Satisfaction.SCORE})


class SatisfactionError(ValueError):
    """A measure that cannot read the contest's ballots, or an unknown measure name."""


def parse_satisfaction(name: str | Satisfaction, ballot_type: BallotType) -> Satisfaction:
    """The measure called ``name``, checked against the ballot type it will read."""
    try:
        measure = Satisfaction(name)
    except ValueError:
        known = ", ".join(s.value for s in Satisfaction)
        raise SatisfactionError(f"unknown satisfaction {name!r}; use one of {known}") from None
    if ballot_type not in APPLIES[measure]:
        raise SatisfactionError(f"the {measure} satisfaction cannot read {ballot_type} ballots")
    return measure


def default_satisfaction(ballot_type: BallotType) -> Satisfaction:
    """What "by votes" means for the ballot type: supporters, or the published score."""
    if ballot_type in (BallotType.APPROVAL, BallotType.CHOOSE_ONE):
        return Satisfaction.COST
    return Satisfaction.SCORE


def _unit_weights(measure: Satisfaction, ballot_type: BallotType) -> bool:
    """Whether every listed agenda weighs 1 (the common, fast case)."""
    if measure in (Satisfaction.COST, Satisfaction.CARDINALITY):
        return True
    return measure is Satisfaction.SCORE and ballot_type not in _POINTS_BALLOTS | {
        BallotType.ORDINAL
    }


def group_weights(
    group: BallotGroup, measure: Satisfaction, contest: Contest
) -> Iterator[tuple[str, int]]:
    """``(agenda id, weight)`` for every agenda the ballot lists, for one voter of ``group``."""
    choices = group.choices
    if _unit_weights(measure, contest.ballot_type):
        return ((c, 1) for c in choices)
    if measure is Satisfaction.BORDA:
        last = len(choices) - 1
        return ((c, last - i) for i, c in enumerate(choices))
    if measure is Satisfaction.POINTS or contest.ballot_type in _POINTS_BALLOTS:
        return zip(choices, group.points, strict=True)
    top = max(contest.rules.max_length or 0, len(choices))
    return ((c, top - i) for i, c in enumerate(choices))


def scale(measure: Satisfaction, agenda: Agenda) -> Fraction:
    """The factor the weight is multiplied by: the cost for ``cost`` and ``score``, else 1."""
    return agenda.cost if measure in _COST_SCALED else Fraction(1)


def support(contest: Contest, profile: Profile, measure: Satisfaction) -> dict[str, int]:
    """Every agenda's total weight over all voters (supporters, points or Borda score)."""
    totals = dict.fromkeys((a.id for a in contest.agendas), 0)
    if _unit_weights(measure, contest.ballot_type):
        for group in profile.groups:
            count = group.count
            for agenda_id in group.choices:
                totals[agenda_id] += count
        return totals
    for group in profile.groups:
        count = group.count
        for agenda_id, weight in group_weights(group, measure, contest):
            totals[agenda_id] += weight * count
    return totals


def supporters(contest: Contest, profile: Profile) -> dict[str, int]:
    """How many voters list each agenda (what Phragmén and the pabulib ``votes`` column count)."""
    return support(contest, profile, Satisfaction.CARDINALITY)


def total_satisfaction(
    contest: Contest, profile: Profile, measure: Satisfaction
) -> dict[str, Fraction]:
    """Every agenda's summed satisfaction if funded: ``support * scale``."""
    totals = support(contest, profile, measure)
    return {a.id: totals[a.id] * scale(measure, a) for a in contest.agendas}
