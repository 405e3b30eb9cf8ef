"""Equal Shares on arrays of floats: every decision certified, or handed to the exact engine.

Why: Add1 runs MES hundreds of times (Warsaw 2026 about 190 steps, Bemowo 330) and its proofs
over spans of budgets (``mes.add1``) follow two bounding states per branch. The exact engine
(``mes.exact``) walks budget classes in Python loops; here a state is one numpy vector with a budget
per distinct ballot, and pricing an agenda is a dozen vector operations over its supporters.

Certified prices
----------------
For an agenda with supporter classes ``k`` (``c_k`` voters of weight ``w_k``, budget ``b_k``) let
``f_b(t) = sum c_k min(b_k, t w_k)``; its price per unit of weight is the least ``t`` with
``f_b(t) >= cost``. Two facts give an interval around the price from rounded data:

- For ANY set ``P`` of classes, ``(y - sum_P c b) / sum_{not P} c w`` is at most the least ``t``
  with ``f_b(t) >= y`` (a class pays at most its budget and at most ``t w``), with equality when
  ``P`` is the classes that pay everything, a prefix in the order of ``b / w``. So that ``t`` is
  the largest of these over the prefixes of one sort: two cumulative sums and a maximum.
- If every true budget is within its error ``e_k`` of ``b_k``, ``f`` moves by at most the
  errors of the classes that may pay everything (a class that pays ``t w`` either way does not
  move it), so the true price lies between the ``t`` for ``cost`` less and plus those errors.

Rounding errors of the sums (at most ``(n + 4) u M`` for ``n`` classes holding ``M``) widen the
targets, quotients are rounded outwards, and the upper end is confirmed by its split's segment or
by evaluating ``f_b``. An agenda that loses a round by a margin is ruled out without a sort
(``_floor``).

A plain run (``float_run``) keeps, per class, a bound on how far its float budget may be from
the exact one, and buys the agenda whose ``rho`` interval lies wholly below every other
contender's. Paying the middle of the interval adds half its width (times the weight) and the
roundings to the payers' errors; a class that surely paid everything is exactly 0 again, so
errors do not compound from round to round. When intervals meet (a tie or a near-tie) or an
agenda's affordability is in doubt, the run answers None and the caller counts that budget
exactly (``mes.exact.run``).

Classes whose ``mask & bought`` is the same hold the same float in every run (the same
operations on the same numbers), so pricing reads an agenda's classes merged into such groups
(``Arrays.groups``), kept between runs per bought mask.

Bounding states
---------------
For ``span`` a vector is not an approximation but a bound: ``L <= b <= H`` voter by voter for
every starting budget of an interval (``mes.add1`` proves the monotonicity). ``L`` pays its
price's upper end and ``H`` its lower end, results are rounded outwards, and doubt only ever
adds outcomes, so a proof can fail for want of precision but never pass wrongly.

Price bounds are kept as ``rho`` in the exact engine's fixed-point units (``mes.exact.FRAC``), so
the per-round bounds of either engine can start the other (``mes.exact.run``'s ``hints``).

Why one module (about 740 lines): the plain run, the exact recount along its bounds
(``exact``) and the span proofs all price through the same arrays, groups, interval
arithmetic and outward rounding (``_price``, ``_reaches``, ``_pay``); each decision's
certificate rests on the error analysis above holding for all of them at once. Split by use,
the rounding rules would sit apart from the code that relies on them; this is the hot loop of
every Add1 count, measured as it stands (docs/allocation.md).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from votesvc.tally.mes.exact import (
    FRAC,
    Hints,
    Instance,
    RunResult,
    initial_bounds,
    raise_bounds,
)
from votesvc.tally.mes.exact import run as exact_run

U = 2.0**-53
"""Unit roundoff of a float."""

_INF = math.inf
_FIX = float(1 << FRAC)
_WORD = (1 << 64) - 1


Bounds = tuple[tuple[int, np.ndarray], ...]
"""Per round, the bought mask before it and every agenda's lower bound on ``rho`` (fixed-point
units, infinite where bought or unaffordable): ``mes.exact.Hints`` as arrays."""


@dataclass(frozen=True, slots=True)
class Outline:
    """What a run decided, without exact prices: the agendas in the order bought, the per-voter
    budget it started from, and its per-round price bounds."""

    selected: tuple[int, ...]
    budget: Fraction
    bounds: Bounds = ()

    def hints(self) -> Hints:
        """The bounds as ``mes.exact.run`` takes them."""
        return tuple(
            (bought, {p: float(v) for p, v in enumerate(row.tolist()) if v != _INF})
            for bought, row in self.bounds
        )


@dataclass(frozen=True, slots=True)
class _Supporters:
    """One agenda's supporter classes: class positions, voters, weights (None: all 1)."""

    index: np.ndarray
    voters: np.ndarray
    weight: np.ndarray | None
    util: np.ndarray
    """Voters times weight, per class."""
    total: float
    """The sum of ``util`` (exact: an integer far below 2**53)."""
    count: int
    top_weight: float
    bits: int
    """The agenda's bits in a ballot mask (``mes.exact``): what buying it adds to ``bought``."""
    rho_unit: float
    """Converts a price per unit of weight to ``rho`` in fixed-point units: ``2**FRAC / scale``."""
    masks: np.ndarray
    """Per class, its ballot mask as 64-bit words."""
    cost: float


@dataclass(frozen=True, slots=True)
class _Groups:
    """One agenda's supporter classes merged where their budgets are equal: a representative
    class per group, its voters, voters times weight, and weight (None: all 1)."""

    rep: np.ndarray
    voters: np.ndarray
    util: np.ndarray
    weight: np.ndarray | None
    inverse: np.ndarray
    """Per class of the agenda, its group: what a merge for a larger bought mask refines."""


TABLE_BITS = 2
"""A merge splits groups by at most as many bits at once as keep its key table within
``2**TABLE_BITS`` times the agenda's classes."""

RECENT = 16
"""Kept merges per agenda that a new merge looks among for one to refine."""


class Arrays:
    """An instance's supporters as arrays; one class per distinct ballot mask.

    Pricing reads budgets per *group*: classes with the same ``mask & bought`` (and the same
    weight for the agenda) have the same budget at every step of every run, bound or float
    alike (the same operations on the same numbers), so an agenda's classes are merged per
    bought mask, and the merge is kept (``LIMIT`` entries in all), since Add1's runs meet the
    same bought masks again and again (``mes.exact.Memo``).
    """

    LIMIT = 4_000_000

    def __init__(self, inst: Instance) -> None:
        position: dict[int, int] = {}
        supporters: list[tuple[list[int], list[int], list[int]]] = []
        for levels in inst.levels:
            index: list[int] = []
            voters: list[int] = []
            weights: list[int] = []
            for level in levels:
                counts = Counter(level.masks)
                for mask, count in level.heavy:
                    counts[mask] += count
                for mask, count in counts.items():
                    index.append(position.setdefault(mask, len(position)))
                    voters.append(count)
                    weights.append(level.weight)
            supporters.append((index, voters, weights))
        self.classes = len(position)
        self.words = max(1, (len(inst.bit_weight) + 63) // 64)
        words = np.zeros((len(position), self.words), dtype=np.uint64)
        for w in range(self.words):
            words[:, w] = [(mask >> (64 * w)) & _WORD for mask in position]
        self.agendas: list[_Supporters] = []
        for p, (index, voters, weights) in enumerate(supporters):
            classes = np.array(index, dtype=np.intp)
            voter_array = np.array(voters, dtype=np.float64)
            weight_array = np.array(weights, dtype=np.float64)
            util = voter_array * weight_array
            self.agendas.append(
                _Supporters(
                    classes,
                    voter_array,
                    None if all(w == 1 for w in weights) else weight_array,
                    util,
                    float(util.sum()),
                    sum(voters),
                    max(weights, default=1),
                    sum(1 << level.bit for level in inst.levels[p]),
                    _FIX / inst.scale[p],
                    words[classes],
                    float(inst.cost[p]),
                )
            )
        self._groups: dict[tuple[int, int], _Groups] = {}
        self._recent: dict[int, list[int]] = {}
        self._stored = 0

    def groups(self, p: int, bought: int) -> _Groups:
        """Agenda ``p``'s supporter classes merged by ``mask & bought`` and weight.

        A new merge refines a kept one for a subset of ``bought`` (the largest among ``p``'s
        last few): each group splits by the bits bought since. The keys ``group * 2**k + bits``
        are renumbered through a table of every possible key, without sorting; ``k`` is kept
        small enough for the table to stay within ``2**TABLE_BITS`` times the classes.
        """
        found = self._groups.get((p, bought))
        if found is not None:
            return found
        sup = self.agendas[p]
        recent = self._recent.setdefault(p, [])
        base = max(
            (m for m in recent if not m & ~bought and (p, m) in self._groups),
            key=int.bit_count,
            default=None,
        )
        if base is None:  # the classes split by weight only
            levels = sup.masks & self._words(sup.bits)
            flat = levels.view(np.dtype((np.void, 8 * self.words))).ravel()
            _, groups = np.unique(flat, return_inverse=True)
            base, count = 0, int(groups.max()) + 1
            groups = groups.astype(np.int64)
        else:
            kept = self._groups[(p, base)]
            groups, count = kept.inverse.astype(np.int64), len(kept.rep)
        new = bought & ~base
        bits = []
        while new:
            low = new & -new
            bits.append(low.bit_length() - 1)
            new ^= low
        while bits:
            room = len(groups).bit_length() + TABLE_BITS - count.bit_length()
            k = max(1, min(len(bits), room))
            chunk, bits = bits[:k], bits[k:]
            groups <<= k
            for j, b in enumerate(chunk):
                column = sup.masks[:, b >> 6] >> np.uint64(b & 63)
                groups |= (column & np.uint64(1)).astype(np.int64) << j
            present = np.zeros(count << k, dtype=np.int64)
            present[groups] = 1
            renumber = present.cumsum()
            count = int(renumber[-1])
            groups = renumber[groups] - 1
        first = np.empty(count, dtype=np.intp)
        first[groups] = np.arange(len(groups))  # any member stands for its group
        found = _Groups(
            sup.index[first],
            np.bincount(groups, weights=sup.voters),
            np.bincount(groups, weights=sup.util),
            None if sup.weight is None else sup.weight[first],
            groups.astype(np.int32),
        )
        if self._stored + len(groups) > self.LIMIT:
            self._groups.clear()
            self._recent.clear()
            self._stored = 0
            recent = self._recent.setdefault(p, [])
        self._groups[(p, bought)] = found
        self._stored += len(groups)
        recent.append(bought)
        del recent[:-RECENT]
        return found

    def _words(self, mask: int) -> np.ndarray:
        """``mask`` as 64-bit words."""
        return np.array([(mask >> (64 * w)) & _WORD for w in range(self.words)], dtype=np.uint64)


def arrays(inst: Instance) -> Arrays:
    """The instance's arrays, built once and kept in its memo."""
    if inst.memo.arrays is None:
        inst.memo.arrays = Arrays(inst)
    return inst.memo.arrays


def _price(
    table: Arrays, p: int, bought: int, budgets: np.ndarray, errors: np.ndarray | None
) -> tuple[float, float]:
    """Bounds ``(lo, hi)`` on the price per unit of weight when every true budget is within
    ``errors`` of ``budgets`` (None: exactly ``budgets``). ``lo`` is infinite when the supporters
    surely cannot afford it, ``hi`` when they may not be able to or it could not be confirmed.

    Only classes that may pay everything move ``f`` (a class that pays ``t w`` either way does
    not), so the error counted is that of the classes whose budget may be below the price
    (``threshold``); where the bound found exceeds the threshold, every class's error is counted.
    """
    sup = table.agendas[p]
    g = table.groups(p, bought)
    cost = sup.cost
    mine = budgets[g.rep]
    money_each = g.voters * mine
    money = float(money_each.sum())
    sums = (len(mine) + 4) * U  # a float sum of n terms is within (n + 4) u of its terms' total
    rounding = sums * money
    if errors is None:
        mine_err = None
        all_err = 0.0
    else:
        mine_err = errors[g.rep]
        err_each = g.voters * mine_err
        all_err = float(err_each.sum())
    if money + all_err + rounding < cost:
        return _INF, _INF
    ratio = mine if g.weight is None else mine / g.weight
    order = ratio.argsort()
    sorted_money = money_each[order]
    paid = sorted_money.cumsum()
    paid -= sorted_money
    util = g.util[order][::-1].cumsum()[::-1]
    guess = (cost - paid) / util
    split = int(guess.argmax())
    threshold = float(guess[split]) * (1 + 2.0**-20)
    weight = 1.0 if g.weight is None else g.weight
    moved = all_err
    if mine_err is not None:
        moved = float(np.dot(err_each, mine - mine_err < threshold * weight))
    paid_split, util_split = float(paid[split]), float(util[split])
    lo = (cost - moved - rounding - paid_split) / util_split * (1 - 4 * U)
    if money - all_err - rounding < cost:
        return lo, _INF
    room = 2 * sums * (cost + all_err + rounding)  # for the rounding of the check below
    hi = (cost + moved + rounding + room - paid_split) / util_split * (1 + 4 * U)
    if hi > threshold * (1 - 8 * U):  # the marginal classes may be too few: count every error
        moved = all_err
        lo = (cost - moved - rounding - paid_split) / util_split * (1 - 4 * U)
        hi = (cost + moved + rounding + room - paid_split) / util_split * (1 + 4 * U)
    below = float(ratio[order[split - 1]]) * (1 + 2 * U) if split else 0.0
    if below <= hi <= float(ratio[order[split]]) * (1 - 2 * U) or _reaches(
        g, mine, weight, hi, moved, sums, cost
    ):
        return lo, hi
    # the split may differ a little above the price: the largest over every split is the bound
    hi = float(((cost + moved + rounding + room - paid) / util).max()) * (1 + 4 * U)
    return lo, hi if _reaches(g, mine, weight, hi, moved, sums, cost) else _INF


def _reaches(
    g: _Groups,
    mine: np.ndarray,
    weight: np.ndarray | float,
    price: float,
    moved: float,
    sums: float,
    cost: float,
) -> bool:
    """Whether the supporters surely cover ``cost`` at ``price``: the check that makes ``hi``
    an upper bound whatever the rounding before it."""
    reached = float(g.voters @ np.minimum(mine, price * weight))
    return reached * (1 - sums - U) - moved >= cost


def _floor(
    table: Arrays, p: int, budgets: np.ndarray, errors: np.ndarray, rho: float
) -> float | None:
    """A lower bound on ``p``'s ``rho`` above ``rho``, or None if it may not lie above it.

    One pass and no sort, so agendas that lose a round are ruled out at a fraction of a pricing.
    At the price ``t`` for ``rho`` the supporters, each paying ``t w`` or all it has, surely fall
    short of the cost by ``short``; beyond ``t`` what they pay grows at most by the weight of
    those who still had money at ``t`` (``slope``), so the price is at least
    ``t + short / slope`` (infinite if nobody had money left: they cannot afford it).
    """
    sup = table.agendas[p]
    price = rho / sup.rho_unit * (1 + 2 * U)
    mine = budgets[sup.index]  # per class: no merge to compute for an agenda merely ruled out
    line = price if sup.weight is None else price * sup.weight
    reached = float(np.minimum(mine, line) @ sup.voters)
    mine_err = errors[sup.index]
    slack = float(mine_err @ sup.voters)
    above = mine + mine_err >= line * (1 - 4 * U)  # rounding may only add classes
    short = sup.cost - reached * (1 + (len(mine) + 5) * U) - slack
    if short <= 0:
        return None
    slope = float(np.dot(sup.util, above))
    if slope == 0:
        return _INF
    return (price + short / slope) * sup.rho_unit * (1 - 4 * U)


def _pay(budgets: np.ndarray, sup: _Supporters, price: float, outwards: int) -> None:
    """Supporters pay ``price`` per unit of weight, at most what they have. ``outwards`` -1 (a
    lower bound) or 1 (an upper) moves each result past its rounding errors (the product and the
    difference, each at most ``u`` of the old budget where the result is not clipped to 0)."""
    before = budgets[sup.index]
    after = before - (price if sup.weight is None else price * sup.weight)
    after += outwards * 8 * U * before
    np.maximum(after, 0.0, out=after)
    budgets[sup.index] = after


def _settle(
    budgets: np.ndarray, errors: np.ndarray, sup: _Supporters, lo: float, hi: float, top: float
) -> None:
    """Supporters pay the middle of ``[lo, hi]`` (price per unit of weight), at most what they
    have; a class's error grows by what the price may be off (times its weight) and the
    roundings, except where it surely paid everything: then it is exactly 0, as in truth."""
    before = budgets[sup.index]
    err = errors[sup.index]
    weight = 1.0 if sup.weight is None else sup.weight
    after = before - (lo + hi) / 2 * weight
    paid_all = before + err <= lo * weight * (1 - 4 * U)
    err += weight * ((hi - lo) / 2 + U * hi) + 4 * U * top
    err[paid_all] = 0.0
    np.maximum(after, 0.0, out=after)
    budgets[sup.index] = after
    errors[sup.index] = err


def _start(budget: Fraction, direction: float) -> float:
    """``budget`` as a float, rounded towards ``direction`` (0: to nearest)."""
    value = float(budget)
    nearest = Fraction(value)
    if (direction < 0 and nearest > budget) or (direction > 0 and nearest < budget):
        value = math.nextafter(value, direction)
    return value


def _array(inst: Instance, bounds: dict[int, float]) -> np.ndarray:
    """Lower bounds as an array over every agenda, infinite where ``bounds`` has none."""
    row = np.full(len(inst.ids), _INF)
    row[list(bounds)] = list(bounds.values())
    return row


class _Unsure(Exception):
    """A decision the floats cannot certify: the caller counts exactly."""


def _round(
    table: Arrays,
    bought: int,
    budgets: np.ndarray,
    errors: np.ndarray,
    lower: np.ndarray,
    likely: int | None,
) -> tuple[int, float, float] | None:
    """This round's purchase ``(agenda, lo, hi)`` (price per unit of weight), or None when no
    agenda is affordable. Raises ``_Unsure`` when the floats cannot tell.

    Agendas are taken in the order of their lower bounds (``lower``, infinite for those out),
    the ``likely`` winner first (what a neighbouring run bought in this round): once one is
    priced, the others mostly fall to ``_floor`` below its upper bound."""
    best_hi = _INF
    priced: list[tuple[int, float, float, float, float]] = []
    order = lower.argsort().tolist()
    if likely is not None and lower[likely] != _INF:
        order.remove(likely)
        order.insert(0, likely)
    for p in order:
        bound = float(lower[p])
        if bound > best_hi or bound == _INF:
            break
        floor = None if best_hi == _INF else _floor(table, p, budgets, errors, best_hi)
        if floor is not None:
            lower[p] = max(bound, floor)
            continue
        sup = table.agendas[p]
        lo, hi = _price(table, p, bought, budgets, errors)
        if lo == _INF:
            lower[p] = _INF
            continue
        rho_lo = lo * sup.rho_unit * (1 - 2 * U)
        lower[p] = max(bound, rho_lo)
        rho_hi = hi * sup.rho_unit * (1 + 2 * U)
        priced.append((p, rho_lo, rho_hi, lo, hi))
        best_hi = min(best_hi, rho_hi)
    if not priced:
        return None
    best = min(priced, key=lambda x: x[2])
    if best[2] == _INF or any(x[1] <= best[2] for x in priced if x is not best):
        raise _Unsure
    return best[0], best[3], best[4]


def float_run(
    inst: Instance, budget: Fraction, buyable: tuple[int, ...], above: Outline | None = None
) -> Outline | None:
    """MES at ``budget`` per voter decided in floats, or None where a decision needs exact
    arithmetic. ``above`` is a run at a higher budget: while this run buys what it bought, in
    the same order, its bounds hold here (as ``mes.exact.run``'s ``hints``) and its purchases
    are the likely ones. Bounds are arrays over the agendas, so taking them is one maximum."""
    table = arrays(inst)
    top = _start(budget, 0.0)
    budgets = np.full(table.classes, top)
    errors = np.full(table.classes, U * top)
    lower = _array(inst, initial_bounds(inst, buyable))
    hints = () if above is None else above.bounds
    bought = 0
    selected: list[int] = []
    bounds: list[tuple[int, np.ndarray]] = []
    while True:
        likely = None
        if len(bounds) < len(hints):
            there, hinted = hints[len(bounds)]
            if there == bought:
                np.maximum(lower, hinted, out=lower)
                likely = above.selected[len(bounds)] if len(bounds) < len(above.selected) else None
            else:
                hints = ()  # the order of purchases differs from here on: no more hints
        try:
            chosen = _round(table, bought, budgets, errors, lower, likely)
        except _Unsure:
            return None
        bounds.append((bought, lower.copy()))
        if chosen is None:
            break
        p, lo, hi = chosen
        sup = table.agendas[p]
        _settle(budgets, errors, sup, lo, hi, top)
        bought |= sup.bits
        selected.append(p)
        lower[p] = _INF
        if inst.rivals:
            lower[list(inst.rivals[p])] = _INF
    return Outline(tuple(selected), budget, tuple(bounds))


def outline(
    inst: Instance, budget: Fraction, buyable: tuple[int, ...], above: Outline | None = None
) -> Outline:
    """MES at ``budget``: in floats where they decide, else exactly (``above`` as for
    ``float_run``)."""
    found = float_run(inst, budget, buyable, above)
    if found is None:
        exact = exact_run(inst, budget, buyable, hints=() if above is None else above.hints())
        rows = tuple((bought, _array(inst, lower)) for bought, lower in exact.bounds)
        found = Outline(exact.selected, budget, rows)
    return found


def exact(inst: Instance, decided: Outline, buyable: tuple[int, ...]) -> RunResult:
    """The exact run (prices, ties) of an outline, started from its own bounds."""
    result = exact_run(inst, decided.budget, buyable, hints=decided.hints())
    if result.selected != decided.selected:
        raise AssertionError("the float run and the exact run disagree")  # a bug, never data
    return result


# --- spans ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    """A branch of ``span``: bounds ``low <= budgets <= high`` and their lazy price bounds."""

    mask: int
    """The bought agendas' bits."""
    low: np.ndarray
    low_lower: dict[int, float]
    high: np.ndarray
    high_lower: dict[int, float]
    ancestors: tuple[tuple[int, dict[int, float]], ...] = ()
    """Nearest first, up to ``ANCESTORS``: a number naming an earlier node of this branch and
    its high state's price bounds then. That state's budgets are at least this node's, so the
    bounds hold here too: where two branches merge, the high hull starts from the bounds of their
    nearest common ancestor instead of from scratch."""


def _by_bounds(
    table: Arrays,
    bought: int,
    budgets: np.ndarray,
    lower: dict[int, float],
    limit: Callable[[], float],
) -> Iterator[tuple[int, float, float, float]]:
    """The agendas priced in the order of their lower bounds until the next bound exceeds
    ``limit()``: ``(agenda, lo, hi, rho_lo)``. Unaffordable ones are dropped from ``lower`` and
    the others' bounds raised to what their prices show."""
    for p in sorted(lower, key=lower.__getitem__):
        if lower[p] > limit():
            return
        lo, hi = _price(table, p, bought, budgets, None)
        if lo == _INF:
            del lower[p]
            continue
        rho_lo = lo * table.agendas[p].rho_unit * (1 - 2 * U)
        lower[p] = max(lower[p], rho_lo)
        yield p, lo, hi, rho_lo


def _cheapest(
    table: Arrays, bought: int, budgets: np.ndarray, lower: dict[int, float]
) -> tuple[float, dict[int, float]]:
    """An upper bound on the lowest ``rho`` in the state ``budgets`` (infinite when it may
    afford nothing), and the upper ends of the prices found, per unit of weight."""
    best = _INF
    found: dict[int, float] = {}
    # the limit is read at every agenda: it falls as cheaper ones are found
    for p, _, hi, _ in _by_bounds(table, bought, budgets, lower, lambda: best):  # noqa: B023
        found[p] = hi
        best = min(best, hi * table.agendas[p].rho_unit * (1 + 2 * U))
    return best, found


def _contenders(
    table: Arrays, bought: int, budgets: np.ndarray, lower: dict[int, float], cap: float
) -> list[tuple[int, float]]:
    """Every agenda whose ``rho`` in the state ``budgets`` may be at most ``cap``, with the lower
    end of its price per unit of weight."""
    found = _by_bounds(table, bought, budgets, lower, lambda: cap)
    return [(p, lo) for p, lo, _, rho_lo in found if rho_lo <= cap]


def _settled_ties(
    inst: Instance, table: Arrays, low: np.ndarray, choices: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """``choices`` without the contenders that surely lose to another one by the tie-break.

    A contender whose every supporter can pay ``t w`` in the low state (``t`` = cost over its
    supporters' total weight) pays exactly that at every budget of the span: nobody pays all
    they have, so its ``rho`` is the constant ``cost / (total * scale)``. Of several such
    contenders, the one first by ``(rho, tie-break rank)`` beats the others in this round at
    every budget, whatever the rest do; they cannot win it. This settles exact ties that hold
    over a whole span (few voters, large budgets: ``rho = 1 / supporters`` for the ``cost``
    measure), which the float intervals alone can never separate.
    """
    settled: list[tuple[Fraction, int, int]] = []
    for p, _ in choices:
        sup = table.agendas[p]
        share = Fraction(inst.cost[p]) / Fraction(int(sup.total))
        need = float(share) * (1 + 4 * U)
        weight = 1.0 if sup.weight is None else sup.weight
        if np.all(low[sup.index] >= need * weight):
            settled.append((share / inst.scale[p], inst.rank[p], p))
    if len(settled) < 2:
        return choices
    best = min(settled)[2]
    losers = {p for _, _, p in settled if p != best}
    return [choice for choice in choices if choice[0] not in losers]


ANCESTORS = 4
"""How many ancestors' bounds a branch of ``span`` keeps for merges."""


def _common(
    mine: tuple[tuple[int, dict[int, float]], ...],
    theirs: tuple[tuple[int, dict[int, float]], ...],
) -> tuple[tuple[int, dict[int, float]], ...]:
    """The ancestors two branches share, nearest first."""
    shared = {number for number, _ in theirs}
    for k, (number, _) in enumerate(mine):
        if number in shared:
            return mine[k:]
    return ()


def span(
    inst: Instance,
    buyable: tuple[int, ...],
    low: Fraction,
    high: Fraction,
    width: int,
    work: int | None = None,
) -> set[frozenset[int]] | None:
    """Every outcome MES can have with a per-voter budget in ``[low, high]``, or None if the
    branches to follow get wider than ``width``, or if following them takes more than ``work``
    branch-rounds (``mes.add1`` explains why this is sound; the caps bound what a failed proof
    costs)."""
    table = arrays(inst)
    start = initial_bounds(inst, buyable)
    nodes = {
        frozenset(): _Node(
            0,
            np.full(table.classes, _start(low, -_INF)),
            dict(start),
            np.full(table.classes, _start(high, _INF)),
            dict(start),
        )
    }
    outcomes: set[frozenset[int]] = set()
    numbers = itertools.count()
    while nodes:
        following: dict[frozenset[int], _Node] = {}
        for bought, node in nodes.items():
            raise_bounds(node.low_lower, node.high_lower)  # every budget of high is at least low's
            cap, low_prices = _cheapest(table, node.mask, node.low, node.low_lower)
            choices = _contenders(table, node.mask, node.high, node.high_lower, cap)
            if len(choices) > 1:
                choices = _settled_ties(inst, table, node.low, choices)
            if cap == _INF or not choices:
                outcomes.add(bought)
            ancestors = ((next(numbers), dict(node.high_lower)), *node.ancestors)[:ANCESTORS]
            for number, (p, high_price) in enumerate(choices, 1):
                last = number == len(choices)  # the last branch carries on in this node's arrays
                low_next = node.low if last else node.low.copy()
                high_next = node.high if last else node.high.copy()
                low_bounds = node.low_lower if last else dict(node.low_lower)
                high_bounds = node.high_lower if last else dict(node.high_lower)
                for q in (p, *inst.rivals[p]) if inst.rivals else (p,):
                    low_bounds.pop(q, None)
                    high_bounds.pop(q, None)
                sup = table.agendas[p]
                low_price = low_prices.get(p)
                if low_price is None:
                    _, low_price = _price(table, p, node.mask, low_next, None)
                if low_price == _INF:  # low may not afford it: its supporters end at 0
                    low_next[sup.index] = 0.0
                else:
                    _pay(low_next, sup, low_price, -1)
                _pay(high_next, sup, high_price, 1)
                key = bought | {p}
                seen = following.get(key)
                if seen is not None:
                    np.minimum(low_next, seen.low, out=low_next)
                    low_bounds = {
                        q: max(v, seen.low_lower[q])
                        for q, v in low_bounds.items()
                        if q in seen.low_lower
                    }
                    np.maximum(high_next, seen.high, out=high_next)
                    shared = _common(ancestors, seen.ancestors)
                    out = inst.ruled_out(key)
                    high_bounds = (
                        {q: v for q, v in shared[0][1].items() if q not in out}
                        if shared
                        else initial_bounds(inst, buyable, out)
                    )
                    following[key] = _Node(
                        seen.mask, low_next, low_bounds, high_next, high_bounds, shared
                    )
                else:
                    mask = node.mask | sup.bits
                    following[key] = _Node(
                        mask, low_next, low_bounds, high_next, high_bounds, ancestors
                    )
        if len(following) > width:
            return None
        if work is not None:
            work -= len(following)
            if work < 0:
                return None
        nodes = following
    return outcomes
