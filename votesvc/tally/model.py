"""Data types shared by every allocation rule: contests, aggregated ballots and outcomes.

Amounts (costs, budgets) are ``fractions.Fraction`` so that pabulib's ``400000.0`` or
``2458488.22`` are held exactly; the service only ever stores integers, which convert losslessly.
Ballots are aggregated by identical content with a count, so a city of a million voters is a few
thousand rows and every rule's work scales with distinct ballots, not voters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction


class BallotType(StrEnum):
    """What a voter marks; the names are pabulib's ``vote_type`` vocabulary."""

    APPROVAL = "approval"
    CUMULATIVE = "cumulative"
    ORDINAL = "ordinal"
    CHOOSE_ONE = "choose-1"
    SCORING = "scoring"


@dataclass(frozen=True, slots=True)
class Agenda:
    """A proposed project. ``id`` is a string: real files use ids like ``L17/07/VII``."""

    id: str
    cost: Fraction
    name: str = ""


@dataclass(frozen=True, slots=True)
class BallotRules:
    """Limits a valid ballot keeps. ``None`` means no limit.

    ``min_cost``/``max_cost`` bound the selected agendas' total cost (``max_cost`` is the
    knapsack cap); ``min_points``/``max_points`` bound the points a cumulative ballot spreads in
    total and the ``*_per_agenda`` pair what one agenda may get (for scoring ballots: the score
    range); ``min_length``/``max_length`` apply to every ballot type (selections, or ranks for
    ordinal ballots). The pabulib META keys are ``min_sum_cost``, ``max_sum_cost``,
    ``min_sum_points``, ``max_sum_points``, ``min_points`` and ``max_points`` respectively.
    """

    min_length: int | None = None
    max_length: int | None = None
    max_cost: Fraction | None = None
    min_points: int | None = None
    max_points: int | None = None
    max_points_per_agenda: int | None = None
    min_cost: Fraction | None = None
    min_points_per_agenda: int | None = None


@dataclass(frozen=True, slots=True)
class Contest:
    """One question on the ballot: agendas, a budget, a ballot type and its rules.

    ``meta`` keeps whatever else the source said (pabulib META keys such as ``rule`` or
    ``min_project_score_threshold``), verbatim, so nothing read is lost on a round trip.

    ``exclusive`` lists groups of mutually exclusive agendas (two plans for one park, CONSUL's
    incompatible projects, Warsaw's ``greedy-exclusive``): every rule funds at most one agenda
    of each group. An agenda may sit in several groups; ``conflicts`` says, per agenda, which
    others a funded agenda rules out.
    """

    agendas: tuple[Agenda, ...]
    budget: Fraction
    ballot_type: BallotType = BallotType.APPROVAL
    rules: BallotRules = field(default_factory=BallotRules)
    meta: Mapping[str, str] = field(default_factory=dict)
    exclusive: tuple[tuple[str, ...], ...] = ()
    by_id: Mapping[str, Agenda] = field(init=False, repr=False, compare=False)
    """The agendas by id, built once: validating a ballot must not rebuild it each time."""
    conflicts: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {agenda.id: agenda for agenda in self.agendas})
        conflicts: dict[str, set[str]] = {}
        for group in self.exclusive:
            unknown = [agenda_id for agenda_id in group if agenda_id not in self.by_id]
            if unknown:
                raise ValueError(f"exclusive group {', '.join(group)}: no agenda {unknown[0]!r}")
            if len(set(group)) < 2:
                raise ValueError(f"exclusive group {', '.join(group)} needs two agendas or more")
            for agenda_id in group:
                conflicts.setdefault(agenda_id, set()).update(set(group) - {agenda_id})
        object.__setattr__(
            self, "conflicts", {key: frozenset(value) for key, value in conflicts.items()}
        )

    def conflict(self, agenda_id: str, funded: Iterable[str]) -> str | None:
        """The first of ``funded`` that rules ``agenda_id`` out, or None."""
        rivals = self.conflicts.get(agenda_id)
        if rivals:
            for other in funded:
                if other in rivals:
                    return other
        return None

    def agenda(self, agenda_id: str) -> Agenda:
        """The agenda called ``agenda_id`` (``KeyError`` if there is none)."""
        return self.by_id[agenda_id]


@dataclass(frozen=True, slots=True)
class BallotGroup:
    """``count`` identical ballots.

    ``choices`` lists agenda ids, each at most once: for ordinal ballots in rank order (first =
    most preferred); for the other types sorted by id (as strings), so that ballots naming the
    same agendas in another order aggregate into one group. ``points`` is parallel to
    ``choices`` for cumulative and scoring ballots and empty otherwise.
    """

    choices: tuple[str, ...]
    count: int = 1
    points: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Profile:
    """A contest's ballots, aggregated."""

    groups: tuple[BallotGroup, ...]

    @property
    def voters(self) -> int:
        return sum(group.count for group in self.groups)
