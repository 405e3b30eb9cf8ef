"""Admin endpoints: elections, contests, agendas and booths; phases; imports.

A blueprint hook authenticates and checks the key's election scope first (see ``auth``);
each view then calls one service and serialises; rules and transactions are the services'.
"""

from __future__ import annotations

from typing import Any

from flask import g

from votesvc.api.auth import BEARER_AUTH, guard_admin_request
from votesvc.api.inputs import Blueprint, body_text
from votesvc.models import Agenda, Booth, Contest, Election, Phase
from votesvc.schemas import resources as s
from votesvc.schemas.documents import ElectionDocumentSchema
from votesvc.services import agendas, booths, contests, elections, importing
from votesvc.services.errors import Invalid

blp = Blueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Administration; every operation needs an admin API key.",
)
blp.before_request(guard_admin_request)
admin = blp.doc(security=BEARER_AUTH)


def _invalid_pb(reason: str) -> Invalid:
    return Invalid("invalid_pb_file", reason=reason)


def _invalid_csv(reason: str) -> Invalid:
    return Invalid("invalid_agenda_csv", fields={"file": [reason]})


# --- elections ----------------------------------------------------------------------------


@blp.route("/elections", methods=["GET"])
@admin
@blp.response(200, s.ElectionOutSchema(many=True))
def list_elections() -> list[Election]:
    """List the elections this key may act on."""
    return elections.list_elections(g.api_key.election_id)


@blp.route("/elections", methods=["POST"])
@admin
@blp.arguments(s.ElectionInSchema)
@blp.response(201, s.ElectionDetailOutSchema)
def create_election(data: dict[str, Any]) -> Election:
    """Create an election in the draft phase (unscoped keys only)."""
    return elections.create_election(data)


@blp.route("/elections/import", methods=["POST"])
@admin
@blp.arguments(ElectionDocumentSchema)
@blp.response(201, s.ElectionDetailOutSchema)
def import_election(document: dict[str, Any]) -> Election:
    """Create a whole election (contests, agendas, booths) from one document, or nothing."""
    return importing.import_election(document)


@blp.route("/elections/<int:election_id>", methods=["GET"])
@admin
@blp.response(200, s.ElectionDetailOutSchema)
def get_election(election_id: int) -> Election:
    return elections.get_election(election_id)


@blp.route("/elections/<int:election_id>", methods=["PATCH"])
@admin
@blp.arguments(s.ElectionPatchSchema)
@blp.response(200, s.ElectionDetailOutSchema)
def update_election(data: dict[str, Any], election_id: int) -> Election:
    """Edit an election; once voting starts only its names and descriptions may change."""
    return elections.update_election(election_id, data)


@blp.route("/elections/<int:election_id>/phase", methods=["POST"])
@admin
@blp.arguments(s.PhaseInSchema)
@blp.response(200, s.ElectionOutSchema)
def change_phase(data: dict[str, Any], election_id: int) -> Election:
    """Move the election one phase forward: draft → voting → closed. ``published`` is refused
    with 409 ``publish_required``: ``POST .../publish`` publishes, storing the results."""
    return elections.transition(election_id, Phase(data["phase"]))


# --- contests and agendas -------------------------------------------------------------------


@blp.route("/elections/<int:election_id>/contests", methods=["GET"])
@admin
@blp.response(200, s.ContestOutSchema(many=True))
def list_contests(election_id: int) -> list[Contest]:
    return contests.list_contests(election_id)


@blp.route("/elections/<int:election_id>/contests", methods=["POST"])
@admin
@blp.arguments(s.ContestInSchema)
@blp.response(201, s.ContestDetailOutSchema)
def create_contest(data: dict[str, Any], election_id: int) -> Contest:
    return contests.create_contest(election_id, data)


@blp.route("/elections/<int:election_id>/contests/import-pb", methods=["POST"])
@admin
@blp.arguments(s.PbImportQuerySchema, location="query")
@blp.doc(
    requestBody={
        "required": True,
        "description": "A pabulib .pb file (UTF-8).",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
)
@blp.response(201, s.PbImportOutSchema)
def import_pb_contest(query: dict[str, Any], election_id: int) -> dict[str, Any]:
    """Add a contest (agendas, budget, ballot type, limits) from a pabulib file's text."""
    contest, notes = importing.import_pb_contest(
        election_id, body_text(_invalid_pb), query.get("code"), query.get("rule")
    )
    return {"contest": contest, "notes": notes}


@blp.route("/contests/<int:contest_id>", methods=["GET"])
@admin
@blp.response(200, s.ContestDetailOutSchema)
def get_contest(contest_id: int) -> Contest:
    return contests.get_contest(contest_id)


@blp.route("/contests/<int:contest_id>", methods=["PATCH"])
@admin
@blp.arguments(s.ContestPatchSchema)
@blp.response(200, s.ContestDetailOutSchema)
def update_contest(data: dict[str, Any], contest_id: int) -> Contest:
    return contests.update_contest(contest_id, data)


@blp.route("/contests/<int:contest_id>", methods=["DELETE"])
@admin
@blp.response(204)
def delete_contest(contest_id: int) -> None:
    """Delete a contest and its agendas while the election is a draft; once voting has
    started, 409 ``election_frozen``."""
    contests.delete_contest(contest_id)


@blp.route("/contests/<int:contest_id>/agendas", methods=["GET"])
@admin
@blp.response(200, s.AgendaOutSchema(many=True))
def list_agendas(contest_id: int) -> list[Agenda]:
    return agendas.list_agendas(contest_id)


@blp.route("/contests/<int:contest_id>/agendas", methods=["POST"])
@admin
@blp.arguments(s.AgendaInSchema)
@blp.response(201, s.AgendaOutSchema)
def create_agenda(data: dict[str, Any], contest_id: int) -> Agenda:
    return agendas.create_agenda(contest_id, data)


@blp.route("/contests/<int:contest_id>/agendas/import-csv", methods=["POST"])
@admin
@blp.arguments(s.AgendaCsvQuerySchema, location="query")
@blp.doc(
    requestBody={
        "required": True,
        "description": "A CSV file (UTF-8) whose first line names its columns: code, "
        "title_ko, title_en, description_ko, description_en, cost (required), organisations "
        "(Korean names separated by ';').",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
)
@blp.response(201, s.AgendaCsvImportOutSchema)
@blp.alt_response(200, schema=s.AgendaCsvImportOutSchema, description="A dry run: nothing stored.")
def import_agenda_csv(query: dict[str, Any], contest_id: int) -> tuple[dict[str, Any], int]:
    """Add a draft contest's agendas from a CSV file: every row or none. A refused file is
    422 ``invalid_agenda_csv`` with each problem under ``line <n>`` (or ``header``, ``rows``,
    ``file``); a contest whose election is no longer a draft is 409 ``election_frozen``."""
    dry_run = query["dry_run"]
    built = importing.import_agenda_csv(contest_id, body_text(_invalid_csv), dry_run=dry_run)
    return {"stored": not dry_run, "agendas": built}, 200 if dry_run else 201


@blp.route("/agendas/<int:agenda_id>", methods=["GET"])
@admin
@blp.response(200, s.AgendaOutSchema)
def get_agenda(agenda_id: int) -> Agenda:
    return agendas.get_agenda(agenda_id)


@blp.route("/agendas/<int:agenda_id>", methods=["PATCH"])
@admin
@blp.arguments(s.AgendaPatchSchema)
@blp.response(200, s.AgendaOutSchema)
def update_agenda(data: dict[str, Any], agenda_id: int) -> Agenda:
    return agendas.update_agenda(agenda_id, data)


@blp.route("/agendas/<int:agenda_id>", methods=["DELETE"])
@admin
@blp.response(204)
def delete_agenda(agenda_id: int) -> None:
    """Delete an agenda while the election is a draft; once voting has started, 409
    ``election_frozen``."""
    agendas.delete_agenda(agenda_id)


# --- booths ---------------------------------------------------------------------------------


@blp.route("/elections/<int:election_id>/booths", methods=["GET"])
@admin
@blp.response(200, s.BoothOutSchema(many=True))
def list_booths(election_id: int) -> list[Booth]:
    return booths.list_booths(election_id)


@blp.route("/elections/<int:election_id>/booths", methods=["POST"])
@admin
@blp.arguments(s.BoothInSchema)
@blp.response(201, s.BoothOutSchema)
def create_booth(data: dict[str, Any], election_id: int) -> Booth:
    return booths.create_booth(election_id, data)


@blp.route("/booths/<int:booth_id>", methods=["GET"])
@admin
@blp.response(200, s.BoothOutSchema)
def get_booth(booth_id: int) -> Booth:
    return booths.get_booth(booth_id)


@blp.route("/booths/<int:booth_id>", methods=["PATCH"])
@admin
@blp.arguments(s.BoothPatchSchema)
@blp.response(200, s.BoothOutSchema)
def update_booth(data: dict[str, Any], booth_id: int) -> Booth:
    return booths.update_booth(booth_id, data)


@blp.route("/booths/<int:booth_id>", methods=["DELETE"])
@admin
@blp.response(204)
def delete_booth(booth_id: int) -> None:
    """Delete a booth (its batches and kiosks with it) while the election is a draft; once
    voting has started, 409 ``election_frozen``."""
    booths.delete_booth(booth_id)
