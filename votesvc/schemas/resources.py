"""Schemas of the election resources: what admins send and what everyone reads.

One input schema per resource serves the API's create (and, loaded ``partial``, its update)
and the JSON import document (:mod:`votesvc.schemas.documents`), so a file and a request are
checked by the same rules. Checks
that need more than one field or the stored state (rule vs ballot type, a title in at least
one language on the merged object) live in the services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from votesvc.i18n import N_
from votesvc.i18n.times import local
from votesvc.models import DEFAULT_TIMEZONE, Contest, Election, Phase
from votesvc.publication import explain
from votesvc.schemas.fields import (
    StrictBoolean,
    StrictInteger,
    Text,
    amount,
    code,
    finite_scalars,
    moment,
    time_zone,
)
from votesvc.tally.catalog import ALLOCATION_RULES, RANKED_RULES
from votesvc.tally.model import BallotType
from votesvc.tally.options import tie_break_of


def _exclusive_group(codes: list[str]) -> None:
    if len(set(codes)) < 2 or len(set(codes)) != len(codes):
        raise ValidationError(N_("A group names two or more different agenda codes."))


def _count(minimum: int = 0) -> StrictInteger:
    return StrictInteger(allow_none=True, validate=validate.Range(min=minimum, max=10_000))


class _TitledInSchema(Schema):
    title_ko = Text(max_length=300)
    title_en = Text(max_length=300)
    description_ko = Text()
    description_en = Text()


class ElectionInSchema(Schema):
    slug = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z0-9][a-z0-9-]{0,79}$",
            error="Use 1-80 lowercase letters, digits or '-', starting with a letter or digit.",
        ),
    )
    name_ko = Text(max_length=300)
    name_en = Text(max_length=300)
    description_ko = Text()
    description_en = Text()
    starts_at = moment(required=True)
    ends_at = moment(required=True)
    timezone = time_zone()
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$", error="ISO 4217 code."))
    is_demo = StrictBoolean()


class AgendaInSchema(_TitledInSchema):
    code = code()
    position = StrictInteger(validate=validate.Range(min=0, max=100_000))
    cost = amount(0, required=True)
    organisations = fields.List(
        Text(blank=False, max_length=200),
        metadata={"description": "Korean names of the proposing organisations, lead first."},
    )


class ContestInSchema(_TitledInSchema):
    code = code()
    position = StrictInteger(validate=validate.Range(min=0, max=100_000))
    budget = amount(1, required=True)
    ballot_type = fields.String(
        required=True, validate=validate.OneOf([t.value for t in BallotType])
    )
    rule = fields.String(required=True, validate=validate.OneOf([*ALLOCATION_RULES, *RANKED_RULES]))
    rule_options = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(
            metadata={"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
        ),
        validate=finite_scalars,
    )
    exclusive_groups = fields.List(
        fields.List(fields.String(), validate=_exclusive_group),
        validate=validate.Length(max=1000),
        metadata={
            "description": "Groups of agenda codes of which at most one is funded, e.g. "
            '[["A-07", "A-09"]]; every rule respects them.'
        },
    )
    min_selections = _count()
    max_selections = _count(1)
    knapsack_cap = StrictBoolean()
    points_total = _count(1)
    max_points_per_agenda = _count(1)
    max_ranks = _count(1)
    shuffle_agendas = StrictBoolean(
        metadata={"description": "Ballot pages show the agendas in each voter's own order."}
    )


class BoothInSchema(Schema):
    code = code(required=True)
    name_ko = Text(max_length=200)
    name_en = Text(max_length=200)
    place = Text(max_length=300)


class _Partial:
    """Loads any non-empty subset of the fields: the update (PATCH) form of an input schema.
    An empty one would change nothing yet answer as if it had (and write an audit entry)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[call-arg]

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError(N_("Give at least one field to change."))


class ElectionPatchSchema(_Partial, ElectionInSchema):
    pass


class ContestPatchSchema(_Partial, ContestInSchema):
    pass


class AgendaPatchSchema(_Partial, AgendaInSchema):
    pass


class BoothPatchSchema(_Partial, BoothInSchema):
    pass


class PhaseInSchema(Schema):
    phase = fields.String(required=True, validate=validate.OneOf([p.value for p in Phase]))


class AgendaCsvQuerySchema(Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "Check every row and store nothing (a preview)."},
    )


class PbImportQuerySchema(Schema):
    code = code(metadata={"description": "The new contest's code (default: the next C<n>)."})
    rule = fields.String(
        validate=validate.OneOf([*ALLOCATION_RULES, *RANKED_RULES]),
        metadata={"description": "Counting rule (default: the file's META rule, else greedy)."},
    )


# --- output -------------------------------------------------------------------------------


class _TitledOutSchema(Schema):
    title_ko = fields.String()
    title_en = fields.String()
    description_ko = fields.String()
    description_en = fields.String()


class OrganisationOutSchema(Schema):
    name_ko = fields.String()
    name_en = fields.String()


class AgendaOutSchema(_TitledOutSchema):
    id = fields.Integer()
    contest_id = fields.Integer()
    code = fields.String()
    position = fields.Integer()
    cost = fields.Integer()
    organisations = fields.List(fields.Nested(OrganisationOutSchema))


class ContestOutSchema(_TitledOutSchema):
    id = fields.Integer()
    election_id = fields.Integer()
    code = fields.String()
    position = fields.Integer()
    budget = fields.Integer()
    ballot_type = fields.String()
    rule = fields.String()
    rule_options = fields.Dict()
    tie_break = fields.Method(
        "_tie_break",
        allow_none=True,
        metadata={
            "type": "object",
            "description": "How the count breaks ties, fixed before voting: method (the"
            " tie_break rule option, or the rule's default), seed (null: the count's seed,"
            " published with the results), and the rule in words (en, ko); null when the"
            " stored option is not valid.",
        },
    )
    exclusive_groups = fields.List(fields.List(fields.String()))
    min_selections = fields.Integer(allow_none=True)
    max_selections = fields.Integer(allow_none=True)
    knapsack_cap = fields.Boolean()
    points_total = fields.Integer(allow_none=True)
    max_points_per_agenda = fields.Integer(allow_none=True)
    max_ranks = fields.Integer(allow_none=True)
    shuffle_agendas = fields.Boolean()

    def _tie_break(self, contest: Contest) -> dict[str, Any] | None:
        try:
            method, seed = tie_break_of(contest.rule, contest.rule_options or {})
        except ValueError:  # saved before options were checked; such a contest cannot open
            return None
        return explain.tie_break(method, seed)


class ContestDetailOutSchema(ContestOutSchema):
    agendas = fields.List(fields.Nested(AgendaOutSchema))


class BoothOutSchema(Schema):
    id = fields.Integer()
    election_id = fields.Integer()
    code = fields.String()
    name_ko = fields.String()
    name_en = fields.String()
    place = fields.String()


class ElectionOutSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name_ko = fields.String()
    name_en = fields.String()
    description_ko = fields.String()
    description_en = fields.String()
    starts_at = fields.Method("_starts_at", metadata={"type": "string", "format": "date-time"})
    ends_at = fields.Method("_ends_at", metadata={"type": "string", "format": "date-time"})
    timezone = fields.String()
    currency = fields.String()
    phase = fields.String()
    is_demo = fields.Boolean()

    def _local(self, election: Election, moment: datetime) -> str:
        return local(moment, election.timezone or DEFAULT_TIMEZONE).isoformat()

    def _starts_at(self, election: Election) -> str:
        return self._local(election, election.starts_at)

    def _ends_at(self, election: Election) -> str:
        return self._local(election, election.ends_at)


class ElectionDetailOutSchema(ElectionOutSchema):
    contests = fields.List(fields.Nested(ContestDetailOutSchema))
    booths = fields.List(fields.Nested(BoothOutSchema))


class AgendaCsvRowOutSchema(Schema):
    line = fields.Integer(metadata={"description": "The row's line in the file."})
    code = fields.String()
    title_ko = fields.String()
    title_en = fields.String()
    cost = fields.Integer()
    organisations = fields.List(fields.String())


class AgendaCsvImportOutSchema(Schema):
    stored = fields.Boolean(metadata={"description": "False for a dry run."})
    agendas = fields.List(fields.Nested(AgendaCsvRowOutSchema))


class PbImportOutSchema(Schema):
    contest = fields.Nested(ContestDetailOutSchema)
    notes = fields.List(
        fields.String(), metadata={"description": "What was repaired in or left out of the file."}
    )
