"""Short human codes: a voting token's id written so that a person can type it.

A short code stands beside each QR code on a printed token sheet, for when the scanner fails or
the voter types on a phone. It carries the token's whole id, so the server finds the token by the
same keyed hash whichever way it arrived (see :func:`votesvc.voting.tokens.hash_token_id`).

Why this alphabet. Crockford's base32 (``0-9`` and ``A-Z`` without ``I L O U``): 5 bits a
character, so the 80-bit token id is 16 characters plus one check character, printed
``XXXX-XXXX-XXXX-XXXX-C``. Digits only would spare Korean phone users the 한/영 switch, but the
same 80 bits take 25 digits (26 with the check): half again as many keystrokes, and every one a
chance for a typo or a lost place. Latin letters are one 한/영 key away on every Korean phone
keyboard, and nothing here needs the shift key: lowercase is accepted. The letters people
confuse are folded on input (``O`` to ``0``; ``I`` and ``L`` to ``1``) and ``U`` is never issued.

Typing with the phone keyboard still in Hangul mode is an easy slip, so the normaliser also
reads Hangul typed on the standard two-set (두벌식) layout back into the keys pressed: ``ㄱ`` is
the ``R`` key, and IME-composed syllables are taken apart (``간`` is ``R K S``).

Why this check character. It is Damm's algorithm over the field GF(32) (x^5 + x^2 + 1): the
running check is ``c <- 2·c + symbol`` with field arithmetic, and a code is valid when it ends at
zero. Because ``y -> 2·c + y`` is a bijection, a changed character changes the running value;
because ``(2·c + x)·2 + y = (2·c + y)·2 + x`` only when ``x = y``, so does a swap of two adjacent
different characters (the check character included); and as every later step ``c -> 2·c + s``
is a bijection too, a difference never heals, so the code no longer ends at zero. Crockford's
own mod-37 check needs five extra symbols, and Luhn mod N misses one transposition pair; the
tests prove both error classes exhaustively.

Entropy: the check character and the grouping add none; a short code holds exactly the token
id's bits (80 for :data:`votesvc.voting.tokens.TOKEN_ID_BYTES` = 10). It is a bearer secret, like
the
QR code, but with no signature: only the server's record of issued ids can accept it.
"""

from __future__ import annotations

import unicodedata

from votesvc.i18n import N_

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32 symbols, in value order."""

GROUP = 4
"""Characters per printed group, as on payment cards."""

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = frozenset(" -_.·/\u2010\u2011\u2012\u2013\u2014\u2212\u30fb\t\n")

# The two-set Korean keyboard: the Latin key under each compatibility jamo (shifted consonants
# and vowels share their key's letter, since codes ignore case). Compound letters are the keys
# the IME combined.
_JAMO_KEYS = {
    "ㅂ": "Q", "ㅃ": "Q", "ㅈ": "W", "ㅉ": "W", "ㄷ": "E", "ㄸ": "E", "ㄱ": "R", "ㄲ": "R",
    "ㅅ": "T", "ㅆ": "T", "ㅛ": "Y", "ㅕ": "U", "ㅑ": "I", "ㅐ": "O", "ㅒ": "O", "ㅔ": "P",
    "ㅖ": "P", "ㅁ": "A", "ㄴ": "S", "ㅇ": "D", "ㄹ": "F", "ㅎ": "G", "ㅗ": "H", "ㅓ": "J",
    "ㅏ": "K", "ㅣ": "L", "ㅋ": "Z", "ㅌ": "X", "ㅊ": "C", "ㅍ": "V", "ㅠ": "B", "ㅜ": "N",
    "ㅡ": "M", "ㅘ": "HK", "ㅙ": "HO", "ㅚ": "HL", "ㅝ": "NJ", "ㅞ": "NP", "ㅟ": "NL",
    "ㅢ": "ML", "ㄳ": "RT", "ㄵ": "SW", "ㄶ": "SG", "ㄺ": "FR", "ㄻ": "FA", "ㄼ": "FQ",
    "ㄽ": "FT", "ㄾ": "FX", "ㄿ": "FV", "ㅀ": "FG", "ㅄ": "QT",
}  # fmt: skip
_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")
_SYLLABLE_FIRST, _SYLLABLE_LAST = 0xAC00, 0xD7A3


class ShortCodeError(ValueError):
    """A typed code that cannot be a short code; ``code`` is the stable error string."""

    code = "short_code_malformed"


class ShortCodeTypo(ShortCodeError):
    """Well formed but the check character disagrees: a typo, caught before any lookup."""

    code = "short_code_typo"


def encode_id(token_id: bytes) -> str:
    """The id's bits as base32 symbols, most significant first, no check, no grouping.

    Also the id's form inside the signed token, so the QR and the short code spell it alike.
    """
    length = symbols_for(len(token_id))
    value = int.from_bytes(token_id, "big")
    return "".join(ALPHABET[(value >> (5 * (length - 1 - i))) & 31] for i in range(length))


def decode_id(symbols: str, size: int) -> bytes:
    """Inverse of :func:`encode_id` for an id of ``size`` bytes; refuses stray padding bits."""
    if len(symbols) != symbols_for(size) or not set(symbols) <= _VALUE.keys():
        raise ShortCodeError(f"not a {size}-byte id in base32: {symbols!r}")
    value = 0
    for symbol in symbols:
        value = value << 5 | _VALUE[symbol]
    if value >> (8 * size):
        raise ShortCodeError(f"padding bits set in {symbols!r}")
    return value.to_bytes(size, "big")


def symbols_for(size: int) -> int:
    """Base32 symbols needed for ``size`` bytes."""
    return -(-8 * size // 5)


def check_symbol(symbols: str) -> str:
    """The Damm check character over GF(32) for base32 ``symbols``."""
    return ALPHABET[_times_two(_damm(symbols))]


def is_valid(symbols: str) -> bool:
    """True when ``symbols`` (ending in its check character) runs to zero."""
    return _damm(symbols) == 0


def format_code(token_id: bytes) -> str:
    """The printed short code: the id's symbols plus check, in hyphenated groups of four."""
    symbols = encode_id(token_id)
    full = symbols + check_symbol(symbols)
    return "-".join(full[i : i + GROUP] for i in range(0, len(full), GROUP))


def parse_code(text: str, size: int) -> bytes:
    """The token id in a typed short code, or :class:`ShortCodeError` saying what is wrong.

    The check character is verified here, so a typo never reaches the database.
    """
    symbols = normalise(text)
    expected = symbols_for(size) + 1
    if len(symbols) != expected:
        raise ShortCodeError(
            N_("a code has %(expected)s characters; this one has %(length)s")
            % {"expected": expected, "length": len(symbols)}
        )
    bad = [ch for ch in symbols if ch not in _VALUE]
    if bad:
        raise ShortCodeError(
            N_("not used in codes: %(characters)s") % {"characters": "".join(dict.fromkeys(bad))}
        )
    if not is_valid(symbols):
        raise ShortCodeTypo(N_("the code does not check out; please compare it with the sheet"))
    return decode_id(symbols[:-1], size)


def normalise(text: str) -> str:
    """What the person meant to type: Hangul back to the keys pressed, full-width forms to ASCII,
    uppercase, separators dropped, confusable letters folded. Unknown characters are kept so
    :func:`parse_code` can name them.

    Hangul is read after NFC (which composes decomposed syllables) and before NFKC, because
    NFKC would turn the compatibility jamo a phone keyboard sends into conjoining jamo.
    """
    if text.isascii():  # no Hangul, nothing either normal form changes: skip both
        plain = text.upper()
    else:
        keys = "".join(_keys_of(ch) for ch in unicodedata.normalize("NFC", text))
        plain = unicodedata.normalize("NFKC", keys).upper()
    return "".join(ch for ch in plain if ch not in _SEPARATORS).translate(_CONFUSABLE)


def _keys_of(ch: str) -> str:
    """Keys of the two-set layout behind one character (itself if it is not Hangul)."""
    if _SYLLABLE_FIRST <= ord(ch) <= _SYLLABLE_LAST:
        index = ord(ch) - _SYLLABLE_FIRST
        jamo = (_INITIALS[index // 588], _MEDIALS[index // 28 % 21], _FINALS[index % 28])
        return "".join(_JAMO_KEYS.get(j, j) for j in jamo)
    return _JAMO_KEYS.get(ch, ch)


def _damm(symbols: str) -> int:
    check = 0
    for symbol in symbols:
        check = _times_two(check) ^ _VALUE[symbol]
    return check


def _times_two(value: int) -> int:
    """Multiply by x in GF(32) modulo the primitive polynomial x^5 + x^2 + 1."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value
