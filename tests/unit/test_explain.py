"""Explanations are read off the rounds: each agenda's sentence names its round and figures."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from votesvc.publication.explain import allocation, money, ranked
from votesvc.tally.ranked.engine import count
from votesvc.tally.ranked.rules import RankedContest, RankedGroup, RankedRules, TieBreakRule


def test_money_is_exact_when_whole_and_shown_per_language() -> None:
    assert money("3120", "KRW", "en") == "KRW 3,120"
    assert money("3120", "KRW", "ko") == "3,120원"
    assert money("1000/3", "EUR", "en") == "333.33 EUR"


def test_equal_shares_purchases_name_supporters_and_price() -> None:
    result = {
        "outcome": {
            "rule": "equalshares/add1",
            "budget": "10000",
            "rounds": [
                {
                    "number": 1,
                    "action": "select",
                    "agenda": "P1",
                    "details": {"rho": "1/4", "price": "1560", "supporters": 1204, "cost": "6000"},
                },
                {"number": 2, "action": "completion", "agenda": None, "details": {}},
                {
                    "number": 3,
                    "action": "select",
                    "agenda": "P2",
                    "details": {"completion": "greedy", "cost": "3000", "left": "1000"},
                },
            ],
        }
    }
    why = allocation(result, {"P1": 6000, "P2": 3000, "P3": 5000}, "KRW")
    assert why["P1"]["en"].startswith("Funded in round 1: 1204 supporters paid KRW 1,560 each")
    assert "지지자 1204명이 각자 1,560원씩" in why["P1"]["ko"]
    assert "completion step" in why["P2"]["en"] and "KRW 4,000 remained" in why["P2"]["en"]
    assert why["P3"]["en"].startswith("Not funded: its supporters could not cover")


def test_greedy_skips_say_what_remained_and_what_it_cost() -> None:
    result = {
        "outcome": {
            "rule": "greedy",
            "budget": "5000000",
            "rounds": [
                {"number": 1, "action": "select", "agenda": "A", "details": {"support": "9"}},
                {
                    "number": 2,
                    "action": "skip",
                    "agenda": "B",
                    "details": {"support": "5", "reason": "does not fit"},
                },
            ],
        }
    }
    why = allocation(result, {"A": 2_900_000, "B": 5_000_000}, "KRW")
    assert why["B"]["en"] == (
        "Not funded: when its turn came (round 2) only KRW 2,100,000 of the budget remained and it "
        "cost KRW 5,000,000."
    )
    assert "KRW 2,100,000 of the budget remained afterwards" in why["A"]["en"]


def test_ranked_explanations_name_the_round_of_election_or_elimination() -> None:
    result = {
        "outcome": {
            "rounds": [
                {
                    "round": 1,
                    "tally": {"X": "3", "Y": "2", "Z": "1"},
                    "elected": [],
                    "eliminated": ["Z"],
                },
                {"round": 2, "tally": {"X": "4", "Y": "2"}, "elected": ["X"], "eliminated": []},
            ]
        }
    }
    why = ranked(result, ["X", "Y", "Z"])
    assert why["X"]["en"] == "Funded: elected in round 2 with 4 votes."
    assert why["Z"]["en"].startswith("Not funded: eliminated in round 1 with 1 votes")
    assert why["Y"]["en"].startswith("Not funded: still in the count when it ended in round 2")


def test_korean_particles_follow_the_amount_and_won_never_shows_decimals() -> None:
    skipped = {
        "outcome": {
            "rule": "greedy",
            "budget": "5000000",
            "rounds": [
                {"number": 1, "action": "select", "agenda": "A", "details": {"support": "9"}},
                {
                    "number": 2,
                    "action": "skip",
                    "agenda": "B",
                    "details": {"support": "5", "reason": "does not fit"},
                },
            ],
        }
    }
    why = allocation(skipped, {"A": 2_900_000, "B": 5_000_000}, "KRW")
    assert why["A"]["ko"] == (
        "1라운드에서 선정 (지지 9): 사업비 2,900,000원을 쓰고 예산 2,100,000원이 남았습니다."
    )
    assert why["B"]["ko"].endswith("사업비는 5,000,000원이었습니다.")
    bought = {
        "outcome": {
            "rule": "equalshares",
            "budget": "10000",
            "rounds": [
                {
                    "number": 1,
                    "action": "select",
                    "agenda": "P1",
                    "details": {"price": "3121/2", "supporters": 3, "cost": "4682"},
                }
            ],
        }
    }
    why = allocation(bought, {"P1": 4682, "P2": 7001}, "KRW")
    assert "각자 약 1,561원씩" in why["P1"]["ko"] and "paid about KRW 1,561 each" in why["P1"]["en"]
    assert why["P2"]["ko"].endswith("사업비 7,001원을 충당할 수 없었습니다.")


@given(st.fractions(min_value=0, max_value=10**12, max_denominator=10**6))
def test_won_amounts_are_whole_in_both_languages(amount: Fraction) -> None:
    for lang in ("ko", "en"):
        shown = money(amount, "KRW", lang)
        assert "." not in shown
        assert shown.startswith("약 ") or shown.startswith("about ") or amount.denominator == 1


def test_conflicts_and_stops_name_the_agenda_with_its_particle() -> None:
    result = {
        "outcome": {
            "rule": "greedy",
            "budget": "10",
            "rounds": [
                {"number": 1, "action": "select", "agenda": "A-01", "details": {}},
                {"number": 2, "action": "skip", "agenda": "A-07", "details": {"conflict": "A-01"}},
                {
                    "number": 3,
                    "action": "stop",
                    "agenda": "P2",
                    "details": {"reason": "does not fit"},
                },
            ],
        }
    }
    why = allocation(result, {"A-01": 5, "A-07": 1, "P2": 9, "P3": 1}, "KRW")
    assert why["A-07"]["ko"] == "선정되지 않음: 먼저 선정된 A-01과 함께 추진할 수 없는 안건입니다."
    assert why["P3"]["ko"].startswith("선정되지 않음: 3라운드에서 P2가 예산에 맞지 않아")


def _counted(rules: RankedRules, *rows: tuple[str, int]) -> dict[str, Any]:
    """A ranked count's result as a publication carries it: ``("P1 P2", 3)`` is three ballots
    ranking P1, then P2; candidates P1 to P4 in ballot order."""
    names = ("P1", "P2", "P3", "P4")
    groups = tuple(RankedGroup(tuple((name,) for name in text.split()), n) for text, n in rows)
    return {"outcome": count(RankedContest(names, rules, groups)).to_dict()}


def test_a_tie_lost_for_the_fewest_votes_says_so_and_names_the_tie_break() -> None:
    rules = RankedRules(tiebreak=TieBreakRule("candidate_order", ("P1", "P2", "P3", "P4")))
    result = _counted(rules, ("P1", 4), ("P2 P1", 2), ("P3 P2", 3), ("P4 P2", 1))
    assert result["outcome"]["ties"][0]["selected"] == "P3"  # P2 and P3 tied after P4 went
    why = ranked(result, ["P1", "P2", "P3", "P4"])
    assert why["P3"]["en"] == (
        "Not funded: eliminated in round 2. It was tied with P2 for the fewest votes (3) and "
        "lost the published tie-break, decided by the agendas' order on the ballot (of the tied "
        "agendas, the one listed later is eliminated and the one listed first is elected)."
    )
    assert why["P3"]["ko"] == (
        "선정되지 않음: 2라운드에서 P2와 같은 3표로 가장 적은 득표 동점이었고, 공개된 동점 처리 "
        "규칙에서 져 탈락했습니다. 동점 처리 규칙: 투표지의 안건 순서(동점인 안건 가운데 뒤에 "
        "있는 안건이 탈락하고 앞에 있는 안건이 당선)."
    )
    assert "최하위" not in why["P3"]["ko"]
    # Alone at the bottom, P4 is eliminated for having the fewest votes, as before.
    assert why["P4"]["en"].startswith("Not funded: eliminated in round 1 with 1 votes, the fewest")


def test_a_drawn_tie_names_the_lot_and_its_seed() -> None:
    rules = RankedRules(tiebreak=TieBreakRule("random", seed=7))
    result = _counted(rules, ("P1", 4), ("P2 P1", 1), ("P3 P1", 1), ("P4", 2))
    (tie,) = result["outcome"]["ties"]
    lost = tie["selected"]
    why = ranked(result, ["P1", "P2", "P3", "P4"])[lost]
    assert why["en"].endswith(
        "lost the published tie-break, decided by lot, drawn as RCTab draws it "
        "(java.util.Random, seed 7)."
    )
    assert "RCTab과 같은 방식의 추첨(java.util.Random, 시드 7)" in why["ko"]


def test_a_tie_for_election_names_the_winner_and_the_loser_of_the_tie_break() -> None:
    rules = RankedRules(tiebreak=TieBreakRule("candidate_order", ("P1", "P2", "P3", "P4")))
    result = _counted(rules, ("P1", 2), ("P2", 2), ("P3 P1", 1), ("P4 P2", 1))
    assert [t["kind"] for t in result["outcome"]["ties"]] == ["eliminate", "elect"]
    why = ranked(result, ["P1", "P2", "P3", "P4"])
    assert why["P1"]["en"].startswith(
        "Funded: elected in round 3 with 3 votes, tied with P2; it won the published tie-break, "
        "decided by the agendas' order on the ballot"
    )
    assert why["P2"]["en"].startswith(
        "Not funded: in round 3 it was tied with P1 for election at 3 votes and lost the "
        "published tie-break, decided by the agendas' order on the ballot"
    )
    assert "당선을 다투는 동점" in why["P2"]["ko"] and "최하위" not in why["P2"]["ko"]


def test_a_batch_elimination_is_not_called_the_fewest() -> None:
    rules = RankedRules(batch_elimination=True)
    result = _counted(rules, ("P1", 7), ("P2", 6), ("P3 P2", 2), ("P4 P1", 1))
    assert result["outcome"]["rounds"][0]["eliminated"] == ["P4", "P3"]
    why = ranked(result, ["P1", "P2", "P3", "P4"])
    assert why["P3"]["en"] == (
        "Not funded: eliminated in round 1 with 2 votes, together with P4: all their votes "
        "together were fewer than those of any agenda still in the count."
    )
    assert why["P3"]["ko"].startswith("선정되지 않음: 1라운드에서 2표로 P4와 함께 탈락했습니다.")
