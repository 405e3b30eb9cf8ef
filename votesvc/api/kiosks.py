"""The kiosk sync endpoint, authenticated by the kiosk's own credential (not an admin key).

``Authorization: Bearer <kiosk credential>``; the kiosk must be provisioned for the booth in
the URL (403 ``kiosk_wrong_booth`` otherwise). Checked before the body is read.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import g, request

from votesvc.api.errors import message
from votesvc.api.inputs import Blueprint
from votesvc.schemas import voting as s
from votesvc.services import kiosks

blp = Blueprint(
    "kiosks",
    __name__,
    url_prefix="/api/v1/elections/<int:election_id>/booths/<int:booth_id>",
    description="Booth kiosks: sync ballots cast offline, check a code (kiosk credential).",
)
KIOSK_AUTH = [{"kioskAuth": []}]
SYNC_IN = s.SyncInSchema()
"""One instance for every sync: given a class, webargs builds a schema on each request."""
CHECK_IN = s.CodeCheckInSchema()


@blp.before_request
def _authenticate_kiosk() -> None:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    arguments = request.view_args or {}
    g.kiosk = kiosks.authenticate_kiosk(
        credential.strip() if scheme.lower() == "bearer" else None,
        arguments.get("election_id", 0),
        arguments.get("booth_id", 0),
    )


@blp.route("/sync", methods=["POST"])
@blp.doc(security=KIOSK_AUTH)
@blp.arguments(SYNC_IN)
@blp.response(200, s.SyncOutSchema)
def sync(data: dict[str, Any], election_id: int, booth_id: int) -> dict[str, Any]:
    """Settle ballots cast offline: each is accepted (receipt), already accepted (a retry),
    a test, or refused with a reason and kept in quarantine. Batches of up to 1 000."""
    return sync_answer(kiosks.sync(g.kiosk, data["ballots"]))


@blp.route("/check", methods=["POST"])
@blp.doc(security=KIOSK_AUTH)
@blp.arguments(CHECK_IN)
@blp.response(200, s.CodeCheckOutSchema)
def check(data: dict[str, Any], election_id: int, booth_id: int) -> dict[str, Any]:
    """Whether the sync would accept a ballot of this code now, without spending it: the
    staff panel's test-code dry run. The code is posted, never put in an address."""
    answer = kiosks.check_code(g.kiosk, data["token"])
    if answer["status"] == "refused":
        answer["message"] = message(answer["reason"])
    return answer


def sync_answer(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer to a sync or an uploaded export: each result, refusals with their message in
    the request's language, and the count of each status."""
    for result in results:
        if result["status"] == "refused":
            result["message"] = message(result["reason"])
    return {"results": results, "counts": dict(Counter(r["status"] for r in results))}
