"""Strict fields: JSON gives types, so the API refuses what marshmallow would coerce.

marshmallow reads ``"12"`` or ``true`` as integers and ``"yes"`` as a boolean; an admin sending
those has a bug worth reporting, not guessing around.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from votesvc.models import MAX_AMOUNT


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
            raise ValidationError("Must not be empty.")
        return text


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
