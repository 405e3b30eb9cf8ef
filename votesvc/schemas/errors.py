"""The one error envelope of the API (documented in the OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine code."})
    message = fields.String(required=True, metadata={"description": "Korean or English."})
    field_errors = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        metadata={"description": "Per-field problems, marshmallow's shape."},
    )


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)
