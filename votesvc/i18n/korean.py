"""Korean particles that depend on the sound before them, chosen after the text is filled in.

A Korean catalogue entry writes such a particle in its paired form, as Korean writers do when
the word is not known in advance: ``%(cost)s을(를)``, ``%(left)s이(가)``, ``%(amount)s(으)로``,
``%(cost)s이었(였)습니다``. Once the parameters are in, :func:`resolve_particles` picks the one
form the preceding syllable needs, reading what is actually written:

- a Hangul syllable: its final consonant (받침) decides: ``원을``, ``원이었습니다``,
  ``사업비가``; for (으)로 a final ㄹ counts as none (``서울로``);
- a number, read in Korean: 1 204 is 천이백사 (ends in 사), 1 560 is 천오백육십 (십),
  30 000 is 삼만 (만), 0 is 영, and 3.25 is 삼 점 이오 (오): ``1,560을``, ``10이``;
- anything else (Latin letters such as ``published`` or ``EUR``, whose reading is not known,
  symbols): the paired form stays, which is correct Korean for an unknown word.
"""

from __future__ import annotations

import re

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL = 8
"""Index of ㄹ among the final consonants (jongseong) of a Hangul syllable."""

# Final consonant of each digit's Korean reading: 영 일 이 삼 사 오 육 칠 팔 구
_DIGIT_FINAL = (21, 8, 0, 16, 0, 0, 1, 8, 8, 0)
# ... and of the place words: 십 백 천 만 억 조 경
_TEN, _HUNDRED, _THOUSAND = 17, 1, 4
_GROUPS = ((10**4, 4), (10**8, 1), (10**12, 0), (10**16, 21))

_PAIRS = {
    "을(를)": ("을", "를"),
    "를(을)": ("을", "를"),
    "이(가)": ("이", "가"),
    "가(이)": ("이", "가"),
    "은(는)": ("은", "는"),
    "는(은)": ("은", "는"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "이었(였)": ("이었", "였"),
    "(이)": ("이", ""),
    "(으)로": ("으로", "로"),
}
_MARKER = re.compile("|".join(re.escape(m) for m in sorted(_PAIRS, key=len, reverse=True)))
_NUMBER = re.compile(r"(\d[\d,]*)(?:\.(\d+))?$")


def number_final(integer: int, decimals: str = "") -> int:
    """The final consonant index (0: none) of a number as read in Korean."""
    if decimals:
        return _DIGIT_FINAL[int(decimals[-1])]
    if integer % 10 or integer == 0:
        return _DIGIT_FINAL[integer % 10]
    if integer % 100:
        return _TEN
    if integer % 1000:
        return _HUNDRED
    if integer % 10**4:
        return _THOUSAND
    final = 0
    for unit, consonant in _GROUPS:
        if (integer // unit) % 10**4:
            final = consonant
            break
    return final


def final_consonant(text: str) -> int | None:
    """The final consonant index (0: none) of how ``text`` ends when read aloud, or None
    when that cannot be told (Latin letters, symbols, nothing)."""
    if not text:
        return None
    last = ord(text[-1])
    if _HANGUL_FIRST <= last <= _HANGUL_LAST:
        return (last - _HANGUL_FIRST) % 28
    number = _NUMBER.search(text)
    if number:
        return number_final(int(number.group(1).replace(",", "")), number.group(2) or "")
    return None


def particle(before: str, marker: str) -> str:
    """The form of the paired particle ``marker`` that follows ``before``."""
    final = final_consonant(before)
    if final is None:
        return marker
    with_consonant, without = _PAIRS[marker]
    if marker == "(으)로" and final == _RIEUL:
        return without
    return with_consonant if final else without


def resolve_particles(text: str) -> str:
    """``text`` with every paired particle replaced by the form its preceding word takes."""
    out: list[str] = []
    last = 0
    for match in _MARKER.finditer(text):
        out.append(text[last : match.start()])
        out.append(particle("".join(out), match.group()))
        last = match.end()
    out.append(text[last:])
    return "".join(out)
