from fractions import Fraction

import pytest
from pabulib_data import file_params, load

from votesvc.tally.model import Agenda, BallotRules, BallotType, Contest
from votesvc.tally.validation import Problem, validate_ballot

AGENDAS = (Agenda("a", Fraction(400)), Agenda("b", Fraction(300)), Agenda("c", Fraction(500)))


def contest(ballot_type=BallotType.APPROVAL, **rules):
    return Contest(AGENDAS, Fraction(1000), ballot_type, BallotRules(**rules))


def codes(problems):
    return [p.code for p in problems]


def test_a_valid_ballot_has_no_problems():
    assert (
        validate_ballot(contest(min_length=1, max_length=2, max_cost=Fraction(700)), ["a", "b"])
        == []
    )


def test_every_problem_is_reported_at_once():
    problems = validate_ballot(contest(max_length=2, max_cost=Fraction(800)), ["a", "zz", "a", "c"])
    assert codes(problems) == [
        "unknown_agenda",
        "duplicate_agenda",
        "too_many_choices",
        "over_cost_limit",
    ]
    assert problems[0] == Problem("unknown_agenda", "zz is not on this ballot.", "zz")
    assert problems[3].message == "Total cost 900 exceeds the limit 800."


def test_costs_with_fractions_add_up_exactly():
    agendas = (Agenda("w", Fraction(2)), Agenda("h", Fraction(1, 2)), Agenda("t", Fraction(1, 3)))

    def capped(most: Fraction) -> Contest:
        return Contest(agendas, Fraction(10), BallotType.APPROVAL, BallotRules(max_cost=most))

    assert validate_ballot(capped(Fraction(17, 6)), ["w", "h", "t"]) == []  # exactly 17/6
    problems = validate_ballot(capped(Fraction(5, 2)), ["w", "h", "t"])
    assert codes(problems) == ["over_cost_limit"]
    assert problems[0].message == "Total cost 2.83 exceeds the limit 2.50."


def test_too_few_choices_and_cost_minimum():
    problems = validate_ballot(contest(min_length=2, min_cost=Fraction(500)), ["a"])
    assert codes(problems) == ["too_few_choices", "under_cost_minimum"]


def test_choose_one_allows_one():
    assert codes(validate_ballot(contest(BallotType.CHOOSE_ONE), ["a", "b"])) == [
        "too_many_choices"
    ]
    assert validate_ballot(contest(BallotType.CHOOSE_ONE), ["a"]) == []


def test_ordinal_ranks():
    problems = validate_ballot(contest(BallotType.ORDINAL, max_length=2), ["c", "a", "c"])
    assert codes(problems) == ["duplicate_agenda", "too_many_choices"]
    assert "ranks" in problems[1].message
    assert codes(validate_ballot(contest(BallotType.ORDINAL), ["a"], [3])) == ["unexpected_points"]


def test_cumulative_points():
    c = contest(BallotType.CUMULATIVE, max_points=10, min_points=1, max_points_per_agenda=6)
    assert validate_ballot(c, ["a", "b"], [6, 4]) == []
    problems = validate_ballot(c, ["a", "b", "c"], [7, -1, 5])
    assert codes(problems) == ["agenda_points_too_high", "negative_points", "too_many_points"]
    assert [p.agenda for p in problems] == ["a", "b", None]
    assert codes(validate_ballot(c, ["a"], [0])) == ["too_few_points"]
    assert codes(validate_ballot(c, ["a", "b"], [1])) == ["points_mismatch"]


def test_scoring_range():
    c = contest(BallotType.SCORING, min_points_per_agenda=-2, max_points_per_agenda=2)
    assert validate_ballot(c, ["a", "b"], [-2, 2]) == []
    assert codes(validate_ballot(c, ["a"], [-3])) == ["agenda_points_too_low"]


@pytest.mark.parametrize("name", file_params())
def test_every_repaired_ballot_in_the_shared_files_keeps_its_rules(name):
    pb = load(name)
    for group in pb.profile.groups:
        assert validate_ballot(pb.contest, group.choices, group.points) == []
