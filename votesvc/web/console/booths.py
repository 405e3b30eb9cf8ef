"""Booths: the list with a form to add one, editing (also while voting), deleting in a draft."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug import Response

from votesvc.i18n import N_
from votesvc.schemas.resources import BoothInSchema, BoothPatchSchema
from votesvc.services import booths as booth_service
from votesvc.services import elections as election_service
from votesvc.services.errors import DomainError
from votesvc.web.console import deleting, forms, nav
from votesvc.web.console.blueprint import bp
from votesvc.web.console.forms import Field

BOOTH_FIELDS = [
    Field("code", N_("Code"), required=True),
    Field("name_ko", N_("Name in Korean")),
    Field("name_en", N_("Name in English")),
    Field("place", N_("Place")),
]


def _to_booths(election_id: int) -> Response:
    return redirect(url_for(".booths", election_id=election_id), 303)


@nav.section(40, N_("Booths"))
@bp.route("/elections/<int:election_id>/booths", methods=["GET", "POST"])
def booths(election_id: int) -> str | Response | tuple[str, int]:
    """The booths, and the form that adds one (posted here)."""
    election = election_service.get_election(election_id)
    values: dict[str, Any] = {}
    problems = None
    if request.method == "POST":
        values = forms.read(BOOTH_FIELDS, request.form)
        try:
            booth_service.create_booth(election_id, forms.load(BoothInSchema(), values))
        except DomainError as error:
            problems = forms.problems(error, [f.name for f in BOOTH_FIELDS])
        else:
            return _to_booths(election_id)
    html = render_template(
        "console/booths.html",
        election=election,
        fields=BOOTH_FIELDS,
        values=values,
        problems=problems,
    )
    return forms.answer(html, problems)


@bp.route("/booths/<int:booth_id>/edit", methods=["GET", "POST"])
def edit_booth(booth_id: int) -> str | Response | tuple[str, int]:
    booth = booth_service.get_booth(booth_id)
    election = booth.election
    values = forms.current_values(booth, BOOTH_FIELDS, election.timezone)
    problems = None
    if request.method == "POST":
        values = forms.read(BOOTH_FIELDS, request.form)
        try:
            booth_service.update_booth(booth_id, forms.load(BoothPatchSchema(), values))
        except DomainError as error:
            problems = forms.problems(error, [f.name for f in BOOTH_FIELDS])
        else:
            return _to_booths(election.id)
    html = render_template(
        "console/row_form.html",
        election=election,
        heading=N_("Edit the booth"),
        fields=BOOTH_FIELDS,
        values=values,
        problems=problems,
        frozen=False,
        cancel=url_for(".booths", election_id=election.id),
    )
    return forms.answer(html, problems)


@bp.route("/booths/<int:booth_id>/delete", methods=["GET", "POST"])
def delete_booth(booth_id: int) -> str | Response:
    booth = booth_service.get_booth(booth_id)
    return deleting.ask_then_delete(
        booth.election,
        booth,
        N_("the booth"),
        N_("Its token batches and kiosks are deleted with it."),
        lambda: booth_service.delete_booth(booth_id),
        url_for(".booths", election_id=booth.election_id),
    )
