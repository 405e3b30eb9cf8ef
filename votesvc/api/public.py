"""Public read-only endpoints: elections in the voting or published phase, no key needed."""

from __future__ import annotations

from votesvc.api.inputs import Blueprint
from votesvc.models import Election
from votesvc.schemas.resources import ElectionDetailOutSchema, ElectionOutSchema
from votesvc.services import elections

blp = Blueprint(
    "public",
    __name__,
    url_prefix="/api/v1",
    description="What anyone may read: elections open for voting or published.",
)


@blp.route("/elections", methods=["GET"])
@blp.response(200, ElectionOutSchema(many=True))
def list_elections() -> list[Election]:
    """Elections in the voting or published phase; drafts do not exist publicly."""
    return elections.list_public()


@blp.route("/elections/<int:election_id>", methods=["GET"])
@blp.response(200, ElectionDetailOutSchema)
def get_election(election_id: int) -> Election:
    """One public election with its contests, agendas and booths."""
    return elections.get_public(election_id)
