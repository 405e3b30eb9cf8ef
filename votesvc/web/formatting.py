"""How pages write money: as Korean readers read it.

Money is always shown exactly (``₩450,000,000``); Korean pages add the amount in the units a
Korean reader counts in (``4억 5천만 원``), because eight zeros are hard to read at a glance and
Babel's compact form (``4억``) drops the rest. English pages write ``KRW 450,000,000``. Won
never have decimals. (Times: the ``local_time`` filter of :mod:`votesvc.i18n.http`.)
"""

from __future__ import annotations

_UNITS = ((10**12, "조"), (10**8, "억"), (10**4, "만"))


def _group(value: int) -> str:
    """One four-digit group (1-9999) as Koreans write it in amounts: whole thousands as
    ``5천`` (so ``4억 5천만``), anything else in digits (``100만``, ``3,500만``)."""
    return f"{value // 1000}천" if value % 1000 == 0 else f"{value:,}"


def won_in_words(amount: int) -> str:
    """``450000000`` → ``4억 5천만 원``; ``1234567890`` → ``12억 3,456만 7,890 원``; under
    10,000 the digits themselves (``5,000원``)."""
    if abs(amount) < 10**4:
        return f"{amount:,}원"
    sign, rest, parts = ("-" if amount < 0 else ""), abs(amount), []
    for size, unit in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{_group(count) if count < 10**4 else f'{count:,}'}{unit}")
    if rest:
        parts.append(_group(rest))
    return sign + " ".join(parts) + " 원"


def money(amount: int, lang: str) -> str:
    """The exact amount: ``₩450,000,000`` (Korean) or ``KRW 450,000,000`` (English)."""
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,}"
    return f"{sign}₩{digits}" if lang == "ko" else f"{sign}KRW {digits}"
