from fractions import Fraction

import pytest

from votesvc.tally.model import Agenda, Contest
from votesvc.tally.ties import TieBreak, TieBreakError

CONTEST = Contest(
    agendas=(Agenda("10", Fraction(5)), Agenda("9", Fraction(5)), Agenda("2", Fraction(3))),
    budget=Fraction(10),
)


def test_pabutools_order_compares_ids_as_strings():
    assert TieBreak.parse(None).order(CONTEST, {}) == {"10": 0, "2": 1, "9": 2}


def test_equalshares_order_prefers_cheaper_then_more_votes():
    order = TieBreak.parse("equalshares").order(CONTEST, {"10": 1, "9": 4, "2": 0})
    assert order == {"2": 0, "9": 1, "10": 2}


def test_lot_is_reproducible_and_depends_on_the_seed():
    first = TieBreak.parse("lot:2024").order(CONTEST, {})
    assert first == TieBreak.parse("lot:2024").order(CONTEST, {})
    orders = {
        tuple(sorted(TieBreak.parse(f"lot:{s}").order(CONTEST, {}).items())) for s in range(20)
    }
    assert len(orders) > 1


def test_file_order_is_the_agendas_published_order():
    assert TieBreak.parse("file").order(CONTEST, {}) == {"10": 0, "9": 1, "2": 2}


@pytest.mark.parametrize("text", ["coin", "pabutools:3", "file:1"])
def test_unknown_or_malformed_orders_are_refused(text):
    with pytest.raises(TieBreakError):
        TieBreak.parse(text)


def test_name_round_trips():
    for text in ("pabutools", "file", "equalshares:7", "lot:abc"):
        assert str(TieBreak.parse(text)) == text
