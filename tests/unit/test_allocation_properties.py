"""Random small elections: our rules agree with pabutools, keep the budget, greedy is exhaustive.

Each drawn election is written as a ``.pb`` text and read by both sides, so the reference sees
exactly our input (and our writer is checked against pabutools' reader on the way).
"""

import json
from fractions import Fraction
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from pabutools.election import (
    Additive_Borda_Sat,
    Additive_Cardinal_Sat,
    Cardinality_Sat,
    Cost_Sat,
)
from pabutools.election.pabulib import parse_pabulib_from_string
from pabutools.rules import (
    greedy_utilitarian_welfare,
    max_additive_utilitarian_welfare,
    sequential_phragmen,
)

from votesvc.tally.catalog import ALLOCATION_RULES
from votesvc.tally.greedy import greedy
from votesvc.tally.model import Agenda, BallotGroup, BallotType, Contest, Profile
from votesvc.tally.outcome import Outcome
from votesvc.tally.pabulib import PbFile, read_pb, write_pb
from votesvc.tally.pb_count import count
from votesvc.tally.phragmen import phragmen
from votesvc.tally.satisfaction import Satisfaction, total_satisfaction
from votesvc.tally.ties import TieBreak
from votesvc.tally.welfare import max_welfare

IDS = ("1", "2", "10", "a", "b7", "B")
"""Ids whose string order differs from their numeric or case-blind order."""

PABUTOOLS_SAT = {
    Satisfaction.COST: Cost_Sat,
    Satisfaction.CARDINALITY: Cardinality_Sat,
    Satisfaction.POINTS: Additive_Cardinal_Sat,
    Satisfaction.BORDA: Additive_Borda_Sat,
}

ORDER = TieBreak()


@st.composite
def elections(draw, ballot_type=BallotType.APPROVAL, halves=True):
    """A ``.pb`` text: up to 6 agendas, up to 8 kinds of ballot, ties likely."""
    ids = draw(st.permutations(IDS))[: draw(st.integers(1, len(IDS)))]
    denominator = st.sampled_from([1, 2]) if halves else st.just(1)
    agendas = tuple(Agenda(i, Fraction(draw(st.integers(0, 12)), draw(denominator))) for i in ids)
    budget = Fraction(draw(st.integers(0, 30)), draw(denominator))
    groups = []
    for _ in range(draw(st.integers(0, 8))):
        with_points = ballot_type in (BallotType.CUMULATIVE, BallotType.SCORING)
        choices = draw(st.lists(st.sampled_from(ids), min_size=int(with_points), unique=True))
        points = tuple(draw(st.integers(0, 5)) for _ in choices) if with_points else ()
        groups.append(BallotGroup(tuple(choices), draw(st.integers(1, 3)), points))
    contest = Contest(agendas, budget, ballot_type)
    return write_pb(PbFile(contest, Profile(tuple(groups))))


def both(text):
    pb = read_pb(text)
    instance, profile = parse_pabulib_from_string(text)
    return pb.contest, pb.profile, instance, profile


def check_budget(contest, outcome):
    spent = sum((contest.agenda(a).cost for a in outcome.selected), Fraction(0))
    # greedy-reserve's last agenda may draw on a reserve outside the budget (Poznań's rule)
    assert spent == outcome.total_cost <= contest.budget + outcome.reserve
    assert len(set(outcome.selected)) == len(outcome.selected)


def check_greedy(text, measure):
    contest, profile, instance, reference_profile = both(text)
    ours = greedy(contest, profile, satisfaction=measure, tie_break=ORDER)
    theirs = greedy_utilitarian_welfare(
        instance, reference_profile, sat_class=PABUTOOLS_SAT[measure]
    )
    assert list(ours.selected) == [p.name for p in theirs]
    check_budget(contest, ours)
    left = contest.budget - ours.total_cost
    assert all(a.cost > left for a in contest.agendas if a.id not in ours.selected)


@settings(max_examples=150, deadline=None)
@given(elections(), st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]))
def test_greedy_agrees_with_pabutools_on_approval(text, measure):
    check_greedy(text, measure)


@settings(max_examples=80, deadline=None)
@given(elections(BallotType.CUMULATIVE), st.sampled_from(list(PABUTOOLS_SAT)[:3]))
def test_greedy_agrees_with_pabutools_on_points(text, measure):
    check_greedy(text, measure)


@settings(max_examples=80, deadline=None)
@given(elections(BallotType.ORDINAL), st.sampled_from([Satisfaction.COST, Satisfaction.BORDA]))
def test_greedy_agrees_with_pabutools_on_rankings(text, measure):
    check_greedy(text, measure)


@settings(max_examples=150, deadline=None)
@given(elections())
def test_phragmen_agrees_with_pabutools(text):
    contest, profile, instance, reference_profile = both(text)
    ours = phragmen(contest, profile, tie_break=ORDER)
    theirs = sequential_phragmen(instance, reference_profile)
    assert sorted(ours.selected) == sorted(p.name for p in theirs)
    check_budget(contest, ours)
    exhaustive = phragmen(contest, profile, tie_break=ORDER, exhaustive=True)
    check_budget(contest, exhaustive)
    assert exhaustive.selected[: len(ours.selected)] == ours.selected
    left = contest.budget - exhaustive.total_cost
    assert all(a.cost > left for a in contest.agendas if a.id not in exhaustive.selected)


def optimal_sets(contest, totals):
    """Every affordable set of wanted agendas with the greatest welfare (brute force)."""
    wanted = [a for a in contest.agendas if totals[a.id] > 0]
    feasible = [
        chosen
        for size in range(len(wanted) + 1)
        for chosen in combinations(wanted, size)
        if sum(a.cost for a in chosen) <= contest.budget
    ]
    best = max(sum((totals[a.id] for a in chosen), Fraction(0)) for chosen in feasible)
    return best, [c for c in feasible if sum((totals[a.id] for a in c), Fraction(0)) == best]


@settings(max_examples=150, deadline=None)
@given(elections(halves=False), st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]))
def test_max_welfare_is_optimal_first_in_order_and_agrees_with_pabutools(text, measure):
    contest, profile, instance, reference_profile = both(text)
    ours = max_welfare(contest, profile, satisfaction=measure, tie_break=ORDER)
    check_budget(contest, ours)
    totals = total_satisfaction(contest, profile, measure)
    best, optima = optimal_sets(contest, totals)
    assert Fraction(ours.options["welfare"]) == best
    ranks = ORDER.order(contest, {})
    in_order = sorted(contest.agendas, key=lambda agenda: ranks[agenda.id])
    first = max(optima, key=lambda chosen: [agenda in chosen for agenda in in_order])
    assert set(ours.selected) == {a.id for a in first}
    if all(a.cost == 0 for a in contest.agendas):
        return  # pabutools' primal/dual search fails with no costly item (IndexError)
    theirs = max_additive_utilitarian_welfare(
        instance, reference_profile, sat_class=PABUTOOLS_SAT[measure]
    )
    assert sum((totals[p.name] for p in theirs), Fraction(0)) == best


RULES = [r for r in ALLOCATION_RULES if not r.startswith("equalshares")]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(list(BallotType)).flatmap(elections),
    st.sampled_from(RULES),
    st.sampled_from(["pabutools", "equalshares:4", "lot:9"]),
)
def test_every_rule_keeps_the_budget_and_serialises(text, rule, order):
    pb = read_pb(text)
    options = {"min_project_score_threshold": 2} if rule == "greedy-threshold" else {}
    outcome = count(pb.contest, pb.profile, rule, options, order)
    check_budget(pb.contest, outcome)
    assert Outcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
    funded = [r.agenda for r in outcome.rounds if r.action == "select"]
    assert tuple(funded) == outcome.selected
