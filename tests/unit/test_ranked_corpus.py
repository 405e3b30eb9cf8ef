"""Every RCTab regression case: winners and every round equal RCTab's own report."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ranked_corpus import case_params

from votesvc.tally.ranked.case import (
    case_to_dict,
    count_case_file,
    dumps_exact,
    read_case,
)
from votesvc.tally.ranked.outcome import RankedOutcome, RankedRound


def _expected_passes(expected: dict[str, Any]) -> list[dict[str, Any]]:
    return expected.get("passes") or [
        {"pass": 1, "rounds": expected["rounds"], "tiebreaks": expected["tiebreaks"]}
    ]


def _assert_round(expected: dict[str, Any], ours: RankedRound) -> None:
    where = f"pass {ours.pass_number} round {ours.number}"
    assert ours.number == expected["round"], where
    assert dict(ours.tally) == expected["tally"], where
    assert set(ours.eliminated) == set(expected["eliminated"]), where
    assert set(ours.elected) == set(expected["elected"]), where
    assert ours.threshold == expected["threshold"], where
    for reason in set(expected["inactive"]) | set(ours.inactive):
        assert ours.inactive.get(reason, 0) == expected["inactive"].get(reason, 0), (
            where,
            reason,
        )


@pytest.mark.parametrize("path", case_params())
def test_case_matches_rctab_round_for_round(path: Path) -> None:
    case = read_case(path)
    outcome = count_case_file(path)
    expected = case.expected

    # Winners: the same people, elected in the same rounds (order within a round is not
    # meaningful in RCTab's report).
    assert set(outcome.winners) == set(expected["winners"])
    assert outcome.winners == tuple(w for r in outcome.rounds for w in r.elected)
    for p in _expected_passes(expected):
        ours = [r for r in outcome.rounds if r.pass_number == p["pass"]]
        assert len(ours) == len(p["rounds"]), f"pass {p['pass']}"
        for theirs, mine in zip(p["rounds"], ours, strict=True):
            _assert_round(theirs, mine)
        ties = [t for t in outcome.ties if t.pass_number == p["pass"]]
        assert [(t.round, t.kind, set(t.tied), t.selected) for t in ties] == [
            (t["round"], t["kind"], set(t["tied"]), t["selected"]) for t in p["tiebreaks"]
        ]
    summary = expected["summary"]
    assert outcome.total_ballots == summary["total_ballots"]
    assert outcome.undervotes == summary["undervotes"]
    assert outcome.rounds[-1].threshold == summary["final_threshold"]


@pytest.mark.parametrize("path", case_params())
def test_ties_are_decided_without_the_recorded_decisions(path: Path) -> None:
    """Random and candidate-order ties are drawn as RCTab draws them, not looked up."""
    case = read_case(path)
    if case.contest.rules.tiebreak.method == "manual":
        pytest.skip("a manual tie-break is the operator's recorded choice by definition")
    outcome = count_case_file(path)
    assert all(t.method != "recorded" for t in outcome.ties)


@pytest.mark.parametrize("path", case_params())
def test_every_round_accounts_for_every_ballot(path: Path) -> None:
    """Tallies + inactive + residual surplus = ballots counted (all but blank ones)."""
    outcome = count_case_file(path)
    counted = outcome.total_ballots - outcome.undervotes
    for r in outcome.rounds:
        total = sum(r.tally.values()) + sum(r.inactive.values()) + r.residual_surplus
        assert total == counted, (r.pass_number, r.number)


@pytest.mark.parametrize("path", case_params())
def test_case_file_round_trips(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    case = read_case(path)
    written = dumps_exact(case_to_dict(case))
    assert json.loads(written, parse_float=Decimal) == original


@pytest.mark.parametrize("path", case_params())
def test_outcome_round_trips_through_json(path: Path) -> None:
    outcome = count_case_file(path)
    again = RankedOutcome.from_dict(json.loads(json.dumps(outcome.to_dict())))
    assert again == outcome
    assert outcome.to_text().count("round") >= len(outcome.rounds)


@pytest.mark.parametrize("path", case_params())
def test_transfers_explain_the_next_round(path: Path) -> None:
    """What a round's decisions moved is exactly what the next round gained."""
    outcome = count_case_file(path)
    winners: set[str] = set()
    for this, following in zip(outcome.rounds, outcome.rounds[1:], strict=False):
        if following.pass_number != this.pass_number:
            winners = set()
            continue
        winners |= set(this.elected)
        gained: dict[str, Decimal] = {}
        for t in this.transfers:
            key = t.to if t.to is not None else t.inactive_reason
            gained[key] = gained.get(key, Decimal(0)) + t.votes
        for name, votes in following.tally.items():
            if name not in winners:
                assert votes == this.tally[name] + gained.get(name, 0), (this.number, name)
        for reason, votes in following.inactive.items():
            assert votes == this.inactive.get(reason, 0) + gained.get(reason, 0)
        for loser in this.eliminated:
            moved = sum(t.votes for t in this.transfers if t.source == loser)
            assert moved == this.tally[loser]
