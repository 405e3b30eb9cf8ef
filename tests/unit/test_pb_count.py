import json
from fractions import Fraction

import pytest
from pabulib_data import PABULIB, load

from votesvc.tally.catalog import ALLOCATION_RULES
from votesvc.tally.model import Agenda, BallotGroup, BallotType, Contest, Profile
from votesvc.tally.outcome import Outcome
from votesvc.tally.pb_count import CountError, count, count_pb_file
from votesvc.tally.satisfaction import SatisfactionError
from votesvc.tally.ties import TieBreakError

CONTEST = Contest(
    (Agenda("a", Fraction(6), "Park"), Agenda("b", Fraction(5)), Agenda("c", Fraction(4))),
    Fraction(10),
    meta={"min_project_score_threshold": "4"},
)
PROFILE = Profile((BallotGroup(("a",), 5), BallotGroup(("b", "c"), 4), BallotGroup(("c",), 1)))

OWN_RULES = [r for r in ALLOCATION_RULES if not r.startswith("equalshares")]


@pytest.mark.parametrize("rule", OWN_RULES)
def test_every_rule_outside_equal_shares_counts_and_round_trips(rule):
    outcome = count(CONTEST, PROFILE, rule)
    assert outcome.rule == rule
    assert outcome.total_cost <= CONTEST.budget
    assert Outcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
    assert outcome.selected[0] in outcome.to_text()


def test_rules_differ_where_they_should():
    assert count(CONTEST, PROFILE, "greedy").selected == ("a", "c")
    assert count(CONTEST, PROFILE, "greedy-no-skip").rounds[-1].action == "stop"
    assert count(CONTEST, PROFILE, "greedy-threshold").selected == ("a", "c")
    assert count(CONTEST, PROFILE, "max-welfare").selected == ("a", "c")


def test_threshold_option_overrides_meta():
    outcome = count(CONTEST, PROFILE, "greedy-threshold", {"min_project_score_threshold": 6})
    assert outcome.selected == ()


@pytest.mark.parametrize(
    ("rule", "options", "tie_break", "error"),
    [
        ("plurality", {}, None, CountError),
        ("phragmen", {"satisfaction": "cost"}, None, CountError),
        ("greedy", {"satisfaction": "borda"}, None, SatisfactionError),
        ("greedy", {"satisfaction": "joy"}, None, SatisfactionError),
        ("greedy", {}, "coin", TieBreakError),
        ("greedy", {"add1_start": "share"}, None, CountError),
        ("equalshares", {"add1_start": "share"}, None, ValueError),
        ("equalshares/add1", {"add1_start": "round"}, None, ValueError),
    ],
)
def test_bad_requests_are_refused(rule, options, tie_break, error):
    with pytest.raises(error):
        count(CONTEST, PROFILE, rule, options, tie_break)


@pytest.mark.parametrize("start", ["share", "integral"])
def test_add1_start_option_reaches_equal_shares(start):
    profile = Profile((BallotGroup(("a",), 2), BallotGroup(("b", "c"), 1)))
    outcome = count(CONTEST, profile, "equalshares/add1-exhaustive", {"add1_start": start})
    assert outcome.options["add1_start"] == start
    first = next(r for r in outcome.rounds if r.action == "completion")
    # the first Add1 step is one currency unit above the start: 10/3 + 1, or 3 + 1
    assert first.details["budget_per_voter"] == ("13/3" if start == "share" else "4")


def test_threshold_rule_needs_a_threshold():
    bare = Contest(CONTEST.agendas, CONTEST.budget)
    with pytest.raises(CountError, match="min_project_score_threshold"):
        count(bare, PROFILE, "greedy-threshold")


def test_cumulative_contest_defaults_to_published_score():
    c = Contest(CONTEST.agendas, CONTEST.budget, BallotType.CUMULATIVE)
    p = Profile((BallotGroup(("a", "b"), 1, (1, 9)), BallotGroup(("a",), 2, (3,))))
    outcome = count(c, p, "greedy")
    assert outcome.options["satisfaction"] == "score"
    assert outcome.selected == ("b", "c")  # c: no points, but it fits (as in pabutools)


SMALL_GREEDY_FILES = [
    "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb",
    "Poland_Czestochowa_2020_Grabowka.pb",
    "Poland_Katowice_2020_Giszowiec.pb",
    "Poland_Krakow_2018_Debniki.pb",
    "Poland_Lodz_2024_Stoki-Sikawa-Podgorze.pb",
    "Poland_Warszawa_2023_Bemowo.pb",
    "Poland_Warszawa_2026_Sady_Zoliborskie.pb",
    "Poland_Zabrze_2020_Centrum_Poludnie.pb",
]
"""Files whose META rule is greedy or greedy-threshold, small enough to reparse in a test."""


@pytest.mark.parametrize("name", SMALL_GREEDY_FILES)
def test_file_is_counted_with_its_meta_rule(name):
    pb = load(name)
    result = count_pb_file(PABULIB / name)
    data = result.to_dict()
    assert data["rule"] == pb.meta["rule"]
    assert data["selected"] == [r["agenda"] for r in data["rounds"] if r["action"] == "select"]
    if pb.official_selected is not None:
        assert set(data["selected"]) == set(pb.official_selected)
    assert name in result.to_text()


def test_file_with_unknown_meta_rule_asks_for_one():
    name = "US_Stanford_Dataset_PB_Chicago_39th_Ward_2020_vote_rankings.pb"
    load(name)  # skips without shared data
    with pytest.raises(CountError, match="--rule"):
        count_pb_file(PABULIB / name)
    result = count_pb_file(PABULIB / name, rule="phragmen", tie_break="lot:3")
    assert result.to_dict()["options"]["tie_break"] == "lot:3"


def test_repairs_are_reported_with_the_result():
    name = "Poland_Warszawa_2026_Sady_Zoliborskie.pb"
    load(name)
    result = count_pb_file(PABULIB / name, satisfaction="cardinality")
    assert len(result.to_dict()["repairs"]) == 3
    assert "repaired: " in result.to_text()
    assert result.outcome.options["satisfaction"] == "cardinality"


@pytest.mark.parametrize("rule", [r for r in ALLOCATION_RULES if r.startswith("equalshares")])
def test_equal_shares_names_reach_the_equal_shares_module(rule):
    outcome = count(CONTEST, PROFILE, rule)
    assert outcome.rule == rule
    assert outcome.total_cost <= CONTEST.budget


def test_assen_is_counted_with_its_meta_rule_by_equal_shares():
    name = "Netherlands_Assen_2024.pb"
    pb = load(name)
    result = count_pb_file(PABULIB / name)
    assert result.outcome.rule == "equalshares/add1"
    assert set(result.outcome.selected) == set(pb.official_selected)
