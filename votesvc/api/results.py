"""Results: admins close, count and publish; anyone reads what was published.

Public reads serve the frozen bytes of a publication (see
:mod:`votesvc.services.publication`) with a strong ETag (the file's SHA-256) and
``Cache-Control: public, max-age=31536000, immutable``; a matching ``If-None-Match`` answers
304 with no body. Before publication every public read answers 404 ``results_not_published``.
Once a worker has served a published file, later requests for its path are answered in front
of Flask from that worker's memory (:mod:`votesvc.api.immutable`).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from marshmallow import Schema, fields

from votesvc.api.auth import BEARER_AUTH, guard_admin_request
from votesvc.api.immutable import Answer, ImmutableResponses
from votesvc.api.inputs import Blueprint
from votesvc.schemas.fields import StrictBoolean
from votesvc.services import publication, results
from votesvc.services.publication import Served

public = Blueprint(
    "results",
    __name__,
    url_prefix="/api/v1/elections/<int:election_id>/results",
    description="Published results and anonymised ballots; 404 until published.",
)

admin_blp = Blueprint(
    "results_admin",
    __name__,
    url_prefix="/api/v1/admin/elections/<int:election_id>",
    description="Closing, counting and publishing; admin API key required.",
)
admin_blp.before_request(guard_admin_request)
admin = admin_blp.doc(security=BEARER_AUTH)


class CountInSchema(Schema):
    force = StrictBoolean(
        load_default=False,
        metadata={"description": "Count before the kiosk grace period has ended."},
    )
    restart = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Set aside a queued or running count whose process is known to be "
            "gone, before its heartbeat goes stale; the new count starts at once."
        },
    )


class JobOutSchema(Schema):
    id = fields.Integer()
    election_id = fields.Integer()
    status = fields.String(metadata={"enum": ["queued", "running", "failed", "done"]})
    progress = fields.Float()
    error = fields.String(metadata={"description": "Why a failed count failed, and what to do."})
    error_code = fields.String(
        allow_none=True,
        metadata={
            "enum": ["count_rules_invalid", "count_failed", "count_abandoned"],
            "description": "A failed count's stable code; null otherwise.",
        },
    )
    forced = fields.Boolean()
    created_at = fields.String(metadata={"format": "date-time"})
    finished_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    owner = fields.String(metadata={"description": "host:pid:thread of the running count."})
    started_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    heartbeat_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    stale = fields.Boolean(
        metadata={"description": "Silent too long: taken for dead; a new count may start."}
    )
    result = fields.Dict(allow_none=True, metadata={"description": "Preliminary results."})


class PublicationOutSchema(Schema):
    election_id = fields.Integer()
    software_version = fields.String()
    seed = fields.String()
    digests = fields.Dict(keys=fields.String(), values=fields.String())


def _serve(file: Served) -> Response:
    """The file's bytes, or 304 with no body when the client holds this version already.

    The answer is remembered for this path, so the worker serves it without Flask from now
    on; only for the route's own spelling of the path, though: ``/elections/01/results``
    reaches the same view, and variants must not fill the worker's cache."""
    path = request.environ["PATH_INFO"]
    assert request.endpoint is not None  # a view is running
    own = url_for(request.endpoint, **(request.view_args or {})) == request.script_root + path
    answer = ImmutableResponses.of(current_app).remember(path, file) if own else Answer.of(file)
    status, headers, body = answer.respond(request.headers.get("If-None-Match"))
    return Response(body if status == 200 else None, status=status, headers=headers)


@public.route("", methods=["GET"])
@public.doc(responses={200: {"description": "The election's published results (JSON)."}})
def election_results(election_id: int) -> Response:
    """Every contest's funded agendas, support, rounds, ties and explanations; turnout."""
    return _serve(publication.published_file(election_id, publication.RESULTS))


@public.route("/contests/<int:contest_id>", methods=["GET"])
@public.doc(responses={200: {"description": "One contest's published results (JSON)."}})
def contest_results(election_id: int, contest_id: int) -> Response:
    return _serve(publication.contest_results(election_id, contest_id))


@public.route("/files/<name>", methods=["GET"])
@public.doc(responses={200: {"description": "A published file, as listed in its digests."}})
def published_file(election_id: int, name: str) -> Response:
    """``publication.json`` (the manifest ``votesvc verify`` reads), ``results.json`` and
    ``audit.json`` (the hash-chained log of admin actions)."""
    return _serve(publication.published_file(election_id, name))


@public.route("/files/contests/<int:contest_id>/<name>", methods=["GET"])
@public.doc(responses={200: {"description": "A contest's published file."}})
def published_contest_file(election_id: int, contest_id: int, name: str) -> Response:
    """``ballots.pb`` (pabulib, with the official ``selected`` column), ``ballots.csv``,
    ``ballots.rcv.json`` (ranked contests) and ``results.json``."""
    return _serve(publication.published_file(election_id, f"contests/{contest_id}/{name}"))


@admin_blp.route("/close", methods=["POST"])
@admin
@admin_blp.response(200)
def close(election_id: int) -> dict[str, Any]:
    """Close voting now: casting stops; kiosks may still sync until the grace period ends."""
    election = results.close_election(election_id)
    return {"id": election.id, "phase": election.phase, "ends_at": election.ends_at.isoformat()}


@admin_blp.route("/count", methods=["POST"])
@admin
@admin_blp.arguments(CountInSchema, required=False)
@admin_blp.response(202, JobOutSchema)
def start_count(data: dict[str, Any], election_id: int) -> dict[str, Any]:
    """Count every contest in the background; poll ``GET .../count`` for progress. A count
    still queued or running is refused (``count_in_progress``) unless its heartbeat is stale
    or ``restart`` is set; either way it is then marked failed and audited."""
    job = results.request_count(election_id, force=data["force"], restart=data["restart"])
    return results.job_view(job)


@admin_blp.route("/count", methods=["GET"])
@admin
@admin_blp.response(200, JobOutSchema)
def count_status(election_id: int) -> dict[str, Any]:
    """The latest count: status, progress, error, and the preliminary results once done."""
    return results.count_status(election_id)


@admin_blp.route("/publish", methods=["POST"])
@admin
@admin_blp.response(201, PublicationOutSchema)
def publish(election_id: int) -> dict[str, Any]:
    """Freeze the latest count into the publication; the election becomes published."""
    done = publication.publish(election_id)
    return {
        "election_id": done.election_id,
        "software_version": done.software_version,
        "seed": done.seed,
        "digests": done.digests,
    }
