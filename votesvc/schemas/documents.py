"""The election document: a whole election in one JSON file, as ``votesvc import``, the
import endpoint, the demo election and a ``.pb`` file's contest are read.

Below the services that load it (:mod:`votesvc.services.importing`) and both edges that take
it in (the API's import endpoint, the CLI's ``import``), so no service reaches up into the
HTTP edge for it. Built from the resources' input schemas, so a document and a request are
checked by the same rules.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from votesvc.models import Phase
from votesvc.schemas.fields import Text
from votesvc.schemas.resources import (
    AgendaInSchema,
    BoothInSchema,
    ContestInSchema,
    ElectionInSchema,
)


class OrganisationSchema(Schema):
    name_ko = Text(blank=False, required=True, max_length=200)
    name_en = Text(max_length=200)


class ContestDocumentSchema(ContestInSchema):
    agendas = fields.List(fields.Nested(AgendaInSchema), load_default=list)


class ElectionDocumentSchema(ElectionInSchema):
    """A whole election in one JSON document (``votesvc import``, the demo election)."""

    phase = fields.String(
        load_default=Phase.DRAFT.value,
        validate=validate.OneOf([Phase.DRAFT.value, Phase.VOTING.value]),
        metadata={"description": "Open voting right after the import with 'voting'."},
    )
    organisations = fields.List(fields.Nested(OrganisationSchema), load_default=list)
    contests = fields.List(fields.Nested(ContestDocumentSchema), load_default=list)
    booths = fields.List(fields.Nested(BoothInSchema), load_default=list)
