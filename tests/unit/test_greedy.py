from fractions import Fraction

import pytest
from pabulib_data import expected, load, reference_cases

from votesvc.tally.greedy import greedy
from votesvc.tally.model import Agenda, BallotGroup, BallotType, Contest, Profile
from votesvc.tally.satisfaction import Satisfaction, default_satisfaction
from votesvc.tally.ties import TieBreak

REFERENCE_KEYS = {
    "greedy_cost": Satisfaction.COST,
    "greedy_card": Satisfaction.CARDINALITY,
    "greedy_points": Satisfaction.POINTS,
    "greedy_borda": Satisfaction.BORDA,
}


@pytest.mark.parametrize(("name", "key"), reference_cases(sorted(REFERENCE_KEYS)))
def test_shared_file_matches_pabutools(name, key):
    reference = expected()[name]["rules"][key]
    pb = load(name)
    outcome = greedy(pb.contest, pb.profile, satisfaction=REFERENCE_KEYS[key], tie_break=TieBreak())
    assert sorted(outcome.selected) == reference["selected"]
    assert outcome.total_cost == Fraction(reference["total_cost"])


OFFICIAL = [
    "Poland_Katowice_2020_Giszowiec.pb",
    "Poland_Krakow_2022.pb",
    "Poland_Lodz_2024_Stoki-Sikawa-Podgorze.pb",
    "Poland_Warszawa_2023_Bemowo.pb",
    "Poland_Warszawa_2026.pb",
    "Poland_Warszawa_2026_Sady_Zoliborskie.pb",
]
"""Every shared file whose META rule is greedy or greedy-threshold and that has ``selected``."""


@pytest.mark.parametrize("name", OFFICIAL)
def test_official_greedy_results_are_reproduced(name):
    pb = load(name)
    threshold = None
    if pb.meta["rule"] == "greedy-threshold":
        threshold = Fraction(pb.meta["min_project_score_threshold"])
    measure = default_satisfaction(pb.contest.ballot_type)
    outcome = greedy(
        pb.contest, pb.profile, satisfaction=measure, tie_break=TieBreak(), threshold=threshold
    )
    assert set(outcome.selected) == set(pb.official_selected)


def test_the_official_list_is_every_greedy_file_with_a_selection():
    names = [
        name
        for name in expected()
        if load(name).meta["rule"] in ("greedy", "greedy-threshold")
        and load(name).official_selected is not None
    ]
    assert sorted(names) == OFFICIAL


def contest(costs, budget, ballot_type=BallotType.APPROVAL, **meta):
    agendas = tuple(Agenda(k, Fraction(v)) for k, v in costs.items())
    return Contest(agendas, Fraction(budget), ballot_type, meta=meta)


def profile(*groups):
    """``("a,b", 3)``: three voters listing a and b."""
    return Profile(tuple(BallotGroup(tuple(c.split(",")), n) for c, n in groups))


def test_ranking_by_votes_skips_what_does_not_fit():
    c = contest({"a": 6, "b": 5, "c": 4}, 10)
    p = profile(("a", 5), ("b", 4), ("c", 3))
    outcome = greedy(c, p, satisfaction=Satisfaction.COST, tie_break=TieBreak())
    assert outcome.selected == ("a", "c")
    assert [r.action for r in outcome.rounds] == ["select", "skip", "select"]
    assert outcome.total_cost == 10


def test_no_skip_stops_at_the_first_misfit():
    c = contest({"a": 6, "b": 5, "c": 4}, 10)
    p = profile(("a", 5), ("b", 4), ("c", 3))
    outcome = greedy(c, p, satisfaction=Satisfaction.COST, tie_break=TieBreak(), skip=False)
    assert outcome.selected == ("a",)
    assert outcome.rounds[-1].action == "stop"
    assert outcome.rounds[-1].agenda == "b"


def test_threshold_leaves_out_low_scores():
    c = contest({"a": 1, "b": 1, "c": 1}, 10)
    p = profile(("a", 5), ("b,c", 2), ("c", 1))
    outcome = greedy(
        c, p, satisfaction=Satisfaction.COST, tie_break=TieBreak(), threshold=Fraction(3)
    )
    assert outcome.selected == ("a", "c")
    assert outcome.rounds[-1].details["reason"].startswith("score 2 below")


def test_ties_follow_the_order_and_are_recorded():
    c = contest({"10": 5, "9": 5, "2": 5}, 10)
    p = profile(("9", 2), ("10", 2), ("2", 2))
    outcome = greedy(c, p, satisfaction=Satisfaction.COST, tie_break=TieBreak())
    assert outcome.selected == ("10", "2")
    assert outcome.ties[0].candidates == ("10", "2", "9")
    assert outcome.ties[0].chosen == "10"
    lot = greedy(c, p, satisfaction=Satisfaction.COST, tie_break=TieBreak.parse("lot:1"))
    assert lot.ties[0].method == "lot:1"


def test_cardinality_ranks_per_unit_of_cost_and_free_agendas_come_first():
    c = contest({"big": 8, "small": 2, "free": 0, "nobody": 1}, 9)
    p = profile(("big", 3), ("small", 1), ("free", 1))
    outcome = greedy(c, p, satisfaction=Satisfaction.CARDINALITY, tie_break=TieBreak())
    assert outcome.selected == ("free", "small", "nobody")


def test_score_satisfaction_ranks_ordinal_ballots_by_positional_points():
    c = Contest(
        (Agenda("a", Fraction(1)), Agenda("b", Fraction(1)), Agenda("c", Fraction(1))),
        Fraction(1),
        BallotType.ORDINAL,
    )
    p = Profile((BallotGroup(("a", "b", "c"), 2), BallotGroup(("b", "c"), 3)))
    outcome = greedy(c, p, satisfaction=Satisfaction.SCORE, tie_break=TieBreak())
    assert dict(outcome.support) == {"a": 6, "b": 4 + 6, "c": 2 + 3}
    assert outcome.selected == ("b",)


def test_greedy_exceeds_no_budget_and_serialises():
    pb = load("Poland_Warszawa_2026.pb")
    outcome = greedy(pb.contest, pb.profile, satisfaction=Satisfaction.COST, tie_break=TieBreak())
    assert outcome.total_cost <= pb.contest.budget
    assert type(outcome).from_dict(outcome.to_dict()) == outcome
