from fractions import Fraction

import pytest
from pabulib_data import expected, load, reference_cases

from votesvc.tally.model import Agenda, BallotGroup, Contest, Profile
from votesvc.tally.phragmen import phragmen, supporter_masks
from votesvc.tally.ties import TieBreak


@pytest.mark.parametrize(("name", "key"), reference_cases(["seq_phragmen"]))
def test_shared_file_matches_pabutools(name, key):
    reference = expected()[name]["rules"][key]
    pb = load(name)
    outcome = phragmen(pb.contest, pb.profile, tie_break=TieBreak())
    assert sorted(outcome.selected) == reference["selected"]
    assert outcome.total_cost == Fraction(reference["total_cost"])


@pytest.mark.parametrize(("name", "key"), reference_cases(["seq_phragmen"]))
def test_exhaustive_variant_extends_the_stopping_one(name, key):
    pb = load(name)
    stopping = phragmen(pb.contest, pb.profile, tie_break=TieBreak())
    exhaustive = phragmen(pb.contest, pb.profile, tie_break=TieBreak(), exhaustive=True)
    assert exhaustive.selected[: len(stopping.selected)] == stopping.selected
    assert exhaustive.total_cost <= pb.contest.budget
    left = pb.contest.budget - exhaustive.total_cost
    unfunded = [a for a in pb.contest.agendas if a.id not in exhaustive.selected]
    assert all(a.cost > left for a in unfunded)


def contest(costs, budget):
    return Contest(tuple(Agenda(k, Fraction(v)) for k, v in costs.items()), Fraction(budget))


def profile(*groups):
    """``("a,b", 3)``: three voters listing a and b."""
    return Profile(tuple(BallotGroup(tuple(c.split(",")), n) for c, n in groups))


def test_loads_are_shared_and_rounds_record_them():
    c = contest({"a": 4, "b": 3, "c": 3}, 10)
    p = profile(("a,b", 2), ("c", 1))
    outcome = phragmen(c, p, tie_break=TieBreak())
    # a: 4/2 = 2; b: 3/2 first -> b (load 3/2), then a: (3/2*2 + 4)/2 = 7/2, c: 3/1 = 3.
    assert outcome.selected == ("b", "c", "a")
    assert [r.details["load"] for r in outcome.rounds] == ["3/2", "3", "7/2"]


def test_stops_when_the_best_agenda_does_not_fit():
    c = contest({"a": 8, "b": 3}, 10)
    p = profile(("a", 5), ("b", 1))
    stopping = phragmen(c, p, tie_break=TieBreak())
    assert stopping.selected == ("a",)
    assert stopping.rounds[-1].action == "stop"
    exhaustive = phragmen(c, p, tie_break=TieBreak(), exhaustive=True)
    assert exhaustive.selected == ("a",)
    assert exhaustive.rounds[-1].action == "skip"


def test_stops_if_any_tied_best_agenda_does_not_fit():
    # after a, b and c tie at load 4; c does not fit, so pabutools stops even though b fits.
    c = contest({"a": 6, "b": 4, "c": 8}, 11)
    p = profile(("a", 3), ("b", 1), ("c", 2))
    outcome = phragmen(c, p, tie_break=TieBreak())
    assert outcome.selected == ("a",)
    assert outcome.rounds[-1].agenda == "c"


def test_ties_are_recorded_in_order():
    c = contest({"x": 2, "y": 2, "z": 2}, 4)
    p = profile(("x", 1), ("y", 1), ("z", 1))
    outcome = phragmen(c, p, tie_break=TieBreak())
    assert outcome.selected == ("x", "y")
    assert [t.candidates for t in outcome.ties] == [("x", "y", "z"), ("y", "z")]


def test_unsupported_agendas_come_last():
    c = contest({"nobody": 1, "liked": 5}, 10)
    p = profile(("liked", 1))
    assert phragmen(c, p, tie_break=TieBreak()).selected == ("liked", "nobody")


def test_masks_number_voters_group_by_group():
    c = contest({"a": 1, "b": 1}, 1)
    p = profile(("a", 2), ("b", 1), ("a,b", 3))
    assert supporter_masks(c, p) == {"a": 0b111011, "b": 0b111100}
