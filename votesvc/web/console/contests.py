"""Contests and agendas: the list, adding and editing, imports, deleting in a draft.

Once voting has started only the words stay editable (titles and descriptions, in both
languages: :data:`votesvc.services.contests.WORDING`), and the forms show only those. A
``.pb`` file adds a contest (:func:`~votesvc.services.importing.import_pb_contest`); a CSV
file adds a contest's agendas after a preview that stores nothing
(:func:`~votesvc.services.importing.import_agenda_csv` with ``dry_run``), the official
confirming with the same file's text. Deleting asks first on a page of its own, so it needs
no script.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug import Response

from votesvc.i18n import N_
from votesvc.models import Agenda, Contest, Election
from votesvc.schemas.resources import (
    AgendaInSchema,
    AgendaPatchSchema,
    ContestInSchema,
    ContestPatchSchema,
)
from votesvc.services import agendas as agenda_service
from votesvc.services import contests as contest_service
from votesvc.services import elections as election_service
from votesvc.services import importing
from votesvc.services.errors import DomainError, Invalid
from votesvc.tally.catalog import ALLOCATION_RULES, RANKED_RULES
from votesvc.tally.model import BallotType
from votesvc.web.console import deleting, forms, nav
from votesvc.web.console.blueprint import bp
from votesvc.web.console.forms import Field

CONTEST_FIELDS = [
    Field("code", N_("Code")),
    *forms.wording("title"),
    Field("ballot_type", N_("Ballot type"), "select", True, tuple(t.value for t in BallotType)),
    Field("rule", N_("Counting rule"), "select", True, (*ALLOCATION_RULES, *RANKED_RULES)),
    Field("budget", N_("Budget"), "number", required=True),
    Field("min_selections", N_("Fewest agendas a ballot marks"), "number"),
    Field("max_selections", N_("Most agendas a ballot marks"), "number"),
    Field("points_total", N_("Points to share out"), "number"),
    Field("max_points_per_agenda", N_("Most points to one agenda"), "number"),
    Field("max_ranks", N_("Most ranks"), "number"),
    Field(
        "rule_options", N_('Rule options (JSON, e.g. {"tie_break": "file"})'), "json", empty="{}"
    ),
    Field(
        "exclusive_groups", N_('Exclusive groups (JSON, e.g. [["A1", "A2"]])'), "json", empty="[]"
    ),
]
AGENDA_FIELDS = [
    Field("code", N_("Code")),
    *forms.wording("title"),
    Field("cost", N_("Cost"), "number", required=True),
    Field(
        "organisations",
        N_("Proposing organisations (Korean names, lead first, separated by ;)"),
        "names",
    ),
]

CSV_FILE = Field(
    "file",
    N_("CSV file"),
    "file",
    required=True,
    accept=".csv,text/csv",
    hint=N_(
        "The first line names the columns, in any order: code, title_ko, title_en,"
        " description_ko, description_en, cost (required) and organisations (Korean names"
        " separated by ;). The file must be UTF-8."
    ),
)
PB_FILE = Field("file", N_(".pb file"), "file", required=True, accept=".pb,text/plain")


def _editable(fields: list[Field], election: Election) -> list[Field]:
    if election.phase == "draft":
        return fields
    return [f for f in fields if f.name in contest_service.WORDING]


def _to_contests(election_id: int) -> Response:
    return redirect(url_for(".contests", election_id=election_id), 303)


@nav.section(20, N_("Contests and agendas"))
@bp.get("/elections/<int:election_id>/contests")
def contests(election_id: int) -> str:
    election = election_service.get_election_outline(election_id)
    return render_template("console/contests.html", election=election)


def _edit(
    row: Contest | Agenda,
    election: Election,
    fields: list[Field],
    update: Any,
    schema: Any,
    heading: str,
) -> str | Response | tuple[str, int]:
    """The edit form of a contest or an agenda: shown, or posted and saved."""
    shown = _editable(fields, election)
    values = forms.current_values(row, shown, election.timezone)
    problems = None
    if request.method == "POST":
        values = forms.read(shown, request.form)
        try:
            update(row.id, forms.load(schema, values))
        except DomainError as error:
            problems = forms.problems(error, [f.name for f in shown])
        else:
            return _to_contests(election.id)
    html = render_template(
        "console/row_form.html",
        election=election,
        heading=heading,
        fields=shown,
        values=values,
        problems=problems,
        frozen=election.phase != "draft",
        cancel=url_for(".contests", election_id=election.id),
    )
    return forms.answer(html, problems)


@bp.route("/contests/<int:contest_id>/edit", methods=["GET", "POST"])
def edit_contest(contest_id: int) -> str | Response | tuple[str, int]:
    contest = contest_service.get_contest(contest_id)
    return _edit(
        contest,
        contest.election,
        CONTEST_FIELDS,
        contest_service.update_contest,
        ContestPatchSchema(),
        N_("Edit the contest"),
    )


@bp.route("/elections/<int:election_id>/contests/new", methods=["GET", "POST"])
def new_contest(election_id: int) -> str | Response | tuple[str, int]:
    """A contest from the form, as the API's create takes it (rule options and exclusive
    groups come with an election document or the API)."""
    election = election_service.get_election(election_id)
    values: dict[str, Any] = {}
    problems = None
    if request.method == "POST":
        values = forms.read(CONTEST_FIELDS, request.form)
        try:
            contest_service.create_contest(election_id, forms.load(ContestInSchema(), values))
        except DomainError as error:
            problems = forms.problems(error, [f.name for f in CONTEST_FIELDS])
        else:
            return _to_contests(election_id)
    html = render_template(
        "console/row_form.html",
        election=election,
        heading=N_("Add a contest"),
        fields=CONTEST_FIELDS,
        values=values,
        problems=problems,
        frozen=False,
        cancel=url_for(".contests", election_id=election_id),
    )
    return forms.answer(html, problems)


@bp.route("/agendas/<int:agenda_id>/edit", methods=["GET", "POST"])
def edit_agenda(agenda_id: int) -> str | Response | tuple[str, int]:
    agenda = agenda_service.get_agenda(agenda_id)
    return _edit(
        agenda,
        agenda.contest.election,
        AGENDA_FIELDS,
        agenda_service.update_agenda,
        AgendaPatchSchema(),
        N_("Edit the agenda"),
    )


@bp.route("/contests/<int:contest_id>/agendas/new", methods=["GET", "POST"])
def new_agenda(contest_id: int) -> str | Response | tuple[str, int]:
    contest = contest_service.get_contest(contest_id)
    values: dict[str, Any] = {}
    problems = None
    if request.method == "POST":
        values = forms.read(AGENDA_FIELDS, request.form)
        try:
            agenda_service.create_agenda(contest_id, forms.load(AgendaInSchema(), values))
        except DomainError as error:
            problems = forms.problems(error, [f.name for f in AGENDA_FIELDS])
        else:
            return _to_contests(contest.election_id)
    html = render_template(
        "console/row_form.html",
        election=contest.election,
        heading=N_("Add an agenda"),
        fields=AGENDA_FIELDS,
        values=values,
        problems=problems,
        frozen=False,
        cancel=url_for(".contests", election_id=contest.election_id),
    )
    return forms.answer(html, problems)


def _pb_refusal(reason: str) -> DomainError:
    """The reason fills a placeholder of the code's message, so it is translated here."""
    return Invalid("invalid_pb_file", reason=gettext(reason))


def _csv_refusal(reason: str) -> DomainError:
    return Invalid("invalid_agenda_csv", fields={"file": [reason]})


@bp.route("/elections/<int:election_id>/contests/import-pb", methods=["GET", "POST"])
def import_pb(election_id: int) -> str | Response | tuple[str, int]:
    election = election_service.get_election(election_id)
    problems = None
    if request.method == "POST":
        try:
            text = forms.upload_text(request.files, "", _pb_refusal)
            importing.import_pb_contest(election_id, text)
        except DomainError as error:
            problems = forms.problems(error)
        else:
            return _to_contests(election_id)
    html = render_template(
        "console/import_pb.html", election=election, problems=problems, file_field=PB_FILE
    )
    return forms.answer(html, problems)


@bp.route("/contests/<int:contest_id>/agendas/import-csv", methods=["GET", "POST"])
def import_csv(contest_id: int) -> str | Response | tuple[str, int]:
    """Upload: a preview of every row, nothing stored. Confirm: the same text, stored."""
    contest = contest_service.get_contest(contest_id)
    problems = None
    rows: list[tuple[int, dict[str, str]]] = []
    built: list[dict[str, Any]] = []
    text = ""
    if request.method == "POST":
        confirm = request.form.get("confirm") == "1"
        try:
            text = request.form.get("text", "")
            if not confirm:
                text = forms.upload_text(request.files, text, _csv_refusal)
            rows = importing.read_agenda_csv(text)
            built = importing.import_agenda_csv(contest_id, text, dry_run=not confirm)
        except DomainError as error:
            problems = forms.problems(error, [CSV_FILE.name])
        else:
            if confirm:
                return _to_contests(contest.election_id)
    html = render_template(
        "console/import_csv.html",
        election=contest.election,
        contest=contest,
        problems=problems,
        file_field=CSV_FILE,
        rows=rows,
        built=built,
        text=text,
        columns=importing.AGENDA_CSV_COLUMNS,
        line_problems=_by_line(problems),
    )
    return forms.answer(html, problems)


def _by_line(found: forms.Problems | None) -> dict[int, list[str]]:
    """A refused CSV's messages by line number (``line 4: cost: ...``)."""
    lines: dict[int, list[str]] = {}
    for key, texts in found.unshown.items() if found else ():
        head, _, number = key.partition(" ")
        if head == "line" and number.isascii() and number.isdigit():
            lines.setdefault(int(number), []).extend(texts)
    return lines


# --- deleting in a draft: a page that asks, then the post --------------------------------


@bp.route("/contests/<int:contest_id>/delete", methods=["GET", "POST"])
def delete_contest(contest_id: int) -> str | Response:
    contest = contest_service.get_contest(contest_id)
    return deleting.ask_then_delete(
        contest.election,
        contest,
        N_("the contest"),
        N_("Its agendas are deleted with it."),
        lambda: contest_service.delete_contest(contest_id),
        url_for(".contests", election_id=contest.election_id),
    )


@bp.route("/agendas/<int:agenda_id>/delete", methods=["GET", "POST"])
def delete_agenda(agenda_id: int) -> str | Response:
    agenda = agenda_service.get_agenda(agenda_id)
    return deleting.ask_then_delete(
        agenda.contest.election,
        agenda,
        N_("the agenda"),
        None,
        lambda: agenda_service.delete_agenda(agenda_id),
        url_for(".contests", election_id=agenda.contest.election_id),
    )
