"""One run of the Method of Equal Shares at a fixed per-voter budget: exact decisions, fast loops.

What a run computes (pabutools' ``method_of_equal_shares`` with one per-voter budget ``b``): every
voter starts with ``b``; a round prices every agenda its supporters can still afford at the
smallest ``rho`` such that the supporters, each paying ``min(budget, rho * satisfaction)``, cover
its cost; the agenda with the smallest ``rho`` (ties: the tie-break order) is bought and its
supporters pay; the run ends when no agenda is affordable.

How it stays fast in pure Python
--------------------------------
*Budget classes.* After any number of rounds a voter has ``max(0, b - sum(rho_q * sat_q))`` over
the bought agendas ``q`` it supports: a supporter pays ``rho * sat`` or, when it has less, all it
has, and then stays at 0. So a budget depends only on *which bought agendas the voter supports and
with which satisfaction weight*. Every (agenda, weight) pair is a bit, a ballot a bit mask, and a
voter's class is ``mask & bought``. Pricing an agenda needs only the histogram of its supporters'
classes, which ``collections.Counter(map(bought.__and__, masks))`` builds at C speed; buying an
agenda touches no voter (one more bit in ``bought``). Each class's budget is computed once a run.

*Exact decisions from fixed-point bounds.* Budgets are integers in units of ``2**-FRAC`` money,
rounded down from exact values; a class's is within ``err = purchases + 1`` units of the truth.
Pricing gives every agenda a certified interval ``[lo, hi]`` for ``rho`` (floats rounded outwards):

- ``lo``: for ANY set ``P`` of supporters, ``(cost - sum_P budget) / sum_{not P} sat`` is at most
  the true price (each supporter pays at most its budget and at most ``rho * sat``); ``lo`` is that
  with every budget in ``P`` at its upper bound.
- ``hi``: the price with the budgets in ``P`` at their lower bounds, valid when every supporter
  outside ``P`` can pay it even at its lower bound (checked, else ``hi`` is infinite).

An agenda is bought on the bounds only when its interval lies below every other candidate's;
otherwise all contenders are priced exactly and compared as fractions, ties going to the tie-break
order. The bought agenda's ``rho`` is always made exact (``_Run.exact_price``), and the next
round's budgets are rounded from exact payments, so no error carries over between rounds.

Prices only rise from round to round (budgets only fall), so an earlier ``lo`` stays a lower
bound: agendas are re-priced lazily in order of their last ``lo`` until the next ``lo`` exceeds
the best ``hi``, as pabutools and equalshares.net do with exact values.

Why one module (about 560 lines): a run (``_Run``, ``_choose``, its hints' ``tighten``) and
the bounds that start the float engine's runs (``initial_bounds``, ``raise_bounds``, read by
``mes.floating``) share the fixed-point units, the class histogram and the rounding
directions above; they are one algorithm, and the hot loop of every exact count.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from operator import mul
from typing import Any

FRAC = 48
"""Fixed-point fraction bits for money (budgets, payments, costs)."""

_INF = math.inf


@dataclass(frozen=True, slots=True)
class Level:
    """The supporters of one agenda who give it the same satisfaction weight (one bit).

    ``masks`` repeats a ballot's mask once per voter for light groups (so ``Counter`` counts
    voters); ``heavy`` lists ``(mask, voters)`` for groups of many identical ballots.
    """

    bit: int
    weight: int
    masks: tuple[int, ...]
    heavy: tuple[tuple[int, int], ...]


class Memo:
    """What runs on one instance can share: facts that depend only on the ballots, not on money.

    Add1 runs MES hundreds of times at neighbouring budgets, and the runs buy the same agendas
    in nearly the same order, so they meet the same *bought* masks again and again. Two things
    depend only on such a mask and are worth keeping between runs:

    - an agenda level's class histogram for a bought mask (counting the supporters' classes is
      most of a run's time on elections with many voters per agenda: Warsaw, Budapest);
    - a class key's bit indices, so that its budget is one C-level ``sum`` over the payments.

    Both are bounded (``LIMIT`` stored histogram entries, ``LIMIT`` keys); when full they are
    emptied and refilled, which costs time, never correctness.
    """

    LIMIT = 2_000_000

    __slots__ = ("_bits", "_histograms", "_stored", "arrays", "first_bounds")

    def __init__(self) -> None:
        self.arrays: Any = None
        """The instance's supporters as arrays for the float engine (``mes.floating.arrays``)."""
        self.first_bounds: dict[tuple[int, ...], dict[int, float]] = {}
        """``initial_bounds`` per set of buyable agendas: every run starts from them."""
        self._histograms: dict[tuple[int, int], tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._bits: dict[int, tuple[int, ...]] = {}
        self._stored = 0

    def histogram(self, level: Level, bought: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The classes (``mask & bought``) of ``level``'s supporters and their voter counts."""
        key = (level.bit, bought)
        found = self._histograms.get(key)
        if found is None:
            counts = Counter(map(bought.__and__, level.masks))
            for mask, count in level.heavy:
                counts[mask & bought] += count
            found = (tuple(counts), tuple(counts.values()))
            if self._stored + len(found[0]) > self.LIMIT:
                self._histograms.clear()
                self._stored = 0
            self._histograms[key] = found
            self._stored += len(found[0])
        return found

    def bits(self, key: int) -> tuple[int, ...]:
        """The indices of the bits set in ``key``."""
        found = self._bits.get(key)
        if found is None:
            out = []
            rest = key
            while rest:
                low = rest & -rest
                out.append(low.bit_length() - 1)
                rest ^= low
            found = tuple(out)
            if len(self._bits) >= self.LIMIT:
                self._bits.clear()
            self._bits[key] = found
        return found


@dataclass(frozen=True, slots=True)
class Instance:
    """A contest prepared for MES runs: agendas by index, money as integers.

    ``cost[p]`` and ``scale[p]`` (the satisfaction factor: the cost for the ``cost`` measure,
    else 1) are in money units, the contest's money times ``unit``. A voter's satisfaction from
    ``p`` is ``weight * scale[p]``; ``rank[p]`` is ``p``'s place in the tie-break order.
    ``rivals[p]`` are the agendas buying ``p`` rules out (the contest's exclusive groups; empty
    without groups): they leave the run as a bought agenda does.
    """

    ids: tuple[str, ...]
    cost: tuple[int, ...]
    scale: tuple[int, ...]
    levels: tuple[tuple[Level, ...], ...]
    rank: tuple[int, ...]
    voters: int
    unit: int
    bit_weight: tuple[int, ...]
    rivals: tuple[tuple[int, ...], ...] = ()
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)

    def ruled_out(self, selection: Iterable[int]) -> set[int]:
        """``selection`` and every agenda it rules out: what a run that bought it cannot buy."""
        out = set(selection)
        if self.rivals:
            for p in list(out):
                out.update(self.rivals[p])
        return out

    def support(self, p: int) -> int:
        """Total weight of ``p``'s supporters (its total satisfaction over ``scale[p]``)."""
        return sum(
            level.weight * (len(level.masks) + sum(v for _, v in level.heavy))
            for level in self.levels[p]
        )

    def buyable(self) -> tuple[int, ...]:
        """The agendas MES can buy: with a cost and a supporter."""
        return tuple(p for p in range(len(self.ids)) if self.cost[p] > 0 and self.levels[p])


@dataclass(frozen=True, slots=True)
class Purchase:
    """One bought agenda.

    ``rho`` is exact, in money units per unit of satisfaction (a supporter of weight ``w`` pays
    ``rho * w * scale`` or all it has left); ``supporters`` counts those with money left and
    ``poor`` those of them who paid everything; ``tied`` lists the agendas of equal ``rho`` it
    was chosen among by the tie-break order (empty without a tie).
    """

    agenda: int
    rho: Fraction
    supporters: int
    poor: int
    tied: tuple[int, ...] = ()


Hints = tuple[tuple[int, dict[int, float]], ...]


@dataclass(frozen=True, slots=True)
class RunResult:
    purchases: tuple[Purchase, ...]
    budget: Fraction
    """The per-voter budget the run started from, in money units."""
    bounds: Hints = field(default=(), compare=False, repr=False)
    """Per round, the bought mask before it and its agendas' price lower bounds: what a run at
    a lower budget may start from (``run``'s ``hints``)."""

    @property
    def selected(self) -> tuple[int, ...]:
        return tuple(p.agenda for p in self.purchases)


@dataclass(frozen=True, slots=True)
class Classes:
    """The budget classes of one agenda's supporters with money left, as parallel tuples sorted
    by budget per unit of weight: fixed-point budget, voters, weight, class mask."""

    budgets: Sequence[int]
    voters: Sequence[int]
    weights: Sequence[int]
    keys: Sequence[int]


@dataclass(slots=True)
class _Priced:
    agenda: int
    lo: float
    hi: float
    classes: Classes
    split: int
    """Classes before ``split`` pay everything they have (``P`` in the module docstring)."""


def _down(num: int, den: int) -> float:
    """A float at most ``num / den`` (true division rounds to nearest; one ulp down is safe)."""
    return math.nextafter(num / den, -_INF)


def _up(num: int, den: int) -> float:
    return math.nextafter(num / den, _INF)


DEPLETED = -(1 << 512)
"""The memo value of a class whose budget is exactly 0 (it stays 0 for the rest of the run)."""


class _Run:
    """The state of one run.

    Exact side: ``beta / den`` is ``b`` and ``exact_pay[bit] / den`` what one rich voter of that
    bit paid; ``den`` grows to stay a common denominator. Fixed-point side: ``fix_pay[bit]`` is
    the exact payment times ``2**FRAC`` rounded down and ``fix_budget`` memoises class budgets
    (``_budgets``), ``b_fix - sum(fix_pay)``, which is within ``err`` of the exact budget times
    ``2**FRAC`` (each of the at most ``err - 1`` roundings loses less than one unit).
    """

    def __init__(self, inst: Instance, budget: Fraction) -> None:
        self.inst = inst
        self.budget = budget
        self.den = budget.denominator
        self.beta = budget.numerator
        nbits = len(inst.bit_weight)
        self.exact_pay = [0] * nbits
        self.fix_pay = [0] * nbits
        self.bought = 0
        self.bought_bits: list[int] = []
        b_fix = (budget.numerator << FRAC) // budget.denominator
        self.fix_budget: dict[int, int] = {0: b_fix if budget > 0 else DEPLETED}
        self.err = 1

    # --- class budgets ---------------------------------------------------------------------
    def exact_budget(self, key: int) -> int:
        """``b`` minus the class's payments, over ``den`` (the budget if positive, else 0)."""
        return self.beta - sum(map(self.exact_pay.__getitem__, self.inst.memo.bits(key)))

    def exact_money(self, keys: Sequence[int], voters: Sequence[int]) -> int:
        """Exact total budget of the classes ``keys`` (all with money left), over ``den``.

        Sums ``voters * (b - payments)`` as ``voters * b - sum(payment * voters paying it)``,
        counting per bit, so it costs one big-number product per bought bit.
        """
        per_bit: dict[int, int] = {}
        for key, count in zip(keys, voters, strict=True):
            while key:
                low = key & -key
                per_bit[low] = per_bit.get(low, 0) + count
                key ^= low
        pay = self.exact_pay
        spent = sum(pay[low.bit_length() - 1] * count for low, count in per_bit.items())
        return sum(voters) * self.beta - spent

    def _budgets(self, keys: Sequence[int]) -> list[int]:
        """The fixed-point budgets of the classes ``keys`` (``DEPLETED`` for an empty one).

        Memoised per run; a class's budget is the start budget less one payment per bit, one
        C-level ``sum``. Near zero the exact budget decides whether anything is left.
        """
        memo = self.fix_budget
        start = memo[0]
        pay = self.fix_pay.__getitem__
        bits = self.inst.memo.bits
        err = self.err
        for key in set(keys).difference(memo):
            value = start - sum(map(pay, bits(key)))
            if value <= err and (value < -err or self.exact_budget(key) <= 0):
                value = DEPLETED
            memo[key] = value
        return list(map(memo.__getitem__, keys))

    def classes(self, p: int) -> Classes:
        """The classes of ``p``'s supporters with money left, sorted by budget per weight."""
        bought = self.bought
        levels = self.inst.levels[p]
        histogram = self.inst.memo.histogram
        if len(levels) == 1:
            level = levels[0]
            keys, counts = histogram(level, bought)
            budget_of = self._budgets(keys).__getitem__
            # sort positions by budget (ints compare fast; no tuples), depleted classes first
            order = sorted(range(len(keys)), key=budget_of)
            order = order[bisect_right(order, DEPLETED, key=budget_of) :]
            return Classes(
                list(map(budget_of, order)),
                list(map(counts.__getitem__, order)),
                (level.weight,) * len(order),
                list(map(keys.__getitem__, order)),
            )
        common = math.lcm(*(level.weight for level in levels))
        rows = []
        for level in levels:
            keys, counts = histogram(level, bought)
            factor = common // level.weight
            for r, count, key in zip(self._budgets(keys), counts, keys, strict=True):
                if r != DEPLETED:
                    rows.append((r * factor, r, count, level.weight, key))
        rows.sort()
        if not rows:
            return Classes((), (), (), ())
        _, budgets, voters, weights, keys = zip(*rows, strict=True)
        return Classes(budgets, voters, weights, keys)

    # --- pricing ---------------------------------------------------------------------------
    def price(self, p: int) -> _Priced | None:
        """Bounds on ``p``'s price, or None if its supporters cannot afford it."""
        cl = self.classes(p)
        budgets, voters, weights = cl.budgets, cl.voters, cl.weights
        cost_fix = self.inst.cost[p] << FRAC
        err = self.err
        total = sum(map(mul, budgets, voters))
        alive = sum(voters)
        if total + err * alive < cost_fix:
            return None
        if total - err * alive < cost_fix and (
            self.exact_money(cl.keys, voters) < self.inst.cost[p] * self.den
        ):
            return None
        util = sum(map(mul, voters, weights))
        paid = 0
        poor = 0
        split = 0
        last = len(budgets) - 1
        for r, count, weight in zip(budgets, voters, weights, strict=True):
            if split == last or (cost_fix - paid) * weight <= r * util:
                break
            paid += r * count
            poor += count
            util -= count * weight
            split += 1
        den = util * self.inst.scale[p]
        lo = _down(cost_fix - paid - err * poor, den)
        top = cost_fix - paid + err * poor
        # hi: the price with poor budgets at their lowest; an upper bound if every class after
        # the split can pay it even at its lowest budget
        if len(self.inst.levels[p]) == 1:
            can_pay = (budgets[split] - err) * util >= top * weights[split]
        else:
            rest = zip(budgets[split:], weights[split:], strict=True)
            can_pay = all((r - err) * util >= top * w for r, w in rest)
        hi = _up(top, den) if can_pay else _INF
        return _Priced(p, lo, hi, cl, split)

    def exact_price(self, priced: _Priced) -> tuple[Fraction, int]:
        """The exact price (payment per unit of weight, money units) and the poor voters.

        Starts from the bounds' split and moves classes across it until it is right: a split
        is right when every class before it has at most the price times its weight and every
        class after it at least that. Moving a wrongly placed class raises the price (module
        docstring: every split gives a lower bound, the right one the price), so it ends.
        Classes far from the price on the fixed-point budgets need no exact check.
        """
        cl = priced.classes
        order = list(range(len(cl.keys)))
        split = priced.split
        cost = self.inst.cost[priced.agenda] * self.den
        keys, voters, weights = cl.keys, cl.voters, cl.weights
        while True:
            poor_side = order[:split]
            num = cost - self.exact_money(
                [keys[i] for i in poor_side], [voters[i] for i in poor_side]
            )
            util = sum(voters[i] * weights[i] for i in order[split:])
            fix = (num << FRAC) // (self.den * util)
            wrong = self._misplaced(cl, order, split, num, util, fix)
            if wrong is None:
                return Fraction(num, self.den * util), sum(voters[i] for i in poor_side)
            moved = order.pop(wrong)
            if wrong < split:  # should be rich: becomes the first after the split
                split -= 1
                order.insert(split, moved)
            else:  # should be poor: becomes the last before the split
                order.insert(split, moved)
                split += 1

    def _misplaced(
        self, cl: Classes, order: list[int], split: int, num: int, util: int, fix: int
    ) -> int | None:
        """Position in ``order`` of a class on the wrong side of ``split`` at ``num/(den*util)``."""
        exact_budget = self.exact_budget
        err = self.err
        budgets, weights, keys = cl.budgets, cl.weights, cl.keys
        for pos in range(split - 1, -1, -1):
            i = order[pos]
            w = weights[i]
            if budgets[i] + err < (fix - 1) * w:
                continue
            if exact_budget(keys[i]) * util > num * w:
                return pos
        for pos in range(split, len(order)):
            i = order[pos]
            w = weights[i]
            if budgets[i] - err > (fix + 1) * w:
                continue
            if exact_budget(keys[i]) * util < num * w:
                return pos
        return None

    # --- buying ----------------------------------------------------------------------------
    def buy(self, p: int, price: Fraction) -> None:
        den = math.lcm(self.den, price.denominator)
        if den != self.den:
            factor = den // self.den
            self.beta *= factor
            self.exact_pay = [x * factor for x in self.exact_pay]
            self.den = den
        for level in self.inst.levels[p]:
            pay = price * level.weight
            self.exact_pay[level.bit] = pay.numerator * (den // pay.denominator)
            self.fix_pay[level.bit] = (pay.numerator << FRAC) // pay.denominator
            self.bought |= 1 << level.bit
            self.bought_bits.append(level.bit)
        self.err += 1


@dataclass(frozen=True, slots=True)
class _Step:
    agenda: int
    price: Fraction
    rho: Fraction
    poor: int
    supporters: int
    tied: tuple[int, ...]


def _choose(state: _Run, lower: dict[int, float]) -> _Step | None:
    """This round's purchase, or None when no agenda is affordable any more."""
    inst = state.inst
    best_hi = _INF
    priced: list[_Priced] = []
    for p in sorted(lower, key=lower.__getitem__):
        if lower[p] > best_hi:
            break
        found = state.price(p)
        if found is None:
            del lower[p]
            continue
        lower[p] = found.lo
        priced.append(found)
        best_hi = min(best_hi, found.hi)
    if not priced:
        return None
    exact = {}
    for x in priced:
        if x.lo <= best_hi:
            price, poor = state.exact_price(x)
            exact[x.agenda] = (price / inst.scale[x.agenda], price, poor, x)
    best = min(e[0] for e in exact.values())
    tied = sorted((p for p, e in exact.items() if e[0] == best), key=inst.rank.__getitem__)
    rho, price, poor, chosen = exact[tied[0]]
    return _Step(
        tied[0], price, rho, poor, sum(chosen.classes.voters), tuple(tied) if len(tied) > 1 else ()
    )


def run(
    inst: Instance,
    budget: Fraction,
    buyable: tuple[int, ...],
    *,
    hints: Hints = (),
) -> RunResult:
    """MES with ``budget`` (money units) per voter over the agendas ``buyable``.

    ``hints`` are the ``bounds`` of a run on the same instance at the same or a *higher*
    budget. While this run buys what that one bought, in the same order, its prices are at
    least that run's (for a fixed order of purchases every budget rises and every price falls
    with the starting budget: ``mes.add1``'s docstring), so that run's lower bounds are lower
    bounds here too, and an agenda its voters could not afford there they cannot afford here.
    The float engine passes its own bounds when it recounts an outcome exactly
    (``mes.floating.exact``), and the run above's where it declines a run
    (``mes.floating.outline``):
    most rounds then price only the agenda they buy. Hints only spare pricing; every purchase
    is still decided on this run's own prices.
    """
    state = _Run(inst, budget)
    lower = initial_bounds(inst, buyable)
    purchases: list[Purchase] = []
    bounds: list[tuple[int, dict[int, float]]] = []
    while lower:
        if len(bounds) < len(hints) and not tighten(lower, state.bought, hints[len(bounds)]):
            hints = ()  # the order of purchases differs from here on: no more hints
        step = _choose(state, lower)
        bounds.append((state.bought, dict(lower)))
        if step is None:
            break
        purchases.append(Purchase(step.agenda, step.rho, step.supporters, step.poor, step.tied))
        state.buy(step.agenda, step.price)
        del lower[step.agenda]
        for rival in inst.rivals[step.agenda] if inst.rivals else ():
            lower.pop(rival, None)
    return RunResult(tuple(purchases), budget, tuple(bounds))


def tighten(lower: dict[int, float], bought: int, hint: tuple[int, dict[int, float]]) -> bool:
    """Raise ``lower`` to a higher budget's bounds for the same round (``run`` explains why that
    is sound), if this round starts from the same purchases; False if it does not. Checked every
    round from the first, equal masks mean the same agendas bought in the same order."""
    bought_there, bounds = hint
    if bought_there != bought:
        return False
    raise_bounds(lower, bounds)
    return True


def raise_bounds(lower: dict[int, float], bounds: dict[int, float]) -> None:
    """Raise ``lower`` to ``bounds``, the bounds of a state whose every budget is at least as
    large, and drop the agendas that state could not afford (they are missing from it)."""
    for p, value in list(lower.items()):
        there = bounds.get(p)
        if there is None:
            del lower[p]
        elif there > value:
            lower[p] = there


def initial_bounds(
    inst: Instance, buyable: tuple[int, ...], skip: Collection[int] = ()
) -> dict[int, float]:
    """First lower bounds on ``rho`` (fixed-point units) of the agendas in ``buyable`` but not in
    ``skip``: the price if every supporter could pay in full."""
    first = inst.memo.first_bounds.get(buyable)
    if first is None:
        first = {p: _down(inst.cost[p] << FRAC, inst.support(p) * inst.scale[p]) for p in buyable}
        inst.memo.first_bounds[buyable] = first
    return {p: bound for p, bound in first.items() if p not in skip} if skip else dict(first)
