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
Fix a sequence of purchases ``w_1 .. w_k`` and run MES *forced* to buy them in that order. Then,
for every round ``j``, every voter's budget is a non-decreasing function of ``b`` and every
agenda's price at round ``j`` a non-increasing one. By induction on ``j``: at round 1 every budget
is ``b``. An agenda's price is the least ``rho`` at which ``sum(min(budget_i, rho * sat_i))``
reaches its cost; that sum grows with every budget, so the price falls when budgets rise. After
buying ``w_j`` at price ``rho_j`` a supporter keeps ``max(0, budget - rho_j * sat)``, which grows
with its budget and falls with ``rho_j``, so grows with ``b``; others keep their budget.

Now take two runs, at ``b0 < b1``, that buy the same sequence, and suppose at every round ``j``
every other agenda ``p`` still in play has ``price_j(p, b1) > rho_j(b0)`` (or equal with ``p``
later in the tie-break order). Then every ``b`` in ``[b0, b1]`` buys that sequence too: if it
bought ``w_1 .. w_{j-1}``, its round-``j`` prices are those of the forced run, so
``rho_j(b) <= rho_j(b0) < price_j(p, b1) <= price_j(p, b)`` and ``w_j`` wins round ``j`` again
(``w_j`` is affordable since it was at ``b0`` and money only grew). Agendas unaffordable at ``b1``
are unaffordable at every smaller ``b``, so a run that ends at ``b1`` ends at ``b`` too. All
those budgets give the same outcome, which is feasible and (in)exhaustive exactly as at ``b0``:
the step rule walks through all of them without stopping, so they are skipped.

``mes_core.run(..., reference=run_at_b0)`` is the run at ``b1`` that checks these inequalities
(exactly, with fractions wherever the bounds do not separate) and gives up at the first round that
fails. The driver gallops: after a proven jump of ``d`` steps it tries ``2d``; after a failed try a
quarter; a try of one step is simply the next step. ``tests/unit/test_mes_add1.py`` compares the
result with plain stepping on random and real instances.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from votesvc.tally.mes_core import Instance, RunResult, run


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


@dataclass(frozen=True, slots=True)
class Add1Result:
    final: RunResult
    records: tuple[Add1Record, ...]
    stop: str
    """Why it stopped: ``exhaustive``, or ``overspend`` (then ``overspent`` is that outcome)."""
    overspent: RunResult | None
    runs: int


def _spend(inst: Instance, result: RunResult) -> int:
    return sum(inst.cost[p] for p in result.selected)


def is_exhaustive(inst: Instance, buyable: tuple[int, ...], result: RunResult, total: int) -> bool:
    """No buyable agenda left out fits in what ``result`` leaves of ``total``."""
    left = total - _spend(inst, result)
    chosen = set(result.selected)
    return all(inst.cost[p] > left for p in buyable if p not in chosen)


class _Log:
    """Collects records, merging neighbouring steps that change nothing."""

    def __init__(self) -> None:
        self.records: list[Add1Record] = []

    def add(self, first: Fraction, last: Fraction, steps: int, runs: int) -> None:
        if self.records and not (self.records[-1].added or self.records[-1].removed):
            prev = self.records[-1]
            self.records[-1] = Add1Record(prev.first, last, prev.steps + steps, prev.runs + runs)
        else:
            self.records.append(Add1Record(first, last, steps, runs))

    def change(self, budget: Fraction, before: RunResult, after: RunResult) -> None:
        old, new = set(before.selected), set(after.selected)
        added = tuple(p for p in after.selected if p not in old)
        removed = tuple(p for p in before.selected if p not in new)
        if not added and not removed:
            self.add(budget, budget, 1, 1)
        else:
            self.records.append(Add1Record(budget, budget, 1, 1, added, removed))


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
    current = run(inst, start, buyable)
    assert current is not None
    log = _Log()
    runs = 1
    jump = 2
    while True:
        if progress is not None and total:
            progress(min(1.0, _spend(inst, current) / total))
        if exhaustive and is_exhaustive(inst, buyable, current, total):
            return Add1Result(current, tuple(log.records), "exhaustive", None, runs)
        if jump > 1:
            runs += 1
            proven = run(inst, current.budget + jump * step, buyable, reference=current)
            if proven is not None:
                log.add(current.budget + step, proven.budget, jump, 1)
                current = proven
                jump *= 2
            else:
                jump //= 4
            continue
        runs += 1
        following = run(inst, current.budget + step, buyable)
        assert following is not None
        if _spend(inst, following) > total:
            return Add1Result(current, tuple(log.records), "overspend", following, runs)
        log.change(following.budget, current, following)
        current = following
        jump = 2
