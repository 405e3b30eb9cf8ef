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

Exclusive groups (``Contest.exclusive``) add "at most one agenda of each group" to the program
(a multiple-choice knapsack); the search rules out an item's rivals when it takes it, and the
relaxation, which ignores them, remains an upper bound.

Ties: many sets can share the optimum. The outcome is the one that is first in the tie-break
order, lexicographically: agendas are decided one by one in that order, each funded if some
optimal set funds it together with the agendas already funded. Agendas nobody gains from (zero
total satisfaction) are never funded, though funding them would not lower the welfare.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from fractions import Fraction

from votesvc.tally.model import Agenda, Contest, Profile
from votesvc.tally.outcome import Outcome, Round, Tie
from votesvc.tally.satisfaction import Satisfaction, support, total_satisfaction
from votesvc.tally.ties import TieBreak

Item = tuple[int, int]
"""(scaled cost, scaled satisfaction), both positive integers."""


def best_welfare(
    items: Sequence[Item],
    capacity: int,
    rivals: Sequence[Collection[int]] = (),
    allowed: Iterable[int] | None = None,
) -> int:
    """The largest total satisfaction of items with total cost <= ``capacity`` (exact).

    ``rivals[i]`` are the items that cannot be taken with item ``i`` (exclusive groups; empty:
    none); ``allowed`` limits the choice to those item indices (default: all). The linear
    relaxation ignores rivals, so it stays an upper bound; taking an item rules its rivals out.
    """
    chosen = range(len(items)) if allowed is None else allowed
    free = sum(items[i][1] for i in chosen if items[i][0] == 0 and not (rivals and rivals[i]))
    ordered = sorted(
        (
            i
            for i in chosen
            if 0 < items[i][0] <= capacity or (items[i][0] == 0 and rivals and rivals[i])
        ),
        key=lambda i: (items[i][0] == 0, Fraction(items[i][1], items[i][0] or 1)),
        reverse=True,
    )
    size = len(ordered)
    best = 0

    def bound(index: int, room: int, value: int, blocked: frozenset[int]) -> int:
        for i in ordered[index:]:
            if i in blocked:
                continue
            cost, gain = items[i]
            if cost > room:
                return value + gain * room // cost
            room -= cost
            value += gain
        return value

    def search(index: int, room: int, value: int, blocked: frozenset[int]) -> None:
        nonlocal best
        best = max(best, value)
        if index == size or bound(index, room, value, blocked) <= best:
            return
        i = ordered[index]
        cost, gain = items[i]
        if cost <= room and i not in blocked:
            taken = blocked | frozenset(rivals[i]) if rivals else blocked
            search(index + 1, room - cost, value + gain, taken)
        search(index + 1, room, value, blocked)

    search(0, capacity, 0, frozenset())
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
    place = {a.id: i for i, a in enumerate(wanted)}
    rivals = (
        [frozenset(place[q] for q in contest.conflicts.get(a.id, ()) if q in place) for a in wanted]
        if contest.conflicts
        else []
    )
    room = int(contest.budget * cost_unit)
    target = best_welfare(items, room, rivals)
    selected: list[str] = []
    rounds: list[Round] = []
    ties: list[Tie] = []
    blocked: set[int] = set()
    for index, agenda in enumerate(wanted):
        cost, gain = items[index]
        later = [i for i in range(index + 1, len(items)) if i not in blocked]
        number = index + 1
        details = {"satisfaction": str(totals[agenda.id]), "cost": str(agenda.cost)}
        rival = contest.conflict(agenda.id, selected)
        if rival is not None:
            reason = f"conflicts with {rival}, funded first"
            rounds.append(
                Round(number, "skip", agenda.id, {**details, "conflict": rival, "reason": reason})
            )
            continue
        without = rivals[index] if rivals else frozenset()
        rest = [i for i in later if i not in without]
        if cost <= room and gain + best_welfare(items, room - cost, rivals, rest) == target:
            if best_welfare(items, room, rivals, later) == target:
                ties.append(Tie(number, (agenda.id,), agenda.id, str(tie_break)))
                details["tie"] = "an optimal set without it exists"
            selected.append(agenda.id)
            blocked.update(without)
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
