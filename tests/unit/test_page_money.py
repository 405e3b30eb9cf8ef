"""Money on the pages: exact, and in the units Korean readers count in."""

from __future__ import annotations

import pytest

from votesvc.web.formatting import money, won_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (450_000_000, "4억 5천만 원"),
        (1_000_000_000, "10억 원"),
        (120_000_000, "1억 2천만 원"),
        (35_000_000, "3,500만 원"),
        (1_000_000, "100만 원"),
        (10_000, "1만 원"),
        (5_000, "5,000원"),
        (1_234_567_890, "12억 3,456만 7,890 원"),
        (2_000_000_000_000, "2조 원"),
        (-250_000_000, "-2억 5천만 원"),
    ],
)
def test_won_in_words(amount: int, words: str) -> None:
    assert won_in_words(amount) == words


def test_exact_amounts_in_each_language() -> None:
    assert money(450_000_000, "ko") == "₩450,000,000"
    assert money(450_000_000, "en") == "KRW 450,000,000"
    assert money(-5, "en") == "-KRW 5"
