"""Explanations are read off the rounds: each agenda's sentence names its round and figures."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from votesvc.publication.explain import allocation, money, ranked


def test_money_is_exact_when_whole_and_shown_per_language() -> None:
    assert money("3120", "KRW", "en") == "₩3,120"
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
    assert why["P1"]["en"].startswith("Funded in round 1: 1204 supporters paid ₩1,560 each")
    assert "지지자 1204명이 각자 1,560원씩" in why["P1"]["ko"]
    assert "completion step" in why["P2"]["en"] and "₩4,000 remained" in why["P2"]["en"]
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
        "Not funded: when its turn came (round 2) only ₩2,100,000 of the budget remained and it "
        "cost ₩5,000,000."
    )
    assert "₩2,100,000 of the budget remained afterwards" in why["A"]["en"]


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
    assert "각자 약 1,561원씩" in why["P1"]["ko"] and "paid about ₩1,561 each" in why["P1"]["en"]
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
