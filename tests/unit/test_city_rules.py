"""The cities' own rules: thresholds under every greedy, withdrawn agendas, the file's tie order,
Poznań's reserve, mutually exclusive agendas; and the shared city files counted by META rule."""

import json
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_mes_add1 import crowds, step_by_step

from votesvc.publication.explain import allocation
from votesvc.tally.catalog import ALLOCATION_RULES
from votesvc.tally.mes.add1 import add1
from votesvc.tally.mes.instance import prepare
from votesvc.tally.model import Agenda, BallotGroup, Contest, Profile
from votesvc.tally.pabulib import PbFile, write_pb
from votesvc.tally.pb_count import CountError, count, count_pb_file
from votesvc.tally.pb_rules import PbRuleError, meta_rule
from votesvc.tally.satisfaction import Satisfaction, total_satisfaction
from votesvc.tally.ties import TieBreak
from votesvc.tally.welfare import max_welfare

CITIES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pabulib-cities"
OFFICIAL = json.loads((CITIES / "official.json").read_text()) if CITIES.is_dir() else {}

POZNAN_COMMENT = (
    "#1: This special greedy rule works as follows: At the beginning, we sort projects based on "
    "the number of votes. Then, we fund projects that received the highest number of votes "
    "until the next project on the list does not fit within the budget. Finally, if the "
    "remaining budget is enough to fund at least {percent}% of that project, we fund it as well "
    "with the external reserve funds."
)


def city_files() -> list:
    if not OFFICIAL:
        reason = f"shared city data not found at {CITIES}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return sorted(OFFICIAL)


@pytest.mark.parametrize("name", city_files())
def test_each_city_file_reproduces_its_official_result_by_its_meta_rule(name):
    official = OFFICIAL[name]
    result = count_pb_file(CITIES / name)
    assert set(result.outcome.selected) == set(
        official["official_selected"] + official["selected_2"]
    )
    assert result.outcome.options["tie_break"] == "file"


def test_poznan_marks_what_the_reserve_paid():
    if not OFFICIAL:
        pytest.skip(f"shared city data not found at {CITIES}")
    name = next(n for n, o in OFFICIAL.items() if o["selected_2"])
    outcome = count_pb_file(CITIES / name).outcome
    (reserved,) = [r for r in outcome.rounds if "reserve" in r.details]
    assert [reserved.agenda] == OFFICIAL[name]["selected_2"]
    assert outcome.reserve == Fraction(reserved.details["reserve"]) > 0
    assert outcome.total_cost == outcome.budget + outcome.reserve
    assert outcome.rule == "greedy-reserve" and outcome.options["reserve_fraction"] == "4/5"


def contest(costs, budget, *, exclusive=(), **meta):
    agendas = tuple(Agenda(k, Fraction(v)) for k, v in costs.items())
    return Contest(agendas, Fraction(budget), meta=meta, exclusive=exclusive)


def profile(*groups):
    """``("a,b", 3)``: three voters listing a and b."""
    return Profile(tuple(BallotGroup(tuple(sorted(c.split(","))), n) for c, n in groups))


VOTES = profile(("a", 60), ("b", 45), ("c", 30), ("d", 10))
CONTEST = contest({"a": 1, "b": 1, "c": 1, "d": 1}, 2)


@pytest.mark.parametrize("rule", ["greedy", "greedy-no-skip", "greedy-exclusive", "greedy-reserve"])
def test_the_meta_threshold_holds_under_every_greedy(rule):
    c = contest({"a": 3, "b": 3, "c": 3, "d": 1}, 100, min_project_score_threshold="40")
    assert count(c, VOTES, rule).selected == ("a", "b")


def test_a_withdrawn_agenda_does_not_stop_a_no_skip_count():
    c = contest({"a": 999999999, "b": 6, "c": 6, "d": 6}, 10)
    outcome = count(c, VOTES, "greedy-no-skip")
    assert outcome.selected == ("b",)
    assert [(r.action, r.agenda) for r in outcome.rounds][:3] == [
        ("skip", "a"),
        ("select", "b"),
        ("stop", "c"),
    ]
    why = allocation(
        {"outcome": outcome.to_dict()}, {"a": 999999999, "b": 6, "c": 6, "d": 0}, "PLN"
    )
    assert "more than the whole budget" in why["a"]["en"] and "철회" in why["a"]["ko"]


def test_ties_in_file_order_follow_the_published_list():
    c = contest({"9": 5, "10": 5}, 5)
    votes = profile(("9", 3), ("10", 3))
    assert count(c, votes, "greedy", tie_break="file").selected == ("9",)
    assert count(c, votes, "greedy").selected == ("10",)  # pabutools: "10" < "9"
    assert count(c, votes, "greedy", tie_break="file").ties[0].method == "file"


def test_the_reserve_funds_the_stopping_agenda_only_above_the_fraction():
    c = contest({"a": 6, "b": 5, "c": 1, "d": 1}, 10)
    funded = count(c, VOTES, "greedy-reserve")  # 4 left of 5: 80 %
    assert funded.selected == ("a", "b") and funded.reserve == 1
    assert count(c, VOTES, "greedy-reserve", {"reserve_fraction": "0.9"}).selected == ("a",)
    assert count(c, VOTES, "greedy-no-skip").selected == ("a",)
    why = allocation({"outcome": funded.to_dict()}, {"a": 6, "b": 5, "c": 1, "d": 1}, "PLN")
    assert "the reserve paid 1 PLN" in why["b"]["en"] and "예비비" in why["b"]["ko"]
    assert "funded from the reserve" in why["c"]["en"]


@pytest.mark.parametrize("value", ["0", "1.5", "x"])
def test_a_bad_reserve_fraction_is_refused(value):
    with pytest.raises(ValueError, match="reserve_fraction"):
        count(CONTEST, VOTES, "greedy-reserve", {"reserve_fraction": value})


def test_only_greedy_reserve_takes_a_reserve_fraction():
    with pytest.raises(CountError, match="greedy takes no reserve_fraction"):
        count(CONTEST, VOTES, "greedy", {"reserve_fraction": "0.8"})


def test_greedy_custom_is_read_from_its_comment_or_refused_with_the_choices():
    told = contest({"a": 1}, 1, rule="greedy-custom", comment=POZNAN_COMMENT.format(percent=75))
    assert meta_rule(told).rule == "greedy-reserve"
    assert meta_rule(told).options == {"reserve_fraction": "3/4"}
    untold = contest({"a": 1}, 1, rule="greedy-custom", comment="#1: A special rule.")
    with pytest.raises(PbRuleError, match=r"greedy-reserve .*greedy-no-skip"):
        meta_rule(untold)


def test_greedy_exclusive_reads_the_groups_its_comment_names():
    comment = (
        "#1: Coordinates are averaged. #2: According to the report, projects 7 and 15 both "
        "targeted the area near ul. Konarskiego and could not be implemented simultaneously. "
        "Project 7 received more votes."
    )
    c = contest({"7": 1, "15": 1, "2": 1}, 3, rule="greedy-exclusive", comment=comment)
    assert meta_rule(c).exclusive == (("7", "15"),)
    plain = contest({"7": 1}, 1, rule="greedy-exclusive", comment="#1: Ballots were split.")
    assert meta_rule(plain).exclusive == ()
    vague = contest({"7": 1}, 1, rule="greedy-exclusive", comment="#1: Two plans are incompatible.")
    with pytest.raises(PbRuleError, match="--exclusive"):
        meta_rule(vague)


def test_a_pb_file_takes_groups_from_the_caller(tmp_path):
    c = contest({"a": 3, "b": 3, "c": 3, "d": 9}, 9, rule="greedy-exclusive")
    path = tmp_path / "x.pb"
    path.write_text(write_pb(PbFile(c, VOTES)), encoding="utf-8")
    assert set(count_pb_file(path).outcome.selected) == {"a", "b", "c"}
    result = count_pb_file(path, exclusive=[["b", "a"]])
    assert result.outcome.selected == ("a", "c")
    conflict = result.outcome.rounds[1]
    assert conflict.details["reason"] == "conflicts with a, funded first"


def test_explanations_name_the_conflicting_agenda():
    c = contest({"A-07": 3, "B-02": 3}, 9, exclusive=(("A-07", "B-02"),))
    outcome = count(c, profile(("A-07", 5), ("B-02", 4)), "greedy")
    why = allocation({"outcome": outcome.to_dict()}, {"A-07": 3, "B-02": 3}, "KRW")
    assert why["B-02"]["en"] == "Not funded: conflicts with A-07, funded first."
    assert "A-07" in why["B-02"]["ko"] and why["B-02"]["ko"].startswith("선정되지 않음")


def test_a_group_must_name_known_agendas():
    with pytest.raises(ValueError, match="no agenda 'z'"):
        contest({"a": 1, "b": 1}, 1, exclusive=(("a", "z"),))


@st.composite
def grouped_elections(draw):
    """Small elections with one to three exclusive groups over their agendas."""
    names = ("p", "q", "r", "s", "t", "u")[: draw(st.integers(2, 6))]
    agendas = tuple(Agenda(n, Fraction(draw(st.integers(0, 12)))) for n in names)
    groups = tuple(
        tuple(draw(st.lists(st.sampled_from(names), min_size=2, max_size=3, unique=True)))
        for _ in range(draw(st.integers(1, 3)))
    )
    ballots = tuple(
        BallotGroup(
            tuple(sorted(draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))),
            draw(st.integers(1, 5)),
        )
        for _ in range(draw(st.integers(1, 6)))
    )
    return Contest(agendas, Fraction(draw(st.integers(0, 30))), exclusive=groups), Profile(ballots)


@settings(max_examples=60, deadline=None)
@given(grouped_elections(), st.sampled_from(sorted(ALLOCATION_RULES)))
def test_no_rule_funds_two_agendas_of_one_group(election, rule):
    c, votes = election
    options = {"min_project_score_threshold": "0"} if rule == "greedy-threshold" else {}
    outcome = count(c, votes, rule, options)
    for group in c.exclusive:
        assert len(set(group) & set(outcome.selected)) <= 1
    spent = sum((c.agenda(a).cost for a in outcome.selected), Fraction(0))
    assert spent == outcome.total_cost <= c.budget + outcome.reserve


@settings(max_examples=100, deadline=None)
@given(grouped_elections(), st.sampled_from([Satisfaction.COST, Satisfaction.CARDINALITY]))
def test_max_welfare_with_groups_is_the_best_conflict_free_set(election, measure):
    c, votes = election
    totals = total_satisfaction(c, votes, measure)

    def feasible(subset):
        cost = sum((c.agenda(a).cost for a in subset), Fraction(0))
        return cost <= c.budget and all(len(set(g) & set(subset)) <= 1 for g in c.exclusive)

    names = [a.id for a in c.agendas]
    best = max(
        sum((totals[a] for a in subset), Fraction(0))
        for size in range(len(names) + 1)
        for subset in combinations(names, size)
        if feasible(subset)
    )
    outcome = max_welfare(c, votes, satisfaction=measure, tie_break=TieBreak())
    assert feasible(outcome.selected)
    assert sum((totals[a] for a in outcome.selected), Fraction(0)) == best


@settings(max_examples=80, deadline=None)
@given(crowds(), st.data(), st.booleans())
def test_add1_with_groups_agrees_with_stepping(election, data, exhaustive):
    plain, votes = election
    names = [a.id for a in plain.agendas]
    group = tuple(data.draw(st.lists(st.sampled_from(names), min_size=2, unique=True)))
    c = Contest(plain.agendas, plain.budget, exclusive=(group,))
    inst = prepare(c, votes, Satisfaction.COST, TieBreak())
    total = int(c.budget * inst.unit)
    start = Fraction(total, votes.voters)
    expected, stop, _ = step_by_step(inst, start, total, exhaustive)
    done = add1(inst, inst.buyable(), start, total, exhaustive=exhaustive)
    assert done.final.purchases == expected.purchases
    assert done.stop == stop
    assert len(set(group) & {inst.ids[p] for p in done.final.selected}) <= 1


def official_file(tmp_path, c, votes, selected):
    """``c`` written as a .pb file whose ``selected`` column funds ``selected``."""
    extra = {a.id: {"selected": "1" if a.id in selected else "0"} for a in c.agendas}
    pb = PbFile(c, votes, ("project_id", "cost", "name", "selected"), extra)
    path = tmp_path / "official.pb"
    path.write_text(write_pb(pb), encoding="utf-8")
    return path


def test_against_official_names_a_left_out_agenda(tmp_path):
    c = contest({"a": 6, "b": 5, "c": 4, "d": 1}, 10, rule="greedy")
    path = official_file(tmp_path, c, VOTES, {"b", "c", "d"})
    found = count_pb_file(path, against_official=True).against_official
    assert (found.only_here, found.only_official) == (("a",), ("b", "d"))
    assert found.explanations == ("a left out of the count (withdrawn or ineligible)",)
    assert "funded here, not officially: a" in found.to_text()


def test_against_official_names_a_tie(tmp_path):
    c = contest({"9": 5, "10": 5, "x": 1}, 5, rule="greedy")
    votes = profile(("9", 3), ("10", 3), ("x", 1))
    path = official_file(tmp_path, c, votes, {"10"})
    found = count_pb_file(path, against_official=True).against_official
    assert found.explanations[0] == "a tie broken in the pabutools order instead of file"
    assert "the tie in round 1 between 9, 10: 9 here by the file order, 10 officially" in (
        found.explanations
    )
    assert count_pb_file(path, tie_break="pabutools", against_official=True).against_official.same


def test_against_official_names_a_threshold(tmp_path):
    c = contest({"a": 3, "b": 3, "c": 3, "d": 1}, 10, rule="greedy")
    path = official_file(tmp_path, c, VOTES, {"a", "b"})
    found = count_pb_file(path, against_official=True).against_official
    assert found.only_here == ("c", "d")
    assert found.explanations == (
        "a score threshold above 30, at most 45 (agendas below it unfunded)",
    )
