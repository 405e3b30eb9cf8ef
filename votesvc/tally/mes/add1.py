"""The Add1 completion of Equal Shares, skipping steps only where a proof says nothing changes.

The rule (equalshares.net, pabutools' ``voter_budget_increment=1``): run MES with a per-voter
budget ``b``, then ``b + 1``, ``b + 2``, ... (one currency unit per voter per step) and stop

- before the first step whose outcome costs more than the real budget (keep the last outcome);
- with ``exhaustive``, also at the first outcome to which no buyable agenda can be added within
  the budget (pabutools stops there; Wieliczka's official count did not).

Warsaw needs about 190 steps, Budapest 22 000. Most steps change nothing, and this module skips
runs of them with a certificate that cannot pass wrongly.

Why skipping is exact
---------------------
*Monotonicity.* Fix the order of purchases and run MES *forced* to buy in that order. Then, for
every round, every voter's budget is a non-decreasing function of the starting budget ``b`` and
every agenda's price a non-increasing one. By induction on rounds: at round 1 every budget is
``b``. A price is the least ``rho`` at which ``sum(min(budget_i, rho * sat_i))`` reaches the cost;
that sum grows with every budget, so the price falls when budgets rise. After a purchase at price
``rho`` a supporter keeps ``max(0, budget - rho * sat)``, which grows with its budget and falls
with ``rho``; the others keep theirs. The same argument shows more: if every budget lies between
those of two states ``L <= H`` (voter by voter), every price lies between the prices computed in
``H`` and in ``L``, and after buying ``p`` at its own price in each of ``L`` and ``H`` the budgets
still lie between the two results.

*Span* (``mes.floating.span``). For an interval ``[b0, b1]`` of starting budgets, follow the pair
``L`` = state at ``b0``, ``H`` = state at ``b1`` (float vectors rounded outwards, so they stay
bounds). At a round, the best price in ``L`` is an upper
bound on every ``b``'s best price; so the agenda any ``b`` buys is among those whose price in ``H``
is at most it (with equality kept, for ties). If there is one, buy it in both; if several, branch;
an agenda ``L`` cannot afford is "bought" there by emptying its supporters (still a lower bound).
Branches that have bought the same set merge into one pair, taking per voter the smaller
budget for ``L`` and the larger for ``H`` (still bounds for every ``b`` of either branch). A
branch ends when ``H`` can afford nothing (then no ``b`` can), and may end when ``L`` can afford
nothing. What comes out is a set containing the outcome of every ``b`` in ``[b0, b1]``.

*Steps.* Where the driver steps, it runs a stretch of steps top down, each starting from the
price bounds of the run one step above (``mes.floating.float_run``'s ``above``): with the same
order of purchases a lower budget has higher prices, so those bounds hold, and neighbours share
the longest prefix of purchases, so most rounds price the agenda the run above bought and rule
the others out cheaply. Runs are decided in floats where they can be (``mes.floating``) and the
outcome kept is counted exactly. The steps are then
taken bottom up as the rule says; if it stops inside a stretch, the runs above were in vain.

*Jump.* If no outcome in that set stops the rule (overspends, or with ``exhaustive`` is
exhaustive), the step rule walks from ``b0`` through every step up to ``b1`` without stopping,
so those steps are skipped without computing them. Otherwise nothing is concluded and the driver
tries a shorter jump, down to single steps (which are just computed). It gallops: after a proven
jump of ``d`` steps it tries ``2d``, after a failed one ``d / 4``, and after a failed jump of two
steps it steps plainly for a while (``BACKOFF``). ``span`` gives up when more than its width of
sets are followed at once, or when following them has taken ``WORK`` runs' worth of rounds: a
failed proof then costs a few runs, not dozens. Only jumps of ``LONG`` steps or more may
branch (up to ``WIDTH`` sets): where the order of purchases changes every few steps (Warsaw
2026, Bemowo) short jumps are what is tried, and branching proofs there fail and cost more than
the steps they would skip; where the order holds for hundreds of steps (Budapest) long jumps
are tried, and branches that meet again let them through. All of this decides only how much
is computed, never the outcome, and it is deterministic (no clocks), so the outcome's record of
runs is the same on every machine. ``tests/unit/test_mes_add1.py`` compares the result with
plain stepping on random and real elections, and checks that every budget inside a span (not only
the steps) has one of its outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from votesvc.tally.mes.exact import Instance, RunResult
from votesvc.tally.mes.floating import Outline, exact, outline, span


@dataclass(frozen=True, slots=True)
class Add1Record:
    """Steps ``first .. last`` (per-voter budgets in money units) and what they changed.

    A record with ``added`` or ``removed`` is one step; otherwise it summarises ``steps`` steps
    that all kept the selection, ``runs`` of which were computed (the others were proven).
    """

    first: Fraction
    last: Fraction
    steps: int
    runs: int
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    outcomes: int = 1
    """How many different selections the proof allowed for these steps (all of them go on)."""


@dataclass(frozen=True, slots=True)
class Add1Result:
    final: RunResult
    """The outcome kept, counted exactly (prices, ties)."""
    records: tuple[Add1Record, ...]
    stop: str
    """Why it stopped: ``exhaustive``, ``overspend`` (then ``overspent`` is that outcome), or
    ``constant`` (the budget reached ``ceiling``: the outcome cannot change any more)."""
    overspent: Outline | None
    runs: int


def _spend(inst: Instance, result: Outline | RunResult) -> int:
    return sum(inst.cost[p] for p in result.selected)


def is_exhaustive(
    inst: Instance, buyable: tuple[int, ...], result: Outline | RunResult, total: int
) -> bool:
    """No buyable agenda left out (and not ruled out by one funded) fits in what ``result``
    leaves of ``total``."""
    left = total - _spend(inst, result)
    out = inst.ruled_out(result.selected)
    return all(inst.cost[p] > left for p in buyable if p not in out)


class _Log:
    """Collects records, merging neighbouring steps that change nothing."""

    def __init__(self) -> None:
        self.records: list[Add1Record] = []

    def add(self, first: Fraction, last: Fraction, steps: int, runs: int, outcomes: int) -> None:
        if self.records and not (self.records[-1].added or self.records[-1].removed):
            prev = self.records[-1]
            self.records[-1] = Add1Record(
                prev.first,
                last,
                prev.steps + steps,
                prev.runs + runs,
                outcomes=max(prev.outcomes, outcomes),
            )
        else:
            self.records.append(Add1Record(first, last, steps, runs, outcomes=outcomes))

    def change(self, budget: Fraction, before: tuple[int, ...], after: Outline) -> None:
        old, new = set(before), set(after.selected)
        added = tuple(p for p in after.selected if p not in old)
        removed = tuple(p for p in before if p not in new)
        if not added and not removed:
            self.add(budget, budget, 1, 1, 1)
        else:
            self.records.append(Add1Record(budget, budget, 1, 1, added, removed))


WIDTH = 4
"""Most bought-sets ``span`` follows at once on a jump of ``LONG`` steps or more (Budapest,
CPU seconds: 3 sets 5.9, 4 sets 4.4-4.7, 5 sets 4.6, 6 sets 5.2-5.4, 8 sets 6.3)."""

LONG = 32
"""Jumps of at least this many steps may branch (up to ``WIDTH`` sets); shorter ones may not."""

WORK = 3
"""A jump's proof may follow at most this many runs' worth of branch-rounds (the rounds of the
last computed run, per branch): on Warsaw and Bemowo, where the order of purchases changes every
few steps, wide proofs that fail cost more than the steps they try to skip."""

BACKOFF = 256
"""After a failed jump of two steps the driver steps plainly 1, 2, 4, ... up to this many steps
before trying again (in stretches of at most ``STRETCH``), so where jumps keep failing it costs
little more than stepping: Bemowo tried 34 jumps with at most 16 (2 proven), Warsaw 2026 15 (none
proven); with 256, 372 runs instead of 412 and 208 instead of 222."""


STRETCH = 16
"""Most steps run at once, top down: if the rule stops inside a stretch, the runs above the
stop were in vain."""


def _stretch(
    inst: Instance, buyable: tuple[int, ...], budget: Fraction, step: int, steps: int
) -> list[Outline]:
    """The runs at ``budget + step``, ..., ``budget + steps * step``, computed from the top, each
    from the bounds of the one above; returned top first, so ``pop()`` gives the next step."""
    above = outline(inst, budget + steps * step, buyable)
    runs = [above]
    for k in range(steps - 1, 0, -1):
        above = outline(inst, budget + k * step, buyable, above)
        runs.append(above)
    return runs


def ceiling(inst: Instance, buyable: tuple[int, ...]) -> Fraction:
    """A per-voter budget from which the outcome no longer changes: every buyable agenda's cost
    together. From there on no supporter can run short, so every price is the cost over the
    supporters' weight, whatever the budget, and every run buys the same agendas in the same
    order. Without exclusive groups that run buys everything, so a rule that has not stopped
    before it overspends there; with groups it may buy a set that never overspends, and Add1
    stops there keeping it (stepping on would never stop)."""
    return Fraction(sum(inst.cost[p] for p in buyable))


def add1(
    inst: Instance,
    buyable: tuple[int, ...],
    start: Fraction,
    total: int,
    *,
    exhaustive: bool,
    progress: Callable[[float], None] | None = None,
) -> Add1Result:
    """Add1 from the per-voter budget ``start`` (money units) for a real budget ``total``."""
    step = inst.unit

    def stops(selection: frozenset[int]) -> bool:
        spend = sum(inst.cost[p] for p in selection)
        if spend > total:
            return True
        out = inst.ruled_out(selection)
        return exhaustive and all(spend + inst.cost[p] > total for p in buyable if p not in out)

    budget = start
    current: Outline | None = outline(inst, start, buyable)
    known = current.selected
    log = _Log()
    runs = 1
    jump = 2
    patience = 0
    backoff = 1
    stretch: list[Outline] = []  # this stretch of plain steps, run top down, next step first
    top = ceiling(inst, buyable)
    while True:
        if current is not None:
            if progress is not None and total:
                progress(min(1.0, _spend(inst, current) / total))
            if exhaustive and is_exhaustive(inst, buyable, current, total):
                final = exact(inst, current, buyable)
                return Add1Result(final, tuple(log.records), "exhaustive", None, runs)
        if budget >= top:
            if current is None:  # a jump landed here: test this outcome as a step would
                runs += 1
                current = outline(inst, budget, buyable)
                continue
            return Add1Result(
                exact(inst, current, buyable), tuple(log.records), "constant", None, runs
            )
        jump = min(jump, math.ceil((top - budget) / step))  # stepping stops at the ceiling
        if jump > 1 and patience == 0:
            runs += 2
            outcomes = span(
                inst,
                buyable,
                budget,
                budget + jump * step,
                WIDTH if jump >= LONG else 1,
                WORK * (len(known) + 1),
            )
            proven = outcomes is not None and not any(stops(o) for o in outcomes)
            if proven:
                log.add(budget + step, budget + jump * step, jump, 2, len(outcomes))
                budget += jump * step
                current = None
                jump *= 2
                backoff = 1
            elif jump > 2:
                jump //= 4
            else:
                patience = backoff
                backoff = min(2 * backoff, BACKOFF)
            continue
        if not stretch or stretch[-1].budget != budget + step:
            stretch = _stretch(inst, buyable, budget, step, min(max(1, patience), STRETCH))
            runs += len(stretch)
        following = stretch.pop()
        if _spend(inst, following) > total:
            if current is None:
                runs += 1
                current = outline(inst, budget, buyable)
            final = exact(inst, current, buyable)
            return Add1Result(final, tuple(log.records), "overspend", following, runs)
        log.change(following.budget, known, following)
        budget = following.budget
        current = following
        known = following.selected
        jump = 2
        patience = max(0, patience - 1)
