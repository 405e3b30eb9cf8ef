"""Token batches: issuing (online or for a booth, test, restricted to some contests), the
list, the printable sheets, sealing, voiding a batch or one token by its short code.

Each action is the service the admin API's ``/token-batches`` and ``/tokens/void`` call."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from werkzeug import Response as Redirect

from votesvc.api import downloads
from votesvc.i18n import N_
from votesvc.schemas.voting import BatchInSchema, VoidTokenInSchema
from votesvc.services import batches
from votesvc.services import elections as election_service
from votesvc.services import tokens as token_service
from votesvc.services.errors import DomainError
from votesvc.web.console import forms, nav
from votesvc.web.console.blueprint import bp
from votesvc.web.console.forms import Field

BATCH_FIELDS = [
    Field("size", N_("Number of tokens"), "number", required=True),
    Field("label", N_("Label")),
]


def _batch_values(form: Any) -> dict[str, Any]:
    """The issue form as :class:`BatchInSchema` takes it: the booth's id or online, the test
    flag, the chosen contests (none chosen: every contest)."""
    values = forms.read(BATCH_FIELDS, form)
    booth = form.get("booth_id", "").strip()
    # empty is online; anything else is a booth id, or the schema's refusal at booth_id
    values["booth_id"] = forms.whole_number(booth) if booth else None
    values["test"] = form.get("test") == "1"
    contests = form.getlist("contests")
    if contests:
        values["contests"] = contests
    return values


def _page(election_id: int, **shown: Any) -> str | tuple[str, int]:
    election = election_service.get_election(election_id)
    html = render_template(
        "console/tokens.html",
        election=election,
        batches=batches.list_batches(election_id),
        fields=BATCH_FIELDS,
        booth_names={booth.id: booth for booth in election.booths},
        # a restricted batch lists contest codes; the page names them by their titles
        contest_names={contest.code: contest for contest in election.contests},
        **{"values": {}, "problems": None, "notice": None, **VOID_DEFAULTS, **shown},
    )
    return forms.answer(html, shown.get("problems") or shown.get("void_problems"))


def _to_tokens(election_id: int, notice: str | None = None) -> Redirect:
    return redirect(url_for(".tokens", election_id=election_id, done=notice), 303)


VOID_DEFAULTS: dict[str, Any] = {"void_values": {}, "void_problems": None}

NOTICES = {
    "issued": N_("The batch was issued. Download its sheets, print them, then seal it."),
    "sealed": N_("The batch is sealed: its tokens now exist only on the printed sheets."),
    "voided": N_("The tokens were cancelled."),
}
"""What a redirect after an action says at the top of the page (``?done=``)."""


@nav.section(50, N_("Tokens"))
@bp.route("/elections/<int:election_id>/tokens", methods=["GET", "POST"])
def tokens(election_id: int) -> str | tuple[str, int] | Redirect:
    """The batches and the form that issues one (posted here)."""
    if request.method == "POST":
        values = _batch_values(request.form)
        try:
            batches.issue_batch(election_id, forms.load(BatchInSchema(), values))
        except DomainError as error:
            shown = [f.name for f in BATCH_FIELDS] + ["booth_id", "contests"]
            return _page(election_id, values=values, problems=forms.problems(error, shown))
        return _to_tokens(election_id, "issued")
    return _page(election_id, notice=NOTICES.get(request.args.get("done", "")))


@bp.get("/elections/<int:election_id>/token-batches/<int:batch_id>/sheets.pdf")
def batch_sheets(election_id: int, batch_id: int) -> Response:
    """The sheets as the API serves them; a sealed or too large batch is a refusal page."""
    return downloads.batch_sheets(election_id, batch_id)


@bp.post("/elections/<int:election_id>/token-batches/<int:batch_id>/seal")
def seal_batch(election_id: int, batch_id: int) -> Redirect:
    batches.seal_batch(election_id, batch_id)
    return _to_tokens(election_id, "sealed")


@bp.route("/elections/<int:election_id>/token-batches/<int:batch_id>/void", methods=["GET", "POST"])
def void_batch(election_id: int, batch_id: int) -> str | Redirect:
    """Cancelling a whole batch asks first, on a page of its own."""
    batch = batches.get_batch(election_id, batch_id)
    if request.method == "POST":
        batches.void_batch(election_id, batch_id)
        return _to_tokens(election_id, "voided")
    return render_template(
        "console/confirm_void.html",
        election=election_service.get_election(election_id),
        batch=batches.batch_view(batch),
    )


@bp.post("/elections/<int:election_id>/tokens/void")
def void_token(election_id: int) -> str | tuple[str, int] | Redirect:
    """One token cancelled by the short code printed on its sheet."""
    values = {"code": request.form.get("code", "").strip()}
    try:
        token_service.void_token(election_id, forms.load(VoidTokenInSchema(), values)["code"])
    except DomainError as error:
        return _page(election_id, void_values=values, void_problems=forms.problems(error, ["code"]))
    return _to_tokens(election_id, "voided")
