"""Short codes: the check character catches every single substitution and adjacent swap."""

from __future__ import annotations

import itertools
import random

import pytest

from votesvc.voting.shortcodes import (
    ALPHABET,
    ShortCodeError,
    ShortCodeTypo,
    check_symbol,
    decode_id,
    encode_id,
    format_code,
    is_valid,
    normalise,
    parse_code,
)
from votesvc.voting.tokens import TOKEN_ID_BYTES

SIZE = TOKEN_ID_BYTES


def _single_errors(code: str):
    """Every single-character substitution and every adjacent transposition of ``code``."""
    for i, symbol in enumerate(code):
        for other in ALPHABET:
            if other != symbol:
                yield code[:i] + other + code[i + 1 :]
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            yield code[:i] + code[i + 1] + code[i] + code[i + 2 :]


def test_alphabet_is_crockford_base32():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_every_error_in_every_three_symbol_code_is_caught():
    """Exhaustive over all 1 024 valid codes of two symbols plus check."""
    codes = [a + b + check_symbol(a + b) for a, b in itertools.product(ALPHABET, repeat=2)]
    assert all(is_valid(code) for code in codes)
    missed = [(code, bad) for code in codes for bad in _single_errors(code) if is_valid(bad)]
    assert missed == []


def test_a_difference_in_the_running_check_never_heals():
    """With the test above, a proof for any length: every running value is reached by one
    symbol, and a step from two different values by the same symbol never meets again."""
    for first, second in itertools.permutations(ALPHABET, 2):
        for suffix in ALPHABET:
            assert check_symbol(first + suffix) != check_symbol(second + suffix)


def test_every_error_in_real_length_codes_is_caught():
    rng = random.Random(5)
    for _ in range(150):
        code = normalise(format_code(rng.randbytes(SIZE)))
        assert len(code) == 17 and is_valid(code)
        assert not any(is_valid(bad) for bad in _single_errors(code))


def test_printed_form_is_four_groups_of_four_and_the_check():
    code = format_code(bytes(SIZE))
    assert code == "0000-0000-0000-0000-0"
    code = format_code(bytes([0xFF]) * SIZE)
    assert code[:19] == "ZZZZ-ZZZZ-ZZZZ-ZZZZ" and len(code) == 21


@pytest.mark.parametrize("size", range(1, 17))
def test_ids_round_trip_at_any_size(size):
    rng = random.Random(size)
    for _ in range(50):
        token_id = rng.randbytes(size)
        assert decode_id(encode_id(token_id), size) == token_id
        assert parse_code(format_code(token_id), size) == token_id


def test_padding_bits_are_refused():
    assert encode_id(b"\xff") == "7Z"  # ten bits: two zero bits first
    with pytest.raises(ShortCodeError, match="padding"):
        decode_id("ZZ", 1)


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{lower}",
        "{plain}",
        " {spaced} ",
        "{code_dashes}",
        "{fullwidth}",
    ],
)
def test_typed_variants_parse_to_the_id(typed):
    token_id = bytes.fromhex("0123456789abcdef0f1e")
    code = format_code(token_id)
    variants = {
        "code": code,
        "lower": code.lower(),
        "plain": code.replace("-", ""),
        "spaced": code.replace("-", " "),
        "code_dashes": code.replace("-", "\u2013"),
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in code),
    }
    assert parse_code(typed.format(**variants), SIZE) == token_id


def test_confusable_letters_are_folded():
    assert normalise("oOiIlL") == "001111"
    assert parse_code("oooo-OOOO-0000-oooo-o", SIZE) == bytes(SIZE)
    ones = bytes.fromhex("08421084210842108421")
    code = format_code(ones)
    assert code.startswith("1111-1111")
    assert parse_code(code.replace("1", "l", 8).replace("1", "I"), SIZE) == ones


# The two-set (두벌식) keyboard: the jamo under each Latin key, unshifted.
_TWO_SET = dict(
    zip(
        "QWERTYUIOPASDFGHJKLZXCVBNM",
        "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡ",
        strict=True,
    )
)


def test_a_code_typed_with_the_korean_keyboard_still_parses():
    rng = random.Random(7)
    for _ in range(50):
        token_id = rng.randbytes(SIZE)
        typed = "".join(_TWO_SET.get(ch, ch) for ch in format_code(token_id))
        assert parse_code(typed, SIZE) == token_id


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("가나", "RKSK"),
        ("간", "RKS"),
        ("뷁", "QNPFR"),
        ("ㅘ", "HK"),
        ("ㄳ", "RT"),
        ("ㄲㅆ", "RT"),
        ("\u1100\u1161\u11ab", "RKS"),  # decomposed 간, as some systems send it
    ],
)
def test_hangul_is_read_as_the_keys_pressed(typed, keys):
    assert normalise(typed) == keys


def test_wrong_length_is_malformed_not_a_typo():
    code = format_code(bytes(range(SIZE)))
    with pytest.raises(ShortCodeError, match="17 characters; this one has 16") as caught:
        parse_code(code[:-1], SIZE)
    assert type(caught.value) is ShortCodeError and caught.value.code == "short_code_malformed"


def test_foreign_characters_are_named():
    with pytest.raises(ShortCodeError, match="not used in codes: U#"):
        parse_code("UUUU-####-0000-0000-0", SIZE)


def test_a_typo_is_caught_before_any_lookup():
    code = format_code(bytes(range(SIZE)))
    typo = code[:3] + ("Z" if code[3] != "Z" else "Y") + code[4:]
    with pytest.raises(ShortCodeTypo) as caught:
        parse_code(typo, SIZE)
    assert caught.value.code == "short_code_typo"
