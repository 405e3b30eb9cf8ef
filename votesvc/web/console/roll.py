"""The voter roll for online voting: a CSV uploaded (or pasted) and added through the roll
service of ``POST .../voter-roll``; a refused file shows every line's problem."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from votesvc import i18n
from votesvc.i18n import N_
from votesvc.services import elections as election_service
from votesvc.services import voters
from votesvc.services.errors import DomainError, Invalid
from votesvc.web.console import forms, nav
from votesvc.web.console.blueprint import bp
from votesvc.web.console.forms import Field
from votesvc.web.locale import current_lang

ROLL_FILE = Field("file", N_("CSV file"), "file", accept=".csv,text/csv")


def _invalid_roll(reason: str) -> Invalid:
    return Invalid("voter_roll_invalid", fields={"file": [reason]})


def line_problems(error: DomainError) -> list[tuple[int, list[str]]]:
    """A refused roll's problems per CSV line, in line order, in the reader's language."""
    translated = i18n.details(dict(error.fields or {}), current_lang())
    lines = translated.get("lines") or {}
    return sorted((int(line), list(texts)) for line, texts in lines.items())


@nav.section(70, N_("Voter roll"))
@bp.route("/elections/<int:election_id>/voter-roll", methods=["GET", "POST"])
def voter_roll(election_id: int) -> str | tuple[str, int]:
    election = election_service.get_election(election_id)
    shown: dict[str, Any] = {"added": None, "problems": None, "lines": []}
    if request.method == "POST":
        try:
            text = forms.upload_text(request.files, request.form.get("text", ""), _invalid_roll)
            shown["added"] = voters.import_roll(election_id, text)
        except DomainError as error:
            shown["problems"] = forms.problems(error, [ROLL_FILE.name, "lines"])
            shown["lines"] = line_problems(error)
    html = render_template(
        "console/voter_roll.html", election=election, file_field=ROLL_FILE, **shown
    )
    return forms.answer(html, shown["problems"])
