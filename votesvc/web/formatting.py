"""How pages write money and times: as Korean readers read them, and in the election's zone.

Money is always shown exactly (``₩450,000,000``); Korean pages add the amount in the units a
Korean reader counts in (``4억 5천만 원``), because eight zeros are hard to read at a glance and
Babel's compact form (``4억``) drops the rest. English pages write ``KRW 450,000,000``. Won
never have decimals. Times are stored in UTC and shown in the election's time zone with the
zone's name, so a voter in Seoul never sees yesterday's date on a receipt made after midnight.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_datetime

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


def local_time(moment: datetime, zone: str, lang: str, *, with_zone: bool = True) -> str:
    """``moment`` (aware, UTC as stored) in ``zone``: "2026년 12월 2일 (수) 오전 9:00" /
    "Wed, 2 Dec 2026, 09:00", with the zone's name after it unless ``with_zone`` is false."""
    pattern = "y년 M월 d일 (E) a h:mm" if lang == "ko" else "EEE, d MMM y, HH:mm"
    text = babel_datetime(moment.astimezone(ZoneInfo(zone)), pattern, locale=lang)
    return f"{text} ({zone})" if with_zone else text
