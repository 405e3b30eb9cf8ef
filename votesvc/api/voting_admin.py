"""Admin endpoints of voting: token batches and sheets, voiding, participation, quarantine,
kiosk provisioning, the voter roll and mailed online tokens.

Every URL names its election, so the foundation's guard checks the key's scope on it; a batch
or booth of another election is 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from votesvc.api import downloads
from votesvc.api.auth import BEARER_AUTH, guard_admin_request
from votesvc.api.inputs import Blueprint, body_text
from votesvc.api.kiosks import sync_answer
from votesvc.models import QuarantinedBallot
from votesvc.schemas import voting as s
from votesvc.services import batches, kiosks, tokens, voters
from votesvc.services.errors import Invalid

blp = Blueprint(
    "voting_admin",
    __name__,
    url_prefix="/api/v1/admin/elections/<int:election_id>",
    description="Tokens, kiosks, the voter roll and participation; admin API key required.",
)
blp.before_request(guard_admin_request)
admin = blp.doc(security=BEARER_AUTH)


@blp.route("/token-batches", methods=["POST"])
@admin
@blp.arguments(s.BatchInSchema)
@blp.response(201, s.BatchOutSchema)
def issue_batch(data: dict[str, Any], election_id: int) -> dict[str, Any]:
    """Issue tokens for a booth (``booth_id``) or for online use; print them, then seal."""
    return batches.batch_view(batches.issue_batch(election_id, data))


@blp.route("/token-batches", methods=["GET"])
@admin
@blp.response(200, s.BatchOutSchema(many=True))
def list_batches(election_id: int) -> list[dict[str, Any]]:
    return batches.list_batches(election_id)


@blp.route("/token-batches/<int:batch_id>", methods=["GET"])
@admin
@blp.response(200, s.BatchOutSchema)
def get_batch(election_id: int, batch_id: int) -> dict[str, Any]:
    """A batch with its tokens counted by status."""
    return batches.batch_view(batches.get_batch(election_id, batch_id))


@blp.route("/token-batches/<int:batch_id>/sheets.pdf", methods=["GET"])
@admin
@blp.doc(
    responses={
        "200": {
            "description": "The PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
def batch_sheets(election_id: int, batch_id: int) -> Response:
    """The batch's printable sheets (8 tokens a page), for batches of up to 200 tokens
    (about 10 ms a token, rendered in the request). A larger batch is refused with 409
    ``batch_too_large_to_print``: print it with ``votesvc print-tokens BATCH OUT.pdf``."""
    return downloads.batch_sheets(election_id, batch_id)


@blp.route("/token-batches/<int:batch_id>/seal", methods=["POST"])
@admin
@blp.response(200, s.BatchOutSchema)
def seal_batch(election_id: int, batch_id: int) -> dict[str, Any]:
    """Forget the batch's seed once its sheets are printed: the tokens then exist only on paper."""
    return batches.batch_view(batches.seal_batch(election_id, batch_id))


@blp.route("/token-batches/<int:batch_id>/void", methods=["POST"])
@admin
@blp.response(200, s.VoidedSchema)
def void_batch(election_id: int, batch_id: int) -> dict[str, int]:
    """Cancel every token of the batch not yet spent (a lost or stolen pack of sheets)."""
    return {"voided": batches.void_batch(election_id, batch_id)}


@blp.route("/tokens/void", methods=["POST"])
@admin
@blp.arguments(s.VoidTokenInSchema)
@blp.response(200, s.VoidedSchema)
def void_token(data: dict[str, Any], election_id: int) -> dict[str, int]:
    """Cancel one token by the short code printed on its sheet."""
    tokens.void_token(election_id, data["code"])
    return {"voided": 1}


@blp.route("/participation", methods=["GET"])
@admin
@blp.response(200, s.ParticipationSchema(many=True))
def participation(election_id: int) -> list[dict[str, Any]]:
    """Tokens issued, spent, unused and void per channel: online and each booth."""
    return tokens.participation(election_id)


@blp.route("/quarantine", methods=["GET"])
@admin
@blp.arguments(s.QuarantineQuerySchema, location="query")
@blp.response(200, s.QuarantinedOutSchema(many=True))
def quarantine(query: dict[str, Any], election_id: int) -> list[QuarantinedBallot]:
    """Ballots kiosks synced that were refused, with the reason."""
    return kiosks.list_quarantine(election_id, query.get("booth_id"))


@blp.route("/booths/<int:booth_id>/kiosks", methods=["POST"])
@admin
@blp.arguments(s.KioskInSchema)
@blp.response(201, s.KioskOutSchema)
def provision_kiosk(data: dict[str, Any], election_id: int, booth_id: int) -> dict[str, Any]:
    """A kiosk for this booth: its credential (shown once) and the keys to check that booth's
    tokens offline."""
    return kiosks.provision_kiosk(election_id, booth_id, data.get("label", ""))


@blp.route("/booths/<int:booth_id>/kiosk-exports", methods=["POST"])
@admin
@blp.doc(
    requestBody={
        "required": True,
        "description": "A kiosk's exported queue file, as the kiosk wrote it (docs/kiosk.md).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
)
@blp.response(200, s.SyncOutSchema)
def upload_kiosk_export(election_id: int, booth_id: int) -> dict[str, Any]:
    """Settle the queue of a kiosk that never got online, through the same path as its sync
    (idempotent: uploading a file twice stores nothing twice); refused whole when edited,
    truncated or written by a kiosk of another booth."""
    results = kiosks.settle_export(election_id, booth_id, body_text(_invalid_export))
    return sync_answer(results)


def _invalid_export(reason: str) -> Invalid:
    return Invalid("kiosk_export_invalid", fields={"file": [reason[:1].upper() + reason[1:]]})


def _invalid_roll(reason: str) -> Invalid:
    return Invalid("voter_roll_invalid", fields={"file": [reason[:1].upper() + reason[1:]]})


@blp.route("/voter-roll", methods=["POST"])
@admin
@blp.doc(
    requestBody={
        "required": True,
        "description": "CSV with an 'identifier' column and optionally a 'factor' column.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
)
@blp.response(200, s.RollOutSchema)
def import_roll(election_id: int) -> dict[str, int]:
    """Add eligible voters for online voting; only keyed hashes are stored."""
    return voters.import_roll(election_id, body_text(_invalid_roll))


@blp.route("/online-tokens/mail", methods=["POST"])
@admin
@blp.arguments(s.MailInSchema)
@blp.response(201, s.MailOutSchema)
def mail_tokens(data: dict[str, Any], election_id: int) -> dict[str, Any]:
    """Mail one online token to each address (the addresses are not stored)."""
    return voters.mail_online_tokens(
        election_id, data["recipients"], test=data.get("test", False), label=data.get("label", "")
    )
