"""Kiosks of the booths: provisioning one (its code shown once, as text and as a QR code to
scan), uploading the queue file of a kiosk that never got online, and each booth's
quarantined ballots with the reasons they were refused.

The same services as ``POST .../booths/<b>/kiosks``, ``POST .../booths/<b>/kiosk-exports``
and ``GET .../quarantine``; an upload's outcome is counted as the API's answer counts it."""

from __future__ import annotations

from typing import Any

import segno
from flask import Response, render_template, request

from votesvc.api.errors import message
from votesvc.api.kiosks import sync_answer
from votesvc.i18n import N_
from votesvc.schemas.voting import KioskInSchema
from votesvc.services import booths as booth_service
from votesvc.services import elections as election_service
from votesvc.services import kiosks as kiosk_service
from votesvc.services.errors import DomainError, Invalid
from votesvc.web.console import forms, nav
from votesvc.web.console.blueprint import bp

OUTCOMES = ("accepted", "already_accepted", "test", "refused")
OUTCOME_LABELS = {
    "accepted": N_("Accepted"),
    "already_accepted": N_("Already accepted"),
    "test": N_("Test ballots"),
    "refused": N_("Quarantined"),
}


def _invalid_export(reason: str) -> Invalid:
    return Invalid("kiosk_export_invalid", fields={"file": [reason]})


def qr_data_uri(code: str) -> str:
    """The provisioning code as a PNG QR code, drawn here: the code is a secret, so it goes
    to no QR service, and a ``data:`` image needs no second request that could be cached."""
    return segno.make(code, error="m").png_data_uri(scale=5, border=4)


def _page(election_id: int, status: int = 200, **shown: Any) -> Response:
    election = election_service.get_election(election_id)
    quarantined: dict[int, list[Any]] = {booth.id: [] for booth in election.booths}
    for ballot in kiosk_service.list_quarantine(election_id):
        quarantined.setdefault(ballot.booth_id, []).append(ballot)
    html = render_template(
        "console/kiosks.html",
        election=election,
        quarantined=quarantined,
        reason=message,
        outcomes=OUTCOMES,
        outcome_labels=OUTCOME_LABELS,
        **{"provisioned": None, "uploaded": None, "problems": None, "problem_booth": None, **shown},
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # a provisioning code is shown once
    return response


@nav.section(60, N_("Kiosks"))
@bp.get("/elections/<int:election_id>/kiosks")
def kiosks(election_id: int) -> Response:
    return _page(election_id)


@bp.post("/booths/<int:booth_id>/kiosks")
def provision_kiosk(booth_id: int) -> Response:
    """A kiosk for the booth; its code is on this answer only (stored hashed)."""
    booth = booth_service.get_booth(booth_id)
    try:
        data = forms.load(KioskInSchema(), {"label": request.form.get("label", "")})
        kiosk = kiosk_service.provision_kiosk(booth.election_id, booth.id, data.get("label", ""))
    except DomainError as error:
        problems = forms.problems(error, ["label"])
        return _page(
            booth.election_id, forms.status(error), problems=problems, problem_booth=booth.id
        )
    provisioned = {**kiosk, "qr": qr_data_uri(kiosk["provisioning_code"]), "booth": booth}
    return _page(booth.election_id, 201, provisioned=provisioned)


@bp.post("/booths/<int:booth_id>/kiosk-exports")
def upload_kiosk_export(booth_id: int) -> Response:
    """A kiosk's exported queue settled as its sync would have been; a file refused whole
    says why, and nothing of it is stored."""
    booth = booth_service.get_booth(booth_id)
    try:
        text = forms.upload_text(request.files, request.form.get("text", ""), _invalid_export)
        if not text.strip():
            raise _invalid_export(N_("Choose the file the kiosk exported."))
        answer = sync_answer(kiosk_service.settle_export(booth.election_id, booth.id, text))
    except DomainError as error:
        problems = forms.problems(error, ["file"])
        return _page(
            booth.election_id, forms.status(error), problems=problems, problem_booth=booth.id
        )
    refused = [r for r in answer["results"] if r["status"] == "refused"]
    uploaded = {"booth": booth, "counts": answer["counts"], "refused": refused}
    return _page(booth.election_id, uploaded=uploaded)
