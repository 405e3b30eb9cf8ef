"""Files an official downloads, answered the same way by the admin API and the console."""

from __future__ import annotations

from flask import Response

from votesvc.services import batches


def batch_sheets(election_id: int, batch_id: int) -> Response:
    """A batch's printable sheets as an attachment that no cache keeps (they hold live
    codes); a sealed or too large batch is the service's refusal."""
    batch = batches.get_batch(election_id, batch_id)
    pdf = batches.batch_sheets(batch, most=batches.HTTP_SHEETS_MAX)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="batch-{batch.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
