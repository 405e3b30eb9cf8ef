"""The float engine of Equal Shares: certified price bounds, and runs equal to the exact engine.

The oracle for prices is exact arithmetic on budgets drawn inside the stated errors; the oracle for
runs is ``mes_core.run`` (itself checked against pabutools in ``test_mes``).
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pabulib_data import load
from test_mes_add1 import crowds

from votesvc.tally.mes.exact import run
from votesvc.tally.mes.floating import _INF, _price, arrays, exact, float_run, outline
from votesvc.tally.mes.instance import prepare
from votesvc.tally.model import Agenda, BallotGroup, BallotType, Contest, Profile
from votesvc.tally.satisfaction import Satisfaction
from votesvc.tally.ties import TieBreak


def exact_price(budgets, voters, weights, cost) -> Fraction | None:
    """The least ``t`` with ``sum(voters * min(budget, t * weight)) >= cost``, exactly."""
    if sum(v * b for v, b in zip(voters, budgets, strict=True)) < cost:
        return None
    rows = sorted(zip(budgets, voters, weights, strict=True), key=lambda r: r[0] / r[2])
    paid = Fraction(0)
    util = sum(v * w for _, v, w in rows)
    for budget, count, weight in rows:
        if (cost - paid) <= budget / weight * util:
            return (cost - paid) / util
        paid += count * budget
        util -= count * weight
    return None


@st.composite
def priced_states(draw):
    """An election, one of its agendas, float budgets per class and errors, and true budgets
    drawn within those errors."""
    contest, profile = draw(crowds())
    measure = draw(st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]))
    inst = prepare(contest, profile, measure, TieBreak())
    buyable = inst.buyable()
    p = draw(st.sampled_from(buyable))
    table = arrays(inst)
    budgets = np.array(
        draw(
            st.lists(
                st.one_of(st.just(0.0), st.floats(0.0, 3.0 * max(inst.cost))),
                min_size=table.classes,
                max_size=table.classes,
            )
        )
    )
    errors = budgets * draw(st.sampled_from([0.0, 1e-15, 1e-9, 1e-3]))
    shares = draw(st.lists(st.floats(-1, 1), min_size=table.classes, max_size=table.classes))
    truth = [
        max(Fraction(0), Fraction(float(b)) + Fraction(s) * Fraction(float(e)))
        for b, e, s in zip(budgets, errors, shares, strict=True)
    ]
    return inst, table, p, budgets, errors, truth


@settings(max_examples=300, deadline=None)
@given(priced_states())
def test_price_bounds_contain_the_exact_price(state):
    inst, table, p, budgets, errors, truth = state
    sup = table.agendas[p]
    every_bit = (1 << len(inst.bit_weight)) - 1  # every class its own group
    lo, hi = _price(table, p, every_bit, budgets, errors)
    weights = [1] * len(sup.index) if sup.weight is None else [int(w) for w in sup.weight]
    price = exact_price(
        [truth[k] for k in sup.index], [int(v) for v in sup.voters], weights, inst.cost[p]
    )
    if price is None:
        assert hi == _INF
    else:
        assert lo <= price
        assert hi == _INF or price <= hi
    if lo == _INF:
        assert price is None


@settings(max_examples=150, deadline=None)
@given(crowds(), st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]), st.data())
def test_float_runs_buy_what_exact_runs_buy(election, measure, data):
    contest, profile = election
    inst = prepare(contest, profile, measure, TieBreak())
    buyable = inst.buyable()
    budget = Fraction(data.draw(st.integers(0, 60)), data.draw(st.sampled_from([1, 3, 7])))
    truth = run(inst, budget, buyable)
    decided = float_run(inst, budget, buyable)
    assert decided is None or decided.selected == truth.selected
    assert outline(inst, budget, buyable).selected == truth.selected
    above = outline(inst, budget + data.draw(st.integers(0, 9)), buyable)
    assert outline(inst, budget, buyable, above).selected == truth.selected
    assert exact(inst, outline(inst, budget, buyable), buyable) == truth


def test_a_tie_is_left_to_the_exact_engine():
    """Two agendas with the same cost and supporters cost the same: floats cannot order them,
    so the float run declines and the exact run breaks the tie in the published order."""
    contest = Contest((Agenda("b", Fraction(10)), Agenda("a", Fraction(10))), Fraction(12))
    profile = Profile((BallotGroup(("a", "b"), 3),))
    inst = prepare(contest, profile, Satisfaction.COST, TieBreak())
    buyable = inst.buyable()
    budget = Fraction(4)
    assert float_run(inst, budget, buyable) is None
    decided = outline(inst, budget, buyable)
    counted = exact(inst, decided, buyable)
    assert [inst.ids[p] for p in decided.selected] == ["a"]
    assert counted.purchases[0].tied


@pytest.mark.parametrize(
    "name",
    [
        "Poland_Warszawa_2023_Bemowo.pb",
        "Poland_Krakow_2022.pb",
        "Poland_Wieliczka_2023_Green_Budget.pb",
        "US_Stanford_Dataset_PB_Chicago_39th_Ward_2020_vote_rankings.pb",
    ],
)
def test_floats_decide_real_elections_alone(name):
    """On real elections the floats decide every round (no exact fallback) and agree with the
    exact engine, at the share and at budgets Add1 reaches."""
    pb = load(name)
    measure = (
        Satisfaction.BORDA if pb.contest.ballot_type == BallotType.ORDINAL else Satisfaction.COST
    )
    inst = prepare(pb.contest, pb.profile, measure, TieBreak())
    buyable = inst.buyable()
    share = Fraction(int(pb.contest.budget * inst.unit), pb.profile.voters)
    for extra in (0, 17, 101):
        budget = share + extra * inst.unit
        decided = float_run(inst, budget, buyable)
        assert decided is not None
        assert decided.selected == run(inst, budget, buyable).selected
