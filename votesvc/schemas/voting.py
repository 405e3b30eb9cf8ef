"""Schemas of voting: token batches, casting, kiosk sync, voter roll, participation."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from votesvc.i18n import N_
from votesvc.schemas.fields import (
    ElectionTime,
    StrictBoolean,
    StrictInteger,
    Text,
    ident,
    moment,
)

MAX_CHOICES = 1000
CAST_ID_PATTERN = r"^[A-Za-z0-9_-]{22,64}$"
MAX_BATCH_CONTESTS = 200
MAX_SYNC_BALLOTS = 1000
"""A kiosk syncs in batches of up to this many ballots (500 is the recommended size)."""


class BatchInSchema(Schema):
    booth_id = ident(
        allow_none=True, metadata={"description": "The booth; leave out for online tokens."}
    )
    size = StrictInteger(required=True, validate=validate.Range(min=1, max=100_000))
    test = StrictBoolean(
        metadata={"description": "Test tokens exercise a booth before it opens; never counted."}
    )
    label = Text(max_length=200)
    contests = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=validate.Length(min=1, max=MAX_BATCH_CONTESTS),
        metadata={
            "description": "Contest codes the batch's tokens may vote in (e.g. a district booth:"
            " the city-wide contest and its own district's); leave out for every contest."
            " A ballot for another contest is refused with token_contest_not_allowed."
        },
    )


class StatusCountsSchema(Schema):
    unused = fields.Integer()
    spent = fields.Integer()
    void = fields.Integer()
    test = fields.Integer()


class BatchOutSchema(Schema):
    id = fields.Integer()
    election_id = fields.Integer()
    booth_id = fields.Integer(allow_none=True)
    channel = fields.String()
    size = fields.Integer()
    test = fields.Boolean()
    label = fields.String()
    created_at = ElectionTime()
    sealed_at = ElectionTime(allow_none=True)
    printable = fields.Boolean()
    contests = fields.List(
        fields.String(),
        allow_none=True,
        metadata={"description": "The contests the tokens may vote in; null: every contest."},
    )
    counts = fields.Nested(StatusCountsSchema)


class VoidTokenInSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Short code."},
    )


class VoidedSchema(Schema):
    voided = fields.Integer()


class ParticipationSchema(StatusCountsSchema):
    """One channel's tokens by status (:class:`StatusCountsSchema`) and issued in all."""

    channel = fields.String()
    booth_id = fields.Integer(allow_none=True)
    booth_code = fields.String(allow_none=True)
    issued = fields.Integer(metadata={"description": "unused + spent + void (test apart)."})


class QuarantinedOutSchema(Schema):
    id = fields.Integer()
    booth_id = fields.Integer()
    reason = fields.String()
    detail = fields.String()
    content = fields.String()
    cast_at = ElectionTime()
    received_at = ElectionTime()


class QuarantineQuerySchema(Schema):
    booth_id = ident(strict=False)


class KioskInSchema(Schema):
    label = Text(max_length=200)


class KioskOutSchema(Schema):
    id = fields.Integer()
    booth_id = fields.Integer()
    label = fields.String()
    credential = fields.String(metadata={"description": "Shown once; stored hashed."})
    provisioning_code = fields.String(
        metadata={
            "description": "vkp1.<election id>.<booth id>.<credential>: pasted or scanned into"
            " the kiosk page at /kiosk/, which then fetches its setup (docs/kiosk.md)."
        }
    )
    election_id = fields.Integer()
    export_key = fields.String(
        metadata={"description": "HMAC-SHA256 key of the kiosk's exported queue files."}
    )
    server_time = fields.String()
    election = fields.String(metadata={"description": "The election's name inside tokens."})
    channel = fields.String()
    channel_keys = fields.List(
        fields.String(),
        metadata={
            "description": "The booth channel's HMAC-SHA256 keys, newest first, URL-safe base64"
            " without padding, for votesvc.voting.tokens.KioskVerifier."
        },
    )
    contests = fields.List(
        fields.String(),
        metadata={
            "description": "The contests to present: those the booth's token batches allow"
            " (every contest unless all its batches are restricted). The server still checks"
            " each ballot against its own token's batch at sync."
        },
    )


class Selection(fields.Dict):
    """One contest's selection: ``{"choices": [agenda codes], "points": [integers]}``.

    Checked in plain Python rather than by a nested schema: a kiosk syncs 500 ballots at once,
    and nested marshmallow schemas cost more than the rest of the sync put together.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            metadata={
                "description": 'One contest\'s selection: {"choices": [agenda codes, in rank'
                " order for ordinal contests; in ranked contests (irv, stv, block) null marks a"
                " skipped rank and a list of codes several agendas at one rank, counted by the"
                ' contest\'s skipped-rank and overvote options], "points": [integers, for'
                " cumulative and scoring contests]}."
            },
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict) or set(value) - {"choices", "points"}:
            raise ValidationError(N_("Must be an object with 'choices' and optionally 'points'."))
        choices, points = value.get("choices"), value.get("points", [])
        if not (
            isinstance(choices, list)
            and len(choices) <= MAX_CHOICES
            and all(c is None or _is_mark(c) for c in choices)
        ):
            raise ValidationError(
                N_(
                    "'choices' must list at most %(most)s entries, each an agenda code or, in"
                    " ranked contests, null (a skipped rank) or a list of agenda codes (several"
                    " at one rank)."
                )
                % {"most": MAX_CHOICES}
            )
        if not (
            isinstance(points, list)
            and len(points) <= MAX_CHOICES
            and all(type(p) is int for p in points)
        ):
            raise ValidationError(
                N_("'points' must list at most %(most)s integers.") % {"most": MAX_CHOICES}
            )
        return {"choices": choices, "points": points}


def _is_code(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 40


def _is_mark(mark: Any) -> bool:
    """An agenda code, or a list of them (several agendas marked at one rank)."""
    if isinstance(mark, list):
        return 0 < len(mark) <= MAX_CHOICES and all(_is_code(code) for code in mark)
    return _is_code(mark)


def selections_field() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=Selection(),
        required=True,
        metadata={"description": "One selection per contest code; a contest left out abstains."},
    )


class CastInSchema(Schema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "The signed token (QR code) or its typed short code."},
    )
    selections = selections_field()
    cast_id = fields.String(
        validate=validate.Regexp(
            CAST_ID_PATTERN, error="A cast id is 22 to 64 characters of A-Z, a-z, 0-9, - and _."
        ),
        metadata={
            "description": "Optional: a random id the client makes once per ballot (at least 128"
            " bits, e.g. 22 base64url characters) and sends again when it retries, so that a"
            " lost answer is never a lost receipt: the same token, cast id and selections"
            " answer the same receipt; the same cast id with other selections is refused"
            " (token_already_used).",
            "pattern": CAST_ID_PATTERN,
        },
    )


class ReceiptCheckInSchema(Schema):
    receipt = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The receipt code, as printed or shown after voting."},
    )


class CastOutSchema(Schema):
    receipt = fields.String(allow_none=True)
    test = fields.Boolean()
    contests = fields.List(fields.String())


class ReceiptOutSchema(Schema):
    recorded = fields.Boolean()
    recorded_at = fields.DateTime()
    contests = fields.List(fields.String())
    counted = fields.Boolean(
        metadata={"description": "In the published count (after publication)."}
    )


class SyncBallotSchema(Schema):
    id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "The receipt code the kiosk generated and printed (80 random bits,"
            " short-code form); also the ballot's idempotency key."
        },
    )
    token = fields.String(required=True, validate=validate.Length(min=1, max=512))
    cast_at = moment(aware=True, required=True)
    selections = selections_field()


class SyncInSchema(Schema):
    ballots = fields.List(
        fields.Nested(SyncBallotSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_SYNC_BALLOTS),
    )


class SyncResultSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "accepted, already_accepted, test or refused"})
    receipt = fields.String()
    reason = fields.String()
    message = fields.String()
    detail = fields.String()


class SyncOutSchema(Schema):
    results = fields.List(fields.Nested(SyncResultSchema))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class CodeCheckInSchema(Schema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "A signed token or a typed short code, as a voter presents it."},
    )


class CodeCheckOutSchema(Schema):
    status = fields.String(metadata={"description": "valid, test or refused"})
    reason = fields.String(metadata={"description": "The refusal's code (refused only)."})
    message = fields.String(metadata={"description": "The refusal in the request's language."})


class ClaimInSchema(Schema):
    identifier = fields.String(required=True, validate=validate.Length(min=1, max=200))
    factor = fields.String(load_default="", validate=validate.Length(max=200))


class ClaimOutSchema(Schema):
    token = fields.String(metadata={"description": "The signed online token (once)."})
    short_code = fields.String()


class MailInSchema(Schema):
    recipients = fields.List(
        fields.Email(), required=True, validate=validate.Length(min=1, max=10_000)
    )
    test = StrictBoolean()
    label = Text(max_length=200)


class MailOutSchema(Schema):
    batch_id = fields.Integer()
    sent = fields.Integer()
    failed = fields.List(fields.String())


class RollOutSchema(Schema):
    added = fields.Integer()
    already_listed = fields.Integer()
