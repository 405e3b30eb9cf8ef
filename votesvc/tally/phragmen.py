"""Sequential Phragmén, exactly as pabutools' ``sequential_phragmen``, and an exhaustive variant.

Every voter carries a load, starting at 0. Funding agenda ``a`` spreads its cost over its
supporters so that they all end with the same load, ``(their loads + cost) / supporters``; each
round funds the agenda for which that load is lowest (ties in the tie-break order). As in
pabutools, ``phragmen`` stops as soon as one of the lowest-load agendas does not fit the budget
(agendas dearer than the whole budget are left out from the start);
``phragmen-exhaustive`` instead drops agendas that no longer fit and goes on. An agenda nobody
supports has an infinite load, so it comes last. Supporters are the voters who list an agenda
(pabutools accepts approval ballots only; here any ballot's listed agendas count as approved).
An agenda that conflicts with a funded one (``Contest.exclusive``) leaves the count when its
turn comes, as if it had never been proposed: it neither stops ``phragmen`` nor is funded.

How it is fast and exact: a load never decreases, so an agenda's load only rises from round to
round and a stale value is a lower bound. A priority queue keyed by lower bounds recomputes
only the agendas that reach the top (a "lazy" greedy): an agenda is funded only when its exact
load is at most every other agenda's bound, and every agenda whose bound reaches that load is
computed exactly to find ties. Recomputing needs the sum of the supporters' loads: voters are
bits of Python integers, one bitmask per agenda, and voters with equal loads share a class
bitmask, so the sum is ``sum(load * popcount(supporters & class))``. A float estimate of it,
lowered by a safety margin, is used only to push back agendas clearly above the top of the
queue; every decision compares exact ``Fraction``s.
"""

from __future__ import annotations

import heapq
from fractions import Fraction

from votesvc.tally.model import Contest, Profile
from votesvc.tally.outcome import Outcome, Round, Tie
from votesvc.tally.ties import TieBreak

INFINITE = float("inf")

SAFETY = 1e-9
"""Relative margin under a float estimate of a load: the estimate sums a few dozen rounded
products (relative error about 1e-14), so ``estimate * (1 - SAFETY)`` is a true lower bound."""

Load = Fraction | float
"""An exact load, or ``INFINITE`` for an agenda nobody supports."""


def supporter_masks(contest: Contest, profile: Profile) -> dict[str, int]:
    """One bitmask per agenda: bit ``v`` is set if voter ``v`` lists it.

    Voters are numbered group by group, so a group of ``n`` identical ballots is ``n``
    consecutive bits.
    """
    size = (profile.voters + 7) // 8
    arrays = {a.id: bytearray(size) for a in contest.agendas}
    start = 0
    for group in profile.groups:
        if group.count == 1:  # most groups: one byte, one bit
            byte, bit = start >> 3, 1 << (start & 7)
            for agenda_id in group.choices:
                arrays[agenda_id][byte] |= bit
        else:
            for agenda_id in group.choices:
                array = arrays[agenda_id]
                for voter in range(start, start + group.count):
                    array[voter >> 3] |= 1 << (voter & 7)
        start += group.count
    return {k: int.from_bytes(v, "little") for k, v in arrays.items()}


def phragmen(
    contest: Contest,
    profile: Profile,
    *,
    tie_break: TieBreak,
    exhaustive: bool = False,
    rule: str | None = None,
) -> Outcome:
    """Count ``contest`` with sequential Phragmén (``exhaustive``: skip what does not fit)."""
    masks = supporter_masks(contest, profile)
    counts = {k: m.bit_count() for k, m in masks.items()}
    ranks = tie_break.ranks(contest, profile)
    cost = {a.id: a.cost for a in contest.agendas}
    cost_estimate = {a.id: float(a.cost) for a in contest.agendas}
    classes: list[tuple[Fraction, float, int]] = []
    """(load, the load as a float, voters carrying it) for every load above 0."""

    def shares(agenda_id: str) -> list[int]:
        """How many of the agenda's supporters are in each load class."""
        mask = masks[agenda_id]
        return [(mask & voters).bit_count() for _, _, voters in classes]

    def load_if_funded(agenda_id: str, counted: list[int] | None = None) -> Load:
        if counts[agenda_id] == 0:
            return INFINITE
        counted = shares(agenda_id) if counted is None else counted
        carried = sum((c[0] * n for c, n in zip(classes, counted, strict=True)), Fraction(0))
        return (carried + cost[agenda_id]) / counts[agenda_id]

    def low_estimate(agenda_id: str, counted: list[int]) -> float:
        """A float at most the exact load (the float sum's error is far below ``SAFETY``)."""
        carried = sum(c[1] * n for c, n in zip(classes, counted, strict=True))
        return (carried + cost_estimate[agenda_id]) / counts[agenda_id] * (1 - SAFETY)

    queue = [
        (load_if_funded(a.id), ranks[a.id], a.id)
        for a in contest.agendas
        if a.cost <= contest.budget
    ]
    heapq.heapify(queue)
    remaining = contest.budget
    selected: list[str] = []
    rounds: list[Round] = []
    ties: list[Tie] = []

    def drop_misfit(agenda_id: str) -> bool:
        """Drop an agenda a funded one rules out, or (exhaustive) one that no longer fits."""
        rival = contest.conflict(agenda_id, selected)
        if rival is not None:
            reason = f"conflicts with {rival}, funded first"
            details = {"conflict": rival, "reason": reason}
            rounds.append(Round(len(rounds) + 1, "skip", agenda_id, details))
            return True
        if exhaustive and cost[agenda_id] > remaining:
            rounds.append(Round(len(rounds) + 1, "skip", agenda_id, {"reason": "does not fit"}))
            return True
        return False

    while queue:
        _, rank, agenda_id = heapq.heappop(queue)
        if drop_misfit(agenda_id):
            continue
        counted = shares(agenda_id)
        if queue and counts[agenda_id]:
            low = low_estimate(agenda_id, counted)
            if low > queue[0][0]:  # clearly not the lowest: no exact arithmetic needed
                heapq.heappush(queue, (low, rank, agenda_id))
                continue
        value = load_if_funded(agenda_id, counted)
        if queue and value > queue[0][0]:
            heapq.heappush(queue, (value, rank, agenda_id))
            continue
        tied = [(rank, agenda_id)]
        later = []
        while queue and queue[0][0] <= value:
            _, other_rank, other = heapq.heappop(queue)
            if drop_misfit(other):
                continue
            other_value = load_if_funded(other)
            if other_value == value:
                tied.append((other_rank, other))
            else:
                later.append((other_value, other_rank, other))
        tied.sort()
        number = len(rounds) + 1
        details = {"load": str(value), "supporters": counts[tied[0][1]]}
        misfits = [a for _, a in tied if cost[a] > remaining]
        if misfits:
            details["reason"] = f"{', '.join(misfits)} does not fit"
            rounds.append(Round(number, "stop", misfits[0], details))
            break
        chosen = tied[0][1]
        if len(tied) > 1:
            ties.append(Tie(number, tuple(a for _, a in tied), chosen, str(tie_break)))
        remaining -= cost[chosen]
        selected.append(chosen)
        rounds.append(Round(number, "select", chosen, {**details, "left": str(remaining)}))
        if value != INFINITE:
            funded = masks[chosen]
            kept = [(load, guess, voters & ~funded) for load, guess, voters in classes]
            classes[:] = [entry for entry in kept if entry[2]]
            classes.append((Fraction(value), float(value), funded))
        for entry in later:
            heapq.heappush(queue, entry)
        for other_rank, other in tied[1:]:
            heapq.heappush(queue, (value, other_rank, other))
    return Outcome(
        rule=rule or ("phragmen-exhaustive" if exhaustive else "phragmen"),
        selected=tuple(selected),
        total_cost=contest.budget - remaining,
        budget=contest.budget,
        support={k: Fraction(v) for k, v in counts.items()},
        rounds=tuple(rounds),
        ties=tuple(ties),
        options={"tie_break": str(tie_break)},
    )
