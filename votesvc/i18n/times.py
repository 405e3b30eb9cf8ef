"""Times as an election's voters read them: in the election's time zone, never in UTC.

Stored times are UTC. JSON answers keep ISO 8601 with the election's offset
(``2026-03-02T00:00:00+09:00``, :func:`local`); human messages write the local date and time
with the zone's name (:class:`LocalTime`: ``2026년 3월 2일 00:00 (Asia/Seoul)``,
``2 March 2026, 00:00 (Asia/Seoul)``), so a voter in Seoul whose receipt was recorded at
15:00 UTC sees the day it was for them. Pure (standard library only).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def local(moment: datetime, zone: str) -> datetime:
    """``moment`` in ``zone`` (the election's tz database name), or in UTC where the
    zone's offset then had seconds (a local mean time, e.g. Monrovia until 1972), which
    RFC 3339 cannot write."""
    shown = moment.astimezone(ZoneInfo(zone))
    offset = shown.utcoffset()
    if offset is not None and offset.seconds % 60:
        return moment.astimezone(UTC)
    return shown


class LocalTime:
    """A time as a message parameter (a :class:`votesvc.i18n.Localized`): the local date
    and time in each language, with the zone's name."""

    __slots__ = ("moment", "zone")

    def __init__(self, moment: datetime, zone: str) -> None:
        self.moment, self.zone = moment, zone

    def text(self, lang: str) -> str:
        shown = self.local()
        name = "UTC" if shown.tzinfo is UTC else self.zone
        clock = f"{shown:%H:%M}"
        if lang == "ko":
            return f"{shown.year}년 {shown.month}월 {shown.day}일 {clock} ({name})"
        return f"{shown.day} {_MONTHS[shown.month - 1]} {shown.year}, {clock} ({name})"

    def __str__(self) -> str:
        return self.local().isoformat()

    def local(self) -> datetime:
        return local(self.moment, self.zone)
