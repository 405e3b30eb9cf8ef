"""Voters' endpoints: cast a ballot, claim an online token, check a receipt.

Code entry and casting are rate limited per client address (``VOTESVC_CODE_LIMIT``,
``VOTESVC_CAST_LIMIT``); together with 80-bit token ids this makes guessing hopeless.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app

from votesvc.api.inputs import Blueprint
from votesvc.extensions import limiter
from votesvc.schemas import voting as s
from votesvc.services import casting, voters

blp = Blueprint(
    "ballots",
    __name__,
    url_prefix="/api/v1/elections/<int:election_id>",
    description="Voting: casting ballots with a one-time token, online tokens, receipts.",
)


CAST_IN = s.CastInSchema()
"""One instance for every cast: given a class, webargs builds a schema on each request."""


def _cast_limit() -> str:
    return current_app.config["VOTESVC_CAST_LIMIT"]


def _code_limit() -> str:
    return current_app.config["VOTESVC_CODE_LIMIT"]


@blp.route("/ballots", methods=["POST"])
@limiter.limit(_cast_limit)
@blp.arguments(CAST_IN)
@blp.response(201, s.CastOutSchema)
@blp.alt_response(200, schema=s.CastOutSchema, description="A test token's dry run.")
def cast_ballot(data: dict[str, Any], election_id: int) -> tuple[dict[str, Any], int]:
    """Cast one selection per contest with an online token; the answer carries a receipt code.

    Every problem with the selections is listed in ``fields.selections`` at once. A used token
    is ``token_already_used`` and nothing else. A test token is checked the whole way and
    answers 200 with ``test: true``; nothing is stored.
    """
    result = casting.cast(election_id, data["token"], data["selections"], data.get("cast_id"))
    body = {"receipt": result.receipt, "test": result.test, "contests": list(result.contests)}
    return body, 200 if result.test else 201


@blp.route("/online-tokens/claim", methods=["POST"])
@limiter.limit(_code_limit)
@blp.arguments(s.ClaimInSchema)
@blp.response(201, s.ClaimOutSchema)
def claim_token(data: dict[str, Any], election_id: int) -> dict[str, str]:
    """Prove eligibility (identifier and second factor) and receive an online token, once."""
    issued = voters.claim_online_token(election_id, data["identifier"], data["factor"])
    return {"token": issued.signed, "short_code": issued.short_code}


@blp.route("/receipt-check", methods=["POST"])
@limiter.limit(_code_limit)
@blp.arguments(s.ReceiptCheckInSchema)
@blp.response(200, s.ReceiptOutSchema)
def check_receipt(data: dict[str, Any], election_id: int) -> dict[str, Any]:
    """Whether ballots were recorded with this receipt code, in which contests (not how).

    The code travels in the body: a URL's path and query are written to every access log
    (gunicorn's, any proxy's) beside the voter's address."""
    return casting.check_receipt(election_id, data["receipt"])


@blp.route("/receipts/<code>", methods=["GET"])
@blp.alt_response(410, description="Retired: use POST .../receipt-check.")
@blp.doc(deprecated=True)
def retired_receipt_check(election_id: int, code: str) -> None:
    """Retired (it put the receipt code in the URL): answers 410 ``gone`` and reads nothing;
    use ``POST /api/v1/elections/<id>/receipt-check`` with ``{"receipt": ...}``."""
    abort(410)
