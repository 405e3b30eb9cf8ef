"""Exact maximum utilitarian welfare: the affordable set of agendas with the most satisfaction.

Method: the problem is the 0-1 knapsack integer linear program "maximise the summed
satisfaction of the funded agendas subject to their cost <= budget". It is solved exactly by
depth-first branch and bound whose bound is the program's linear relaxation (Dantzig's bound:
fill by satisfaction per cost, then a fraction of the first agenda that does not fit), on
integers: costs and satisfactions are scaled by the least common multiple of their
denominators, so ``400000.0`` or ``2458488.22`` cost nothing in exactness.

Why not dynamic programming over costs: the table has one cell per currency unit of budget
for each agenda, 2 billion cells for Warsaw 2026 (24 186 815 PLN, 83 agendas). Why not a
general ILP solver (pabutools uses CBC through pulp, or its own primal/dual branch and bound):
the core takes no dependencies, and one knapsack constraint needs no general solver.
Branch and bound is exponential in the worst case; on the shared files each optimum takes
milliseconds (see ``bench/allocation_simple.py``).

Ties: many sets can share the optimum. The outcome is the one that is first in the tie-break
order, lexicographically: agendas are decided one by one in that order, each funded if some
optimal set funds it together with the agendas already funded. Agendas nobody gains from (zero
total satisfaction) are never funded, though funding them would not lower the welfare.
"""

from __future__ import annotations

import math
from fractions import Fraction

from votesvc.tally.model import Agenda, Contest, Profile
from votesvc.tally.outcome import Outcome, Round, Tie
from votesvc.tally.satisfaction import Satisfaction, support, total_satisfaction
from votesvc.tally.ties import TieBreak

Item = tuple[int, int]
"""(scaled cost, scaled satisfaction), both positive integers."""


def best_welfare(items: list[Item], capacity: int) -> int:
    """The largest total satisfaction of items with total cost <= ``capacity`` (exact)."""
    free = sum(gain for cost, gain in items if cost == 0)
    ordered = sorted(
        (item for item in items if 0 < item[0] <= capacity),
        key=lambda item: Fraction(item[1], item[0]),
        reverse=True,
    )
    size = len(ordered)
    best = 0

    def bound(index: int, room: int, value: int) -> int:
        for cost, gain in ordered[index:]:
            if cost > room:
                return value + gain * room // cost
            room -= cost
            value += gain
        return value

    def search(index: int, room: int, value: int) -> None:
        nonlocal best
        best = max(best, value)
        if index == size or bound(index, room, value) <= best:
            return
        cost, gain = ordered[index]
        if cost <= room:
            search(index + 1, room - cost, value + gain)
        search(index + 1, room, value)

    search(0, capacity, 0)
    return best + free


def max_welfare(
    contest: Contest,
    profile: Profile,
    *,
    satisfaction: Satisfaction,
    tie_break: TieBreak,
    rule: str = "max-welfare",
) -> Outcome:
    """Fund the affordable set of greatest total ``satisfaction``, first in tie-break order."""
    totals = total_satisfaction(contest, profile, satisfaction)
    ranks = tie_break.ranks(contest, profile)
    wanted = sorted(
        (a for a in contest.agendas if totals[a.id] > 0 and a.cost <= contest.budget),
        key=lambda a: ranks[a.id],
    )
    cost_unit = math.lcm(contest.budget.denominator, *(a.cost.denominator for a in wanted))
    gain_unit = math.lcm(*(totals[a.id].denominator for a in wanted))

    def item(agenda: Agenda) -> Item:
        return (int(agenda.cost * cost_unit), int(totals[agenda.id] * gain_unit))

    items = [item(a) for a in wanted]
    room = int(contest.budget * cost_unit)
    target = best_welfare(items, room)
    selected: list[str] = []
    rounds: list[Round] = []
    ties: list[Tie] = []
    for index, agenda in enumerate(wanted):
        cost, gain = items[index]
        later = items[index + 1 :]
        number = index + 1
        details = {"satisfaction": str(totals[agenda.id]), "cost": str(agenda.cost)}
        if cost <= room and gain + best_welfare(later, room - cost) == target:
            if best_welfare(later, room) == target:
                ties.append(Tie(number, (agenda.id,), agenda.id, str(tie_break)))
                details["tie"] = "an optimal set without it exists"
            selected.append(agenda.id)
            room -= cost
            target -= gain
            rounds.append(Round(number, "select", agenda.id, details))
        else:
            rounds.append(Round(number, "reject", agenda.id, details))
    spent = sum((contest.agenda(a).cost for a in selected), Fraction(0))
    weights = support(contest, profile, satisfaction)
    return Outcome(
        rule=rule,
        selected=tuple(selected),
        total_cost=spent,
        budget=contest.budget,
        support={k: Fraction(v) for k, v in weights.items()},
        rounds=tuple(rounds),
        ties=tuple(ties),
        options={
            "satisfaction": satisfaction.value,
            "tie_break": str(tie_break),
            "welfare": str(sum((totals[a] for a in selected), Fraction(0))),
        },
    )
