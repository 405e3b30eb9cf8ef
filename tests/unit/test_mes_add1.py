"""Add1 with proven jumps gives exactly the outcome of stepping one currency unit at a time.

The oracle here is the rule as written: run MES at every step and stop where the rule says. It
uses the same engine without the certificate, so these tests check the skipping; ``test_mes``
checks the engine against pabutools.
"""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pabulib_data import load

from votesvc.tally.mes.add1 import add1, ceiling, is_exhaustive
from votesvc.tally.mes.exact import Instance, RunResult, run
from votesvc.tally.mes.floating import span
from votesvc.tally.mes.instance import prepare
from votesvc.tally.model import Agenda, BallotGroup, Contest, Profile
from votesvc.tally.satisfaction import Satisfaction
from votesvc.tally.ties import TieBreak


def step_by_step(
    inst: Instance, start: Fraction, total: int, exhaustive: bool
) -> tuple[RunResult, str, int]:
    """The Add1 rule one step at a time: final outcome, why it stopped, steps taken."""
    buyable = inst.buyable()
    current = run(inst, start, buyable)
    steps = 0
    while True:
        if exhaustive and is_exhaustive(inst, buyable, current, total):
            return current, "exhaustive", steps
        if current.budget >= ceiling(inst, buyable):
            return current, "constant", steps
        following = run(inst, current.budget + inst.unit, buyable)
        if sum(inst.cost[p] for p in following.selected) > total:
            return current, "overspend", steps
        current = following
        steps += 1


def check_same(contest, profile, measure, start_rule, exhaustive):
    inst = prepare(contest, profile, measure, TieBreak())
    total = int(contest.budget * inst.unit)
    voters = profile.voters
    if start_rule == "share":
        start = Fraction(total, voters)
    else:
        start = Fraction(total // (voters * inst.unit) * inst.unit)
    expected, stop, steps = step_by_step(inst, start, total, exhaustive)
    done = add1(inst, inst.buyable(), start, total, exhaustive=exhaustive)
    assert done.final.purchases == expected.purchases
    assert done.final.budget == expected.budget
    assert done.stop == stop
    assert sum(r.steps for r in done.records) == steps


@st.composite
def crowds(draw):
    """Elections with many voters and costs far above the share, so Add1 walks many steps."""
    names = ("p", "q", "r", "s", "t")[: draw(st.integers(2, 5))]
    agendas = tuple(Agenda(n, Fraction(draw(st.integers(10, 60)))) for n in names)
    groups = tuple(
        BallotGroup(
            tuple(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))),
            draw(st.integers(1, 12)),
        )
        for _ in range(draw(st.integers(1, 6)))
    )
    contest = Contest(agendas, Fraction(draw(st.integers(30, 200))))
    return contest, Profile(groups)


@settings(max_examples=120, deadline=None)
@given(
    crowds(),
    st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]),
    st.sampled_from(["share", "integral"]),
    st.booleans(),
)
def test_jumps_agree_with_stepping_on_random_elections(election, measure, start, exhaustive):
    contest, profile = election
    supported = {agenda for group in profile.groups for agenda in group.choices}
    if not exhaustive and sum(contest.agenda(a).cost for a in supported) <= contest.budget:
        return  # the rule without the exhaustive stop never stops: everything fits
    check_same(contest, profile, measure, start, exhaustive)


def instance_and_budget(election, measure, data) -> tuple[Instance, tuple[int, ...], Fraction]:
    """The prepared election, its buyable agendas and a drawn per-voter budget."""
    contest, profile = election
    inst = prepare(contest, profile, measure, TieBreak())
    low = Fraction(data.draw(st.integers(0, 40)), data.draw(st.sampled_from([1, 3, 7])))
    return inst, inst.buyable(), low


@settings(max_examples=100, deadline=None)
@given(crowds(), st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]), st.data())
def test_every_budget_in_a_span_has_one_of_its_outcomes(election, measure, data):
    inst, buyable, low = instance_and_budget(election, measure, data)
    width = data.draw(st.integers(1, 30))
    outcomes = span(inst, buyable, low, low + width, 8)
    if outcomes is None:
        return
    for k in range(width * 4 + 1):
        between = run(inst, low + Fraction(k, 4), buyable)
        assert frozenset(between.selected) in outcomes


@settings(max_examples=150, deadline=None)
@given(crowds(), st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]), st.data())
def test_a_run_started_from_a_higher_budgets_bounds_is_the_same_run(election, measure, data):
    inst, buyable, low = instance_and_budget(election, measure, data)
    high = low + Fraction(data.draw(st.integers(0, 40)), data.draw(st.sampled_from([1, 2])))
    hinted = run(inst, low, buyable, hints=run(inst, high, buyable).bounds)
    assert hinted.purchases == run(inst, low, buyable).purchases


SMALL = [
    "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb",
    "Netherlands_Assen_2024.pb",
    "Poland_Czestochowa_2020_Grabowka.pb",
    "Poland_Katowice_2020_Giszowiec.pb",
    "Poland_Krakow_2018_Debniki.pb",
    "Poland_Lodz_2024_Stoki-Sikawa-Podgorze.pb",
    "Poland_Warszawa_2026_Sady_Zoliborskie.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
    "Poland_Zabrze_2020_Centrum_Poludnie.pb",
]


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize(("start", "exhaustive"), [("share", True), ("integral", False)])
def test_jumps_agree_with_stepping_on_shared_files(name, start, exhaustive):
    pb = load(name)
    check_same(pb.contest, pb.profile, Satisfaction.COST, start, exhaustive)


@st.composite
def few_voters_large_amounts(draw):
    """A handful of voters and amounts in hundreds of units: supporter counts tie, nobody runs
    short, and prices stay exactly tied over long spans (the demo election in won)."""
    names = ("p", "q", "r", "s", "t", "u")[: draw(st.integers(2, 6))]
    agendas = tuple(Agenda(n, Fraction(100 * draw(st.integers(1, 8)))) for n in names)
    groups = tuple(
        BallotGroup(
            tuple(
                sorted(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)))
            ),
            draw(st.integers(1, 2)),
        )
        for _ in range(draw(st.integers(1, 4)))
    )
    return Contest(agendas, Fraction(100 * draw(st.integers(2, 20)))), Profile(groups)


@settings(max_examples=150, deadline=None)
@given(few_voters_large_amounts(), st.sampled_from(["share", "integral"]), st.booleans())
def test_jumps_over_exact_ties_agree_with_stepping(election, start, exhaustive):
    check_same(*election, Satisfaction.COST, start, exhaustive)


@settings(max_examples=150, deadline=None)
@given(
    few_voters_large_amounts(),
    st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]),
    st.data(),
)
def test_every_budget_in_a_span_over_exact_ties_has_one_of_its_outcomes(election, measure, data):
    inst, buyable, low = instance_and_budget(election, measure, data)
    width = data.draw(st.integers(1, 400))
    outcomes = span(inst, buyable, low, low + width, data.draw(st.sampled_from([1, 4])))
    if outcomes is None:
        return
    for k in range(0, width + 1, max(1, width // 40)):
        assert frozenset(run(inst, low + k, buyable).selected) in outcomes
