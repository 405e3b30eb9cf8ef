from fractions import Fraction
from itertools import combinations

import pytest
from pabulib_data import FILES, load

from votesvc.tally.greedy import greedy
from votesvc.tally.model import Agenda, BallotGroup, Contest, Profile
from votesvc.tally.satisfaction import Satisfaction, total_satisfaction
from votesvc.tally.ties import TieBreak
from votesvc.tally.welfare import best_welfare, max_welfare


def contest(costs, budget):
    return Contest(tuple(Agenda(k, Fraction(v)) for k, v in costs.items()), Fraction(budget))


def profile(*groups):
    """``("a,b", 3)``: three voters listing a and b."""
    return Profile(tuple(BallotGroup(tuple(c.split(",")), n) for c, n in groups))


def brute_force(items, capacity):
    return max(
        sum(gain for _, gain in chosen)
        for size in range(len(items) + 1)
        for chosen in combinations(items, size)
        if sum(cost for cost, _ in chosen) <= capacity
    )


@pytest.mark.parametrize(
    ("items", "capacity"),
    [
        ([(5, 10), (4, 40), (6, 30), (3, 50)], 10),
        ([(1, 1), (2, 2), (3, 3), (4, 4)], 6),
        ([(7, 7), (7, 7), (7, 7)], 20),
        ([(10, 1)], 9),
        ([], 5),
    ],
)
def test_branch_and_bound_finds_the_optimum(items, capacity):
    assert best_welfare(items, capacity) == brute_force(items, capacity)


def test_greedy_order_is_not_optimal_but_welfare_is():
    c = contest({"a": 6, "b": 5, "c": 5}, 10)
    p = profile(("a", 3), ("b", 2), ("c", 2))
    outcome = max_welfare(c, p, satisfaction=Satisfaction.CARDINALITY, tie_break=TieBreak())
    assert outcome.selected == ("b", "c")
    assert outcome.options["welfare"] == "4"
    assert [r.action for r in outcome.rounds] == ["reject", "select", "select"]


def test_among_optimal_sets_the_tie_break_order_decides():
    c = contest({"x": 5, "y": 5, "z": 5}, 10)
    p = profile(("x", 1), ("y", 1), ("z", 1))
    outcome = max_welfare(c, p, satisfaction=Satisfaction.CARDINALITY, tie_break=TieBreak())
    assert outcome.selected == ("x", "y")
    assert [t.chosen for t in outcome.ties] == ["x", "y"]
    lot = max_welfare(
        c, p, satisfaction=Satisfaction.CARDINALITY, tie_break=TieBreak.parse("lot:7")
    )
    order = TieBreak.parse("lot:7").order(c, {})
    assert list(lot.selected) == sorted(order, key=order.get)[:2]


def test_fractional_costs_are_exact():
    c = contest({"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 2)}, Fraction(5, 6))
    p = profile(("a", 1), ("b", 1), ("c", 1))
    outcome = max_welfare(c, p, satisfaction=Satisfaction.COST, tie_break=TieBreak())
    assert set(outcome.selected) == {"a", "c"}
    assert outcome.total_cost == Fraction(5, 6)


def test_unwanted_agendas_are_not_funded():
    c = contest({"a": 1, "nobody": 1}, 5)
    outcome = max_welfare(
        c, profile(("a", 1)), satisfaction=Satisfaction.COST, tie_break=TieBreak()
    )
    assert outcome.selected == ("a",)


@pytest.mark.parametrize("name", [n for n in FILES if "Warszawa_2026.pb" not in n][:6] or [None])
def test_shared_file_optimum_beats_greedy_and_fits(name):
    if name is None:
        pytest.skip("no shared data")
    pb = load(name)
    outcome = max_welfare(
        pb.contest, pb.profile, satisfaction=Satisfaction.COST, tie_break=TieBreak()
    )
    totals = total_satisfaction(pb.contest, pb.profile, Satisfaction.COST)
    assert outcome.total_cost <= pb.contest.budget
    welfare = Fraction(outcome.options["welfare"])
    assert welfare == sum(totals[a] for a in outcome.selected)
    by_votes = greedy(pb.contest, pb.profile, satisfaction=Satisfaction.COST, tie_break=TieBreak())
    assert welfare >= sum(totals[a] for a in by_votes.selected)
