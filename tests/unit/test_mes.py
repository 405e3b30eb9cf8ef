"""Equal Shares: pabutools' outcomes on every shared file, official results, random elections.

The shared files' reference outcomes (``expected.json``) are pabutools' with lexicographic
tie-breaking; Budapest's Add1 outcome is equalshares.net's (integral start). Random elections are
counted by pabutools live and must agree for every variant pabutools has.
"""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pabulib_data import expected, load, reference_cases
from pabutools.analysis.justifiedrepresentation import is_EJR_one_approval
from pabutools.election import Additive_Borda_Sat, Additive_Cardinal_Sat, Cardinality_Sat, Cost_Sat
from pabutools.election.pabulib import parse_pabulib_from_string
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare
from pabutools.rules.mes import method_of_equal_shares

from votesvc.tally.mes.equal_shares import EqualSharesError, equal_shares
from votesvc.tally.model import Agenda, BallotGroup, BallotType, Contest, Profile
from votesvc.tally.outcome import Outcome
from votesvc.tally.pabulib import PbFile, read_pb, write_pb
from votesvc.tally.satisfaction import Satisfaction
from votesvc.tally.ties import TieBreak

REFERENCE = {
    "mes_cost": (Satisfaction.COST, "none"),
    "mes_cost_greedy": (Satisfaction.COST, "greedy"),
    "mes_cost_add1": (Satisfaction.COST, "add1-exhaustive"),
    "mes_cost_add1_greedy": (Satisfaction.COST, "add1-greedy"),
    "mes_points": (Satisfaction.POINTS, "none"),
}
INTEGRAL = {("Hungary_Budapest_2024.pb", "mes_cost_add1")}
"""Computed by equalshares.net's tool, which starts Add1 at the integral share."""


@pytest.mark.parametrize(("name", "key"), reference_cases(sorted(REFERENCE)))
def test_shared_file_matches_reference(name, key):
    reference = expected()[name]["rules"][key]
    pb = load(name)
    measure, completion = REFERENCE[key]
    start = "integral" if (name, key) in INTEGRAL else None
    outcome = equal_shares(
        pb.contest, pb.profile, satisfaction=measure, completion=completion, add1_start=start
    )
    assert sorted(outcome.selected) == reference["selected"]
    assert outcome.total_cost == Fraction(reference["total_cost"])


@pytest.mark.parametrize(
    ("name", "completion"),
    [
        ("Netherlands_Assen_2024.pb", "add1"),
        ("Poland_Wieliczka_2023_Green_Budget.pb", "add1-comparison"),
    ],
)
@pytest.mark.parametrize("start", ["integral", "share"])
def test_official_equal_shares_results_are_reproduced(name, completion, start):
    pb = load(name)
    assert pb.meta["rule"] == f"equalshares/{completion}"
    official = expected()[name]["official_selected"]
    outcome = equal_shares(pb.contest, pb.profile, completion=completion, add1_start=start)
    assert sorted(outcome.selected) == sorted(official)


def test_outcome_tells_every_purchase_and_add1_step():
    pb = load("Netherlands_Assen_2024.pb")
    outcome = equal_shares(pb.contest, pb.profile, completion="add1")
    purchases = [r for r in outcome.rounds if r.action == "select"]
    assert [r.agenda for r in purchases] == list(outcome.selected)
    for purchase in purchases:
        rho = Fraction(purchase.details["rho"])
        cost = Fraction(purchase.details["cost"])
        assert Fraction(purchase.details["price"]) == rho * cost
        assert 0 < rho * cost * purchase.details["supporters"] >= cost
    steps = [r for r in outcome.rounds if r.action == "completion"]
    stop = outcome.rounds[-1]
    assert stop.action == "stop" and stop.details["reason"] == "overspend"
    first = Fraction(int(pb.contest.budget) // pb.profile.voters)
    assert Fraction(steps[0].details["budget_per_voter"]) == first + 1
    assert (
        sum(r.details["steps"] for r in steps) == Fraction(stop.details["budget_per_voter"]) - first
    )
    assert Fraction(stop.details["next_spend"]) > pb.contest.budget
    assert Outcome.from_dict(outcome.to_dict()) == outcome


def test_swiecie_filter_leaves_out_agendas_with_a_small_vote_share():
    # a: 1 of 10 voters but half the budget: 1/10 < 50/(3*100) -> ineligible
    agendas = (Agenda("a", Fraction(50)), Agenda("b", Fraction(20)), Agenda("c", Fraction(20)))
    groups = (BallotGroup(("a",), 1), BallotGroup(("b", "c"), 9))
    contest = Contest(agendas, Fraction(100))
    # without the filter the comparison step prefers greedy, which funds all three
    plain = equal_shares(contest, Profile(groups), completion="add1-comparison")
    assert sorted(plain.selected) == ["a", "b", "c"]
    assert plain.rounds[-1].details == {
        "prefer_equal_shares": 0,
        "prefer_greedy": 1,
        "kept": "greedy",
    }
    outcome = equal_shares(contest, Profile(groups), completion="swiecie")
    assert sorted(outcome.selected) == ["b", "c"]
    assert (outcome.rounds[0].action, outcome.rounds[0].agenda) == ("skip", "a")


def test_comparison_step_can_prefer_greedy():
    # MES funds the minority's cheap agenda; greedy funds two agendas most voters want
    agendas = (Agenda("x", Fraction(50)), Agenda("y", Fraction(50)), Agenda("z", Fraction(10)))
    groups = (BallotGroup(("x", "y"), 6), BallotGroup(("z",), 4))
    contest = Contest(agendas, Fraction(100))
    outcome = equal_shares(contest, Profile(groups), completion="add1-comparison")
    compare = outcome.rounds[-1]
    assert compare.action == "compare"
    kept_greedy = compare.details["kept"] == "greedy"
    assert kept_greedy == (
        compare.details["prefer_greedy"] > compare.details["prefer_equal_shares"]
    )
    assert set(outcome.selected) == ({"x", "y"} if kept_greedy else set(outcome.selected))


def test_unknown_completion_and_start_are_refused():
    pb = load("Netherlands_Assen_2024.pb")
    with pytest.raises(EqualSharesError):
        equal_shares(pb.contest, pb.profile, completion="add2")
    with pytest.raises(EqualSharesError):
        equal_shares(pb.contest, pb.profile, completion="add1", add1_start="round")


# --- random elections against pabutools --------------------------------------------------------

IDS = ("1", "2", "10", "a", "b7", "B")
PABUTOOLS_SAT = {
    Satisfaction.COST: Cost_Sat,
    Satisfaction.CARDINALITY: Cardinality_Sat,
    Satisfaction.POINTS: Additive_Cardinal_Sat,
    Satisfaction.BORDA: Additive_Borda_Sat,
}


@st.composite
def elections(draw, ballot_type=BallotType.APPROVAL):
    """A ``.pb`` text: up to 6 agendas, up to 8 kinds of ballot, equal costs and counts likely."""
    ids = draw(st.permutations(IDS))[: draw(st.integers(1, len(IDS)))]
    denominator = draw(st.sampled_from([1, 1, 2, 4]))
    costs = st.integers(0, 12).map(lambda c: Fraction(c, denominator))
    agendas = tuple(Agenda(i, draw(costs)) for i in ids)
    budget = Fraction(draw(st.integers(1, 40)), draw(st.sampled_from([1, 2, 3])))
    groups = []
    for _ in range(draw(st.integers(1, 8))):
        minimum = 1 if ballot_type is BallotType.CUMULATIVE else 0
        choices = draw(st.lists(st.sampled_from(ids), min_size=minimum, unique=True))
        points = ()
        if ballot_type is BallotType.CUMULATIVE:
            points = tuple(draw(st.integers(0, 5)) for _ in choices)
        groups.append(BallotGroup(tuple(choices), draw(st.integers(1, 5)), points))
    contest = Contest(agendas, budget, ballot_type)
    return write_pb(PbFile(contest, Profile(tuple(groups))))


def _pabutools(text, measure, completion):
    instance, profile = parse_pabulib_from_string(text)
    sat = PABUTOOLS_SAT[measure]
    increment = 1 if completion in ("add1-exhaustive", "add1-greedy") else None
    if completion in ("greedy", "add1-greedy"):
        return completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat, "voter_budget_increment": increment}, {"sat_class": sat}],
        )
    return method_of_equal_shares(
        instance, profile, sat_class=sat, voter_budget_increment=increment
    )


def check_against_pabutools(text, measure, completion):
    pb = read_pb(text)
    ours = equal_shares(pb.contest, pb.profile, satisfaction=measure, completion=completion)
    theirs = _pabutools(text, measure, completion)
    assert sorted(ours.selected) == sorted(p.name for p in theirs)
    spent = sum((pb.contest.agenda(a).cost for a in ours.selected), Fraction(0))
    assert spent == ours.total_cost <= pb.contest.budget
    assert len(set(ours.selected)) == len(ours.selected)


PABUTOOLS_COMPLETIONS = ["none", "greedy", "add1-exhaustive", "add1-greedy"]


@settings(max_examples=200, deadline=None)
@given(
    elections(),
    st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]),
    st.sampled_from(PABUTOOLS_COMPLETIONS),
)
def test_approval_agrees_with_pabutools(text, measure, completion):
    check_against_pabutools(text, measure, completion)


@settings(max_examples=80, deadline=None)
@given(
    elections(BallotType.CUMULATIVE),
    st.sampled_from([Satisfaction.COST, Satisfaction.POINTS]),
    st.sampled_from(PABUTOOLS_COMPLETIONS),
)
def test_points_agree_with_pabutools(text, measure, completion):
    check_against_pabutools(text, measure, completion)


@settings(max_examples=80, deadline=None)
@given(
    elections(BallotType.ORDINAL),
    st.sampled_from([Satisfaction.COST, Satisfaction.BORDA]),
    st.sampled_from(["none", "add1-exhaustive"]),
)
def test_rankings_agree_with_pabutools(text, measure, completion):
    check_against_pabutools(text, measure, completion)


@settings(max_examples=100, deadline=None)
@given(elections(), st.sampled_from(["add1", "add1-comparison", "swiecie"]))
def test_city_variants_keep_the_budget(text, completion):
    pb = read_pb(text)
    outcome = equal_shares(pb.contest, pb.profile, completion=completion)
    assert outcome.total_cost <= pb.contest.budget
    assert len(set(outcome.selected)) == len(outcome.selected)


@st.composite
def small_elections(draw):
    """At most 6 voters and 4 agendas: pabutools' EJR check walks every group of voters."""
    ids = IDS[: draw(st.integers(1, 4))]
    agendas = tuple(Agenda(i, Fraction(draw(st.integers(1, 12)))) for i in ids)
    ballots = draw(st.lists(st.lists(st.sampled_from(ids), unique=True), min_size=1, max_size=6))
    groups = tuple(BallotGroup(tuple(b)) for b in ballots)
    contest = Contest(agendas, Fraction(draw(st.integers(1, 30))))
    return write_pb(PbFile(contest, Profile(groups)))


@settings(max_examples=60, deadline=None)
@given(small_elections(), st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]))
def test_equal_shares_is_ejr_up_to_one(text, measure):
    pb = read_pb(text)
    ours = equal_shares(pb.contest, pb.profile, satisfaction=measure)
    instance, profile = parse_pabulib_from_string(text)
    chosen = [p for p in instance if p.name in ours.selected]
    assert is_EJR_one_approval(instance, profile, PABUTOOLS_SAT[measure], chosen)


def test_tie_break_order_decides_equal_prices_and_is_recorded():
    # same supporters, so the same rho under cost satisfaction; only one fits
    agendas = (Agenda("a", Fraction(10)), Agenda("b", Fraction(8)))
    contest = Contest(agendas, Fraction(10))
    profile = Profile((BallotGroup(("a", "b"), 4),))
    by_id = equal_shares(contest, profile)
    by_cost = equal_shares(contest, profile, tie_break=TieBreak.parse("equalshares"))
    assert by_id.selected == ("a",)
    assert by_cost.selected == ("b",)
    for outcome, method in ((by_id, "pabutools"), (by_cost, "equalshares:0")):
        (tie,) = outcome.ties
        assert set(tie.candidates) == {"a", "b"}
        assert (tie.chosen, tie.method) == (outcome.selected[0], method)
