"""Properties of the ranked count on random elections (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from votesvc.tally.ranked.engine import count
from votesvc.tally.ranked.outcome import RankedOutcome
from votesvc.tally.ranked.pyrankvote_rules import count_pyrankvote
from votesvc.tally.ranked.rules import (
    RankedContest,
    RankedGroup,
    RankedRules,
    Threshold,
    TieBreakRule,
    aggregate,
)

NAMES = ("A", "B", "C", "D", "E")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def clean_rankings(draw: st.DrawFn) -> tuple[tuple[str, ...], ...]:
    """Rankings with one name per rank, no repeats, no skipped ranks."""
    names = NAMES[: draw(st.integers(2, len(NAMES)))]
    ballot = st.permutations(names).flatmap(
        lambda order: st.integers(1, len(order)).map(lambda k: tuple(order[:k]))
    )
    return tuple(draw(st.lists(ballot, min_size=1, max_size=40))), names


@st.composite
def messy_contests(draw: st.DrawFn) -> RankedContest:
    """Any ballots RCTab accepts (overvotes, skips, repeats, blanks) under random options."""
    names = NAMES[: draw(st.integers(2, len(NAMES)))]
    rank = st.one_of(
        st.just(()),
        st.sampled_from(names).map(lambda n: (n,)),
        st.lists(st.sampled_from(names), min_size=2, max_size=3, unique=True).map(tuple),
        st.just(("$OVERVOTE",)),
    )
    rows = draw(
        st.lists(
            st.tuples(st.lists(rank, max_size=5).map(tuple), st.integers(1, 30)),
            min_size=1,
            max_size=25,
        )
    )
    method = draw(st.sampled_from(["irv", "stv", "bottoms_up", "multi_pass_irv"]))
    seats = 1 if method == "irv" else draw(st.integers(1, len(names)))
    basis = "first_round" if method == "stv" else "current_round"
    rules = RankedRules(
        method=method,
        seats=seats,
        threshold=None
        if method == "bottoms_up"
        else Threshold("droop", draw(st.booleans()), basis),
        decimal_places=draw(st.integers(0, 6)),
        overvote=draw(st.sampled_from(["exhaust", "skip", "exhaust_if_multiple_continuing"])),
        max_skipped_ranks=draw(st.one_of(st.none(), st.integers(0, 3))),
        duplicate_candidate=draw(st.sampled_from(["skip", "exhaust"])),
        batch_elimination=(seats == 1 or method == "multi_pass_irv") and draw(st.booleans()),
        continue_until_two=method in ("irv", "multi_pass_irv") and draw(st.booleans()),
        tiebreak=TieBreakRule("random", seed=draw(st.integers(0, 2**31))),
    )
    groups = tuple(RankedGroup(tuple(tuple(r) for r in ranking), n) for ranking, n in rows)
    return RankedContest(names, rules, groups)


def _clean_contest(rankings: tuple[tuple[str, ...], ...], names: tuple[str, ...]):
    return RankedContest(
        names,
        RankedRules(tiebreak=TieBreakRule("candidate_order", order=names)),
        aggregate(tuple((n,) for n in r) for r in rankings),
    )


def _distinct_tallies(outcome: RankedOutcome) -> bool:
    return all(len(set(r.tally.values())) == len(r.tally) for r in outcome.rounds)


@settings(SETTINGS, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(clean_rankings())
def test_single_winner_irv_agrees_with_pyrankvote(drawn) -> None:
    """Where the rules coincide, the winner is the same.

    They coincide for single-winner IRV on ballots without overvotes, skips or repeats when no
    two candidates ever tie: pyrankvote's always-on batch rejection then only removes
    candidates sequential elimination would also remove before they could matter, and its
    stricter threshold (more than ceil(n/2)) only changes the round the count ends in.

    Ties are common on a few dozen ballots, so some runs discard most drawn elections; the
    health check that fails a run for that (it failed one run of the suite here) is off, while
    Hypothesis still fails the test if it finds no election to try at all.
    """
    rankings, names = drawn
    contest = _clean_contest(rankings, names)
    ours = count(contest)
    assume(not ours.ties and _distinct_tallies(ours))
    assert count_pyrankvote(contest).winners == ours.winners


@SETTINGS
@given(messy_contests())
def test_every_round_accounts_for_every_ballot(contest: RankedContest) -> None:
    outcome = count(contest)
    counted = outcome.total_ballots - outcome.undervotes
    for r in outcome.rounds:
        total = sum(r.tally.values()) + sum(r.inactive.values()) + r.residual_surplus
        assert total == counted
        assert all(v >= 0 for v in r.inactive.values())


@SETTINGS
@given(messy_contests())
def test_winners_reach_the_threshold_unless_only_they_remain(contest: RankedContest) -> None:
    """A candidate below the threshold is elected only when no more can be eliminated: as
    many candidates remain as seats, or (IRV) the higher of the last two."""
    outcome = count(contest)
    elected_before: set[str] = set()
    for r in outcome.rounds:
        if r.number == 1:
            elected_before = set()
        open_candidates = set(r.tally) - elected_before
        for w in r.elected:
            if r.tally[w] < r.threshold and contest.rules.method != "bottoms_up":
                assert set(r.elected) == open_candidates or (
                    len(open_candidates) == 2 and r.tally[w] == max(r.tally.values())
                )
        elected_before |= set(r.elected)
    seats = contest.rules.seats
    assert len(outcome.winners) == min(seats, len(contest.candidates))
    assert len(set(outcome.winners)) == len(outcome.winners)


@SETTINGS
@given(messy_contests())
def test_aggregation_and_serialisation_change_nothing(contest: RankedContest) -> None:
    outcome = count(contest)
    one_per_ballot = tuple(
        RankedGroup(g.ranking, 1) for g in contest.groups for _ in range(g.count)
    )
    again = count(RankedContest(contest.candidates, contest.rules, one_per_ballot))
    assert [(r.tally, r.elected, r.eliminated, r.inactive) for r in again.rounds] == [
        (r.tally, r.elected, r.eliminated, r.inactive) for r in outcome.rounds
    ]
    assert RankedOutcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
