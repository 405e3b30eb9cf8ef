"""Elections: the list a key may see, creating one, importing one, its overview and editing.

Creating and importing are for unscoped keys only (as in the API). Every form is read by
:mod:`.forms` and checked by the API's own input schema, then handed to the one service
function of its use case.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug import Response

from votesvc.api import inputs
from votesvc.api.errors import message
from votesvc.i18n import N_
from votesvc.models import DEFAULT_TIMEZONE, Election
from votesvc.schemas.resources import ElectionInSchema, ElectionPatchSchema
from votesvc.services import elections as election_service
from votesvc.services import importing
from votesvc.services.errors import DomainError, Invalid
from votesvc.web.console import forms, guard, nav
from votesvc.web.console.blueprint import bp
from votesvc.web.console.forms import Field
from votesvc.web.locale import current_lang

PHASE_LABELS = {
    "draft": N_("Draft"),
    "voting": N_("Voting"),
    "closed": N_("Closed"),
    "published": N_("Published"),
}
"""What a phase is called on console pages (the API's values stay English words)."""

WINDOW = [
    Field("starts_at", N_("Voting starts"), "datetime", required=True),
    Field("ends_at", N_("Voting ends"), "datetime", required=True),
]
SETTINGS = [
    Field("slug", N_("Address name (lowercase letters, digits, -)"), required=True),
    Field("timezone", N_("Time zone")),
]
ELECTION_FIELDS = [*forms.wording("name"), *WINDOW, *SETTINGS]


def phase_label(phase: str) -> str:
    return gettext(PHASE_LABELS.get(phase, phase))


def editable_fields(election: Election) -> list[Field]:
    """A draft's every field; after, only the words (the service's own list)."""
    if election.phase == "draft":
        return ELECTION_FIELDS
    return [f for f in ELECTION_FIELDS if f.name in election_service.EDITABLE_WHEN_FROZEN]


@bp.get("/")
def elections() -> str:
    """Every election for an unscoped key, the key's own one for a scoped key."""
    found = election_service.list_elections(g.api_key.election_id)
    return render_template(
        "console/elections.html", elections=found, unscoped=g.api_key.election_id is None
    )


@bp.route("/elections/new", methods=["GET", "POST"])
def new_election() -> str | Response | tuple[str, int]:
    guard.require_unscoped()
    values: dict[str, Any] = {"timezone": DEFAULT_TIMEZONE}
    problems = None
    if request.method == "POST":
        values = forms.read(ELECTION_FIELDS, request.form)
        try:
            election = election_service.create_election(forms.load(ElectionInSchema(), values))
        except DomainError as error:
            problems = forms.problems(error, [f.name for f in ELECTION_FIELDS])
        else:
            return redirect(url_for(".overview", election_id=election.id), 303)
    html = render_template(
        "console/election_form.html", fields=ELECTION_FIELDS, values=values, problems=problems
    )
    return forms.answer(html, problems)


def _document(text: str) -> Any:
    """The pasted or uploaded document read by the API's own JSON reader (its depth limit,
    over-long integers, U+0000 and lone surrogates), its refusal shown at the document."""
    try:
        return inputs.loads(text.encode("utf-8", "surrogatepass"))
    except DomainError as error:
        found = dict(error.fields or {})  # "json": the reader's own reasons; else document paths
        malformed = [message("malformed_json", {}, current_lang())]
        reasons = found.pop("json", None) or found or malformed
        raise Invalid(fields={"document": reasons}) from error


ELECTION_FILE = Field("file", N_("Election file (.json)"), "file", accept=".json,application/json")
"""Its refusals (an unreadable upload as a pasted text) are shown at the pasted document."""


def _unreadable(reason: str) -> DomainError:
    return Invalid(fields={"document": [reason]})


@bp.route("/elections/import", methods=["GET", "POST"])
def import_election() -> str | Response | tuple[str, int]:
    """A whole election from the JSON document ``votesvc import`` reads, uploaded or pasted."""
    guard.require_unscoped()
    problems = None
    text = ""
    if request.method == "POST":
        try:
            text = forms.upload_text(request.files, request.form.get("document", ""), _unreadable)
            document = importing.parse_election_document(_document(text))
            election = importing.import_election(document)
        except DomainError as error:
            problems = forms.problems(error, ["document"])
        else:
            return redirect(url_for(".overview", election_id=election.id), 303)
    html = render_template(
        "console/election_import.html", problems=problems, text=text, file_field=ELECTION_FILE
    )
    return forms.answer(html, problems)


@nav.section(10, N_("Overview"))
@bp.get("/elections/<int:election_id>")
def overview(election_id: int) -> str:
    election = election_service.get_election(election_id)
    return render_template("console/overview.html", election=election)


@bp.route("/elections/<int:election_id>/edit", methods=["GET", "POST"])
def edit_election(election_id: int) -> str | Response | tuple[str, int]:
    election = election_service.get_election(election_id)
    fields = editable_fields(election)
    values = forms.current_values(election, fields, election.timezone)
    problems = None
    if request.method == "POST":
        values = forms.read(fields, request.form)
        try:
            election_service.update_election(election_id, forms.load(ElectionPatchSchema(), values))
        except DomainError as error:
            problems = forms.problems(error, [f.name for f in fields])
        else:
            return redirect(url_for(".overview", election_id=election_id), 303)
    html = render_template(
        "console/election_form.html",
        election=election,
        fields=fields,
        values=values,
        problems=problems,
    )
    return forms.answer(html, problems)
