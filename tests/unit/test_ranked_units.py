"""Pieces of the ranked count checked against known values: RCTab's random draws, quotas,
ballot walks, validation, and the pyrankvote rule set."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from votesvc.tally.ranked.case import groups_from_lines
from votesvc.tally.ranked.counting import count_ranked
from votesvc.tally.ranked.engine import count, threshold_units
from votesvc.tally.ranked.pyrankvote_rules import (
    PyrankvoteError,
    count_pyrankvote,
    reduce_ranking,
)
from votesvc.tally.ranked.rules import (
    RankedContest,
    RankedGroup,
    RankedRules,
    RulesError,
    Threshold,
    TieBreakRule,
    aggregate,
)
from votesvc.tally.ranked.tiebreak import (
    JavaRandom,
    TieBreaker,
    TieUnresolved,
    java_hash_set_order,
    java_string_hash,
    utf16_order,
)
from votesvc.tally.ranked.validation import validate_ranking


def ballots(*rows: tuple[str, int]) -> tuple[RankedGroup, ...]:
    """``("ABC", 3)`` = three ballots ranking A, then B, then C; ``"A=B"`` is an overvote;
    ``"."`` a skipped rank."""
    groups = []
    for text, n in rows:
        ranks = tuple(() if mark == "." else tuple(mark.split("=")) for mark in text.split())
        groups.append(RankedGroup(ranks, n))
    return tuple(groups)


def contest(rules: RankedRules, *rows: tuple[str, int], names: str = "A B C D") -> RankedContest:
    return RankedContest(tuple(names.split()), rules, ballots(*rows))


# -- RCTab's random stream ------------------------------------------------------------------


def test_java_random_matches_the_java_platform() -> None:
    # new java.util.Random(0).nextDouble() and new Random(42).nextDouble(), as Java prints them.
    assert JavaRandom(0).next_double() == 0.730967787376657
    assert JavaRandom(42).next_double() == 0.7275636800328681


def test_java_string_hash_and_hash_set_order() -> None:
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("Aa") == java_string_hash("BB") == 2112
    # Colliding names keep insertion order; others follow their buckets.
    assert java_hash_set_order(["BB", "Aa"]) == ["BB", "Aa"]
    assert java_hash_set_order(["Aa", "BB"]) == ["Aa", "BB"]
    assert java_hash_set_order(["b", "a"]) == ["a", "b"]


def test_utf16_order_is_javas_not_pythons() -> None:
    # U+FF5E sorts after U+1F600 by code point, before it by UTF-16 code unit (a surrogate).
    assert sorted(["\U0001f600", "\uff5e"]) == ["\uff5e", "\U0001f600"]
    assert utf16_order(["\U0001f600", "\uff5e"]) == ["\U0001f600", "\uff5e"]


def test_candidate_order_eliminates_the_latest_and_elects_the_earliest() -> None:
    breaker = TieBreaker(TieBreakRule("candidate_order", order=("B", "A", "C")))
    assert breaker.choose(1, "eliminate", ["A", "B"], [])[0] == "A"
    assert breaker.choose(1, "elect", ["A", "C"], [])[0] == "A"


def test_previous_rounds_decide_before_the_random_draw() -> None:
    breaker = TieBreaker(TieBreakRule("previous_rounds_then_random", seed=3))
    history = [{"A": 5, "B": 4, "C": 4}, {"A": 6, "B": 6, "C": 5}]
    # A and B tie in round 2 as well; round 1 separates them.
    assert breaker.choose(3, "eliminate", ["A", "B"], history) == ("B", "previous_rounds")
    assert breaker.choose(3, "elect", ["A", "B"], history) == ("A", "previous_rounds")


def test_manual_ties_need_a_recorded_decision() -> None:
    rule = TieBreakRule("manual")
    with pytest.raises(TieUnresolved):
        TieBreaker(rule).choose(2, "eliminate", ["A", "B"], [])
    recorded = {(1, 2, "eliminate", frozenset({"A", "B"})): "B"}
    assert TieBreaker(rule, recorded).choose(2, "eliminate", ["B", "A"], []) == ("B", "recorded")


# -- thresholds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "active", "seats", "expected"),
    [
        (Threshold("droop", True), 59463, 3, Decimal(14866)),  # floor(A/4) + 1
        (Threshold("droop", True), 10, 1, Decimal(6)),  # a strict majority
        (Threshold("droop", False), 10, 2, Decimal("3.3334")),  # trunc_4(10/3) + 0.0001
        (Threshold("hare", True), 10, 3, Decimal(4)),  # ceil(10/3)
        (Threshold("hare", False), 10, 3, Decimal("3.3334")),  # ceil_4(10/3)
        (Threshold("percentage", percentage=Decimal(15)), 27, 0, Decimal("4.05")),
    ],
)
def test_thresholds(spec: Threshold, active: int, seats: int, expected: Decimal) -> None:
    scale = 10**4
    assert threshold_units(spec, active * scale, seats, scale) == expected * scale


# -- the count ------------------------------------------------------------------------------


def test_overvote_rules_and_skipped_rank_limit() -> None:
    rows = (("A=B C", 1), ("D . . C", 1), ("B", 2), ("C", 2))
    exhaust = count(contest(RankedRules(overvote="exhaust", max_skipped_ranks=1), *rows))
    assert exhaust.rounds[0].inactive["overvotes"] == 1
    assert exhaust.rounds[0].tally["C"] == 2
    skip = count(contest(RankedRules(overvote="skip", max_skipped_ranks=2), *rows))
    assert skip.rounds[0].tally["C"] == 3
    # D's ballot, once D is out: two skipped ranks exceed the limit of one.
    assert exhaust.rounds[-1].inactive["skipped_rankings"] == 1


def test_repeated_candidate_exhausts_only_when_asked() -> None:
    rows = (("D D A", 1), ("A", 2), ("B", 3), ("C", 3))
    skip = count(contest(RankedRules(), *rows))
    exhaust = count(contest(RankedRules(duplicate_candidate="exhaust"), *rows))
    # The repeat matters only once D is eliminated and the ballot moves on.
    assert skip.rounds[1].tally["A"] == 3
    assert exhaust.rounds[1].tally["A"] == 2
    assert exhaust.rounds[1].inactive["repeated_rankings"] == 1


def test_stv_moves_truncated_fractions_and_keeps_the_threshold() -> None:
    rules = RankedRules(
        method="stv",
        seats=2,
        threshold=Threshold("droop", True, "first_round"),
        surplus_transfer="fractional_truncated",
    )
    outcome = count(contest(rules, ("A B", 7), ("A C", 2), ("B", 1), ("C", 2), ("D", 1)))
    first, second = outcome.rounds[:2]
    assert first.threshold == 5 and first.elected == ("A",)
    # f = trunc_4((9 - 5) / 9) = 0.4444; each ballot moves 0.4444.
    assert second.tally["B"] == Decimal(1) + 7 * Decimal("0.4444")
    assert second.tally["A"] == 5
    assert second.residual_surplus == 9 - 9 * Decimal("0.4444") - 5


def test_stv_threshold_comes_from_round_one_whatever_the_basis() -> None:
    """RCTab fixes a multi-seat threshold in round 1; the service's STV rules carry the default
    basis (``current_round``), which must not recompute it as ballots exhaust."""
    rules = RankedRules(method="stv", seats=2, surplus_transfer="fractional_truncated")
    outcome = count(contest(rules, ("A", 9), ("B", 2), ("C", 2), ("D", 1)))
    # Round 1: floor(14 / 3) + 1 = 5. A's surplus exhausts, so round 2 has 10 active votes,
    # which would give 4 if the threshold were recomputed.
    assert outcome.rounds[1].inactive["exhausted_choices"] == 9 * Decimal("0.4444")
    assert {r.threshold for r in outcome.rounds} == {5}


def test_multi_pass_irv_stops_when_every_candidate_has_won() -> None:
    rules = RankedRules(method="multi_pass_irv", seats=5, excluded=("D",))
    outcome = count(contest(rules, ("A B", 4), ("B C", 3), ("C", 2), ("D", 1)))
    assert outcome.winners == ("A", "B", "C")
    assert [p.number for p in outcome.passes] == [1, 2, 3]
    assert all(r.tally for r in outcome.rounds)


def test_unknown_names_and_bad_rules_are_refused() -> None:
    with pytest.raises(RulesError, match="not a candidate"):
        count(contest(RankedRules(), ("A Z", 1)))
    with pytest.raises(RulesError, match="seed"):
        count(contest(RankedRules(tiebreak=TieBreakRule("random")), ("A", 1)))
    with pytest.raises(RulesError, match="single-winner"):
        count(contest(RankedRules(method="stv", seats=2, batch_elimination=True), ("A", 1)))
    with pytest.raises(RulesError, match="unknown method"):
        count(contest(RankedRules(method="borda"), ("A", 1)))


def test_aggregate_counts_identical_rankings_once() -> None:
    rankings = [(("A",), ("B",)), (("B",),), (("A",), ("B",))]
    assert aggregate(rankings) == (
        RankedGroup((("A",), ("B",)), 2),
        RankedGroup((("B",),), 1),
    )


# -- validation -----------------------------------------------------------------------------


def test_validation_reports_every_problem() -> None:
    problems = validate_ranking(
        [["A"], ["B", "C"], ["A"], ["Z"], ["$OVERVOTE"]], {"A", "B", "C"}, max_rankings=3
    )
    assert [p.code for p in problems] == [
        "too_many_choices",
        "overvote",
        "duplicate_agenda",
        "unknown_agenda",
        "overvote",
    ]
    assert problems[2].agenda == "A" and "1 and 3" in problems[2].message
    assert validate_ranking([["A"], [], ["B"]], {"A", "B"}, max_rankings=3) == []


# -- the pyrankvote rule set ----------------------------------------------------------------


def test_pyrankvote_input_reduction() -> None:
    ranking = (("A",), (), ("B",), ("A",), ("C", "D"), ("E",))
    assert reduce_ranking(ranking, frozenset({"B"})) == ("A",)
    assert reduce_ranking((("X",), ("Y",)), frozenset()) == ("X", "Y")


def test_pyrankvote_is_seeded_and_leaves_global_random_alone() -> None:
    tied = contest(RankedRules(), ("A", 1), ("B", 1), names="A B")
    random.seed(99)
    expected_next = random.random()
    random.seed(99)
    results = {count_pyrankvote(tied, seed=s).winners for s in range(6)}
    assert random.random() == expected_next
    assert count_pyrankvote(tied, seed=4) == count_pyrankvote(tied, seed=4)
    assert len(results) == 2  # a coin toss: each seed decides it, some one way, some the other


def test_pyrankvote_outcome_records_its_rule_set() -> None:
    rules = RankedRules(method="stv", seats=2)
    outcome = count_pyrankvote(contest(rules, ("A B", 6), ("B", 2), ("C", 3), ("D", 1)))
    assert outcome.rule_set == "pyrankvote" and outcome.rule == "stv"
    assert set(outcome.winners) == {"A", "C"} or set(outcome.winners) == {"A", "B"}
    assert outcome.rounds[0].threshold == Decimal(4)
    block = count_pyrankvote(contest(rules, ("A B", 3), ("C", 2)), "block")
    assert block.rule == "block" and set(block.winners) == {"A", "B"}


def test_rule_set_selects_the_implementation() -> None:
    rules = RankedRules(tiebreak=TieBreakRule("candidate_order", order=("A", "B", "C", "D")))
    election = contest(rules, ("A", 4), ("B C", 3), ("C", 2))
    assert count_ranked(election).rule_set == "rctab"
    assert count_ranked(election, "pyrankvote").rule_set == "pyrankvote"
    assert count_ranked(election, "pyrankvote", rule="irv").winners == ("A",)
    with pytest.raises(RulesError, match="rule set"):
        count_ranked(election, "meek")
    with pytest.raises(RulesError, match="counts 'irv'"):
        count_ranked(election, rule="block")


def test_pyrankvote_illegal_state_becomes_a_domain_error() -> None:
    """More seats than pyrankvote can fill, with a candidate nobody votes for."""
    stuck = contest(RankedRules(method="stv", seats=3), ("A", 5), names="A B")
    with pytest.raises(PyrankvoteError, match="Illegal state"):
        count_pyrankvote(stuck)
    assert count(stuck).winners == ("A", "B")


def test_lines_are_aggregated_before_parsing_and_merged_after() -> None:
    lines = ['[["A"], ["B"]]\n', '[["A"],["B"]]\n', "\n", '[["B", "C"]]\n', '[["A"], ["B"]]\n']
    assert groups_from_lines(lines) == (
        RankedGroup((("A",), ("B",)), 3),
        RankedGroup((("B", "C"),), 1),
    )


def test_progress_rises_to_one_across_passes() -> None:
    rules = RankedRules(
        method="multi_pass_irv",
        seats=2,
        tiebreak=TieBreakRule("candidate_order", order=("A", "B", "C", "D")),
    )
    seen: list[float] = []
    count(contest(rules, ("A B", 4), ("B C", 3), ("C D", 2), ("D", 1)), progress=seen.append)
    assert seen == sorted(seen) and seen[0] > 0 and seen[-1] == 1.0


def test_a_tie_is_broken_by_the_earlier_round() -> None:
    """Round 2 ties B and C at 4; round 1 had C lower, so C goes without a draw."""
    rules = RankedRules(tiebreak=TieBreakRule("previous_rounds_then_random", seed=1))
    outcome = count(contest(rules, ("A", 6), ("B", 4), ("C", 3), ("D C", 1)))
    assert outcome.rounds[0].eliminated == ("D",)
    assert outcome.rounds[1].tally == {"A": 6, "B": 4, "C": 4}
    assert outcome.rounds[1].eliminated == ("C",)
    assert [(t.round, t.selected, t.method) for t in outcome.ties] == [(2, "C", "previous_rounds")]
