"""Strict fields: JSON gives types, so the API refuses what marshmallow would coerce.

marshmallow reads ``"12"`` or ``true`` as integers and ``"yes"`` as a boolean; an admin sending
those has a bug worth reporting, not guessing around.
"""

from __future__ import annotations

import math
import zoneinfo
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields, validate
from sqlalchemy import select

from votesvc.i18n import N_
from votesvc.i18n.times import local
from votesvc.models import DEFAULT_TIMEZONE, MAX_AMOUNT, MAX_ID, Election
from votesvc.models.base import db

EARLIEST = datetime(1970, 1, 1)
LATEST = datetime(2100, 1, 1)
"""Times are taken between these wall-clock moments. Outside, the tz database has local mean
times with offsets in seconds (Seoul before 1908: +08:27:52, which RFC 3339 cannot write),
and years near 1 or 9999 overflow when moved to UTC."""

TIME_ZONES = tuple(sorted(zoneinfo.available_timezones() - {"localtime", "posixrules"}))
"""The tz database's zone names (folders such as ``America`` are not zones); ``localtime``
and ``posixrules`` are files of this machine, not names with a meaning elsewhere."""


class StrictInteger(fields.Integer):
    """An integer given as a JSON integer (not a string, float or boolean)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Text(fields.String):
    """A string with surrounding whitespace removed; ``blank=False`` refuses an empty result."""

    def __init__(self, *, blank: bool = True, max_length: int | None = None, **kwargs: Any):
        validators = [validate.Length(max=max_length)] if max_length else []
        super().__init__(validate=validators, **kwargs)
        self.blank = blank

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text and not self.blank:
            raise ValidationError(N_("Must not be empty."))
        return text


def ident(*, strict: bool = True, **kwargs: Any) -> fields.Integer:
    """A row id (1 to 2^31 - 1, the databases' ``integer``); ``strict=False`` for query
    strings, where numbers arrive as text."""
    cls = StrictInteger if strict else fields.Integer
    return cls(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _sensible(moment: datetime) -> None:
    if not EARLIEST <= moment.replace(tzinfo=None) < LATEST:
        raise ValidationError(
            N_("Must be from %(first)s to %(last)s, as ISO 8601 (RFC 3339).")
            % {"first": EARLIEST.year, "last": LATEST.year - 1}
        )


def moment(*, aware: bool = False, **kwargs: Any) -> fields.DateTime:
    """An ISO 8601 time from 1970 to 2099 (see :data:`EARLIEST`). ``aware`` needs an offset;
    otherwise a time without one is read in the election's time zone by the service."""
    cls = fields.AwareDateTime if aware else fields.DateTime
    return cls(validate=_sensible, **kwargs)


def time_zone(**kwargs: Any) -> fields.String:
    """A tz database zone name, such as ``Asia/Seoul``."""
    return fields.String(
        validate=validate.OneOf(
            TIME_ZONES, error=N_("Unknown time zone; use a tz database name such as Asia/Seoul.")
        ),
        **kwargs,
    )


def finite_scalars(options: dict[str, Any]) -> None:
    """Every value a string, a boolean or a finite number (JSON has no NaN or infinity; a
    document read by the command line could still carry one, and ``1e999`` is infinite)."""
    for key, value in options.items():
        if not isinstance(value, str | int | float | bool):
            raise ValidationError(
                N_("Option '%(key)s' must be a string, number or boolean.") % {"key": key}
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(N_("Option '%(key)s' must be a finite number.") % {"key": key})


def amount(minimum: int, **kwargs: Any) -> StrictInteger:
    """A cost or budget in whole currency units, within what JSON clients read exactly."""
    return StrictInteger(validate=validate.Range(min=minimum, max=MAX_AMOUNT), **kwargs)


def code(**kwargs: Any) -> fields.String:
    """A short stable name (letters, digits, ``-``, ``_``, ``.``), e.g. an agenda's ``A-07``."""
    return fields.String(
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$",
            error="Use 1-40 letters, digits, '.', '/', '-' or '_'; start with a letter or digit.",
        ),
        **kwargs,
    )


class ElectionTime(fields.DateTime):
    """A stored (UTC) time shown in its election's time zone, ISO 8601 with that offset.

    The object dumped names its election (``election_id``, an attribute or a key). Each
    election's zone is read once per database session (kept in ``session.info``), so a listing
    costs one query for its zone however many rows it has."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        election_id = obj["election_id"] if isinstance(obj, dict) else obj.election_id
        return super()._serialize(local(value, election_zone(election_id)), attr, obj, **kwargs)


def election_zone(election_id: int) -> str:
    """The election's tz database name, remembered for the rest of the database session."""
    zones = db.session.info.setdefault("votesvc.election_zones", {})
    if election_id not in zones:
        zone = db.session.scalar(select(Election.timezone).where(Election.id == election_id))
        zones[election_id] = zone or DEFAULT_TIMEZONE
    return zones[election_id]
