"""The voter's pages: the election, the voting code, one step per contest, review, receipt.

Each handler reads the form, calls the same service function the API calls
(:func:`~votesvc.services.admission.admit_code`, :func:`~votesvc.services.casting.cast`,
:func:`~votesvc.services.casting.check_receipt`,
:func:`~votesvc.services.voters.claim_online_token`) and renders. The ballot in progress lives
in the signed session cookie (``vote``): the code, the contests it allows and what was marked so
far, so every step is a plain form that works without JavaScript and the back button or a
reload loses nothing. Codes never travel in a URL: a link carries the code after ``#`` (which
browsers never send) and ``static/js/code.js`` moves it into the form, which is posted. The
cast carries a ``cast_id`` made when the review is shown, so a repeated submit (a double tap, a
lost answer) gets the first receipt back instead of "already used".
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug import Response

from votesvc.extensions import limiter
from votesvc.models import Contest, Election
from votesvc.services import casting, elections, voters
from votesvc.services.admission import admit_code
from votesvc.services.errors import DomainError, Forbidden, Invalid
from votesvc.web import ballots, security
from votesvc.web.refusals import refusal_text

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static")

VOTE = "vote"
RECEIPT = "receipt"
RECEIPT_SECONDS = 15 * 60
"""How long the receipt page shows a receipt in this browser (reloads, a slow copy by hand);
after that, or "Done", the next person on a shared phone finds nothing."""

INLINE_CODE_ERRORS = frozenset(
    {"token_malformed", "short_code_malformed", "short_code_typo", "token_bad_signature"}
)
"""Refusals the voter fixes by retyping; every other refusal gets a page of its own."""


@bp.before_request
def _protect_forms() -> None:
    """Every page form post carries the session's CSRF token."""
    if request.method == "POST":
        security.check_csrf()


def _code_limit() -> str:
    return current_app.config["VOTESVC_CODE_LIMIT"]


def _cast_limit() -> str:
    return current_app.config["VOTESVC_CAST_LIMIT"]


@bp.get("/")
def home() -> str:
    return render_template("home.html", elections=elections.list_public())


@bp.get("/elections/<int:election_id>")
def election_page(election_id: int) -> str:
    election = elections.get_public(election_id)
    return render_template("election.html", election=election, ballots=ballots)


@bp.get("/e/<int:election_id>")
def short_address(election_id: int) -> Response:
    """The address printed in words on a sheet: short enough to type."""
    return redirect(url_for(".code_entry", election_id=election_id))


@bp.route("/elections/<int:election_id>/vote", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
def code_entry(election_id: int) -> str | Response | tuple[str, int]:
    election = elections.get_public(election_id)
    if request.method == "GET":
        return render_template("code.html", election=election, error=None)
    code = request.form.get("code", "").strip()
    if not code:
        return _code_form(election, _("Enter the voting code from your sheet or message."))
    try:
        admission = admit_code(election_id, code)
    except DomainError as error:
        if error.code in INLINE_CODE_ERRORS:
            return _code_form(election, refusal_text(error))
        raise
    return _begin(election, code, admission.contests, admission.test)


def _code_form(election: Election, error: str) -> tuple[str, int]:
    return render_template("code.html", election=election, error=error), 422


def _begin(election: Election, code: str, contests: tuple[str, ...], test: bool) -> Response:
    """A fresh ballot in the session for an admitted code, then its first step."""
    if not contests:  # a batch restricted to contests the election no longer has
        raise Forbidden("token_contest_not_allowed")
    session.pop(RECEIPT, None)
    session[VOTE] = {
        "e": election.id,
        "t": code,
        "c": list(contests),
        "test": test,
        "s": {},
        "o": secrets.token_hex(8),  # this voter's agenda order, where a contest shuffles
    }
    session.permanent = False
    return redirect(url_for(".step", election_id=election.id, code=contests[0]), 303)


_VOTE_SHAPE = {"e": int, "t": str, "c": list, "test": bool, "s": dict, "o": str}
"""What :func:`_begin` writes; a session holding anything else (an old cookie after a
deploy, a hand-made one) is dropped rather than trusted."""


def _ballot(election_id: int) -> dict[str, Any] | None:
    """The ballot in progress in this browser, if it is for this election and well formed."""
    vote = session.get(VOTE)
    if vote is None:
        return None
    well_formed = isinstance(vote, dict) and all(
        isinstance(vote.get(key), kind) for key, kind in _VOTE_SHAPE.items()
    )
    if not well_formed or not all(isinstance(code, str) for code in vote["c"]) or not vote["c"]:
        session.pop(VOTE, None)
        return None
    return vote if vote["e"] == election_id else None


def _contests(election: Election, vote: dict[str, Any]) -> list[Contest] | None:
    """The ballot's contests in its order, or None when the election no longer has them all
    (then the ballot is dropped and the voter starts again from the code)."""
    by_code = {contest.code: contest for contest in election.contests}
    if not all(code in by_code for code in vote["c"]):
        session.pop(VOTE, None)
        return None
    return [by_code[code] for code in vote["c"]]


def _contest(election: Election, code: str, vote: dict[str, Any]) -> Contest | None:
    """The step's contest; 404 when the code does not allow it, None when it is gone."""
    if code not in vote["c"]:
        abort(404)
    contests = _contests(election, vote)
    return None if contests is None else contests[vote["c"].index(code)]


def _neighbours(vote: dict[str, Any], code: str) -> tuple[str | None, str | None]:
    order: list[str] = vote["c"]
    index = order.index(code)
    return (
        order[index - 1] if index > 0 else None,
        order[index + 1] if index + 1 < len(order) else None,
    )


@bp.route("/elections/<int:election_id>/ballot/<code>", methods=["GET", "POST"])
def step(election_id: int, code: str) -> str | Response | tuple[str, int]:
    vote = _ballot(election_id)
    if vote is None:
        return redirect(url_for(".code_entry", election_id=election_id), 303)
    election = elections.get_public(election_id)
    contest = _contest(election, code, vote)
    if contest is None:
        return redirect(url_for(".code_entry", election_id=election_id), 303)
    previous, following = _neighbours(vote, code)
    if request.method == "GET":
        kept = vote["s"].get(code)
        marked = ballots.from_selection(kept if isinstance(kept, dict) else None)
        return _step_page(election, contest, vote, marked, {}, previous, following)
    marked = ballots.read_form(contest, request.form)
    going_back = request.form.get("go") == "back"
    problems = ballots.placed_problems(contest, marked)
    if problems and not going_back:
        page = _step_page(election, contest, vote, marked, problems, previous, following)
        return page, 422
    if not problems:
        vote["s"][code] = marked.selection()
        session.modified = True
    if going_back and previous is not None:
        target = url_for(".step", election_id=election_id, code=previous)
    elif going_back:
        target = url_for(".code_entry", election_id=election_id)
    elif following is not None:
        target = url_for(".step", election_id=election_id, code=following)
    else:
        target = url_for(".review", election_id=election_id)
    return redirect(target, 303)


def _step_page(
    election: Election,
    contest: Contest,
    vote: dict[str, Any],
    marked: ballots.Marked,
    problems: dict[str, list[str]],
    previous: str | None,
    following: str | None,
) -> str:
    return render_template(
        "step.html",
        election=election,
        contest=contest,
        marked=marked,
        problems=problems,
        number=vote["c"].index(contest.code) + 1,
        steps=len(vote["c"]),
        previous=previous,
        following=following,
        test=vote["test"],
        agendas=ballots.in_order(contest, vote["o"]),
        ballots=ballots,
    )


@bp.route("/elections/<int:election_id>/review", methods=["GET", "POST"])
@limiter.limit(_cast_limit, methods=["POST"])
def review(election_id: int) -> str | Response | tuple[str | Response, int]:
    """The ballot to check, then the cast. The cast reads nothing but what
    :func:`~votesvc.services.casting.cast` reads (an API cast's work plus the session and
    CSRF checks); the election is read only to show a page."""
    vote = _ballot(election_id)
    if vote is None:
        return redirect(url_for(".code_entry", election_id=election_id), 303)
    if request.method == "GET":
        vote.setdefault("id", secrets.token_urlsafe(24))
        session.modified = True
        return _review_page(election_id, vote, None)
    chosen = {code: s for code, s in vote["s"].items() if isinstance(s, dict) and s.get("choices")}
    if not chosen:
        return _review_page(election_id, vote, _("Choose in at least one contest.")), 422
    try:
        result = casting.cast(election_id, vote["t"], chosen, vote.get("id"))
    except Invalid as error:
        if error.code != "ballot_invalid":
            raise
        return _review_page(election_id, vote, refusal_text(error)), 422
    session.pop(VOTE, None)
    session[RECEIPT] = {
        "e": election_id,
        "r": result.receipt,
        "test": result.test,
        "c": list(result.contests),
        "at": int(time.time()),
    }
    return redirect(url_for(".receipt", election_id=election_id), 303)


def _review_page(election_id: int, vote: dict[str, Any], error: str | None) -> str | Response:
    election = elections.get_public(election_id)
    contests = _contests(election, vote)
    if contests is None:
        return redirect(url_for(".code_entry", election_id=election_id), 303)
    return render_template(
        "review.html",
        election=election,
        contests=contests,
        selections=vote["s"],
        test=vote["test"],
        error=error,
        ballots=ballots,
    )


@bp.get("/elections/<int:election_id>/receipt")
def receipt(election_id: int) -> str | Response:
    election = elections.get_public(election_id)
    kept = session.get(RECEIPT)
    fresh = (
        isinstance(kept, dict)
        and isinstance(kept.get("c"), list)
        and isinstance(kept.get("at"), int)
        and time.time() - kept["at"] < RECEIPT_SECONDS
    )
    if not fresh:
        session.pop(RECEIPT, None)
    if not fresh or kept.get("e") != election_id:
        return redirect(url_for(".election_page", election_id=election_id), 303)
    contests = [c for c in election.contests if c.code in kept["c"]]
    return render_template("receipt.html", election=election, kept=kept, contests=contests)


@bp.post("/elections/<int:election_id>/receipt/done")
def receipt_done(election_id: int) -> Response:
    """Forget the receipt (a shared phone): the page says to write it down first."""
    session.pop(RECEIPT, None)
    return redirect(url_for(".election_page", election_id=election_id), 303)


@bp.route("/elections/<int:election_id>/receipt-check", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
def receipt_check(election_id: int) -> str | tuple[str, int]:
    election = elections.get_public(election_id)
    if request.method == "GET":
        return render_template("receipt_check.html", election=election, found=None, error=None)
    code = request.form.get("receipt", "").strip()
    try:
        found = casting.check_receipt(election_id, code)
    except DomainError as error:
        if error.code not in ("receipt_malformed", "receipt_unknown"):
            raise
        page = render_template(
            "receipt_check.html", election=election, found=None, error=refusal_text(error)
        )
        return page, 422 if error.code == "receipt_malformed" else 404
    contests = [c for c in election.contests if c.code in found["contests"]]
    return render_template(
        "receipt_check.html", election=election, found=found, contests=contests, error=None
    )


@bp.route("/elections/<int:election_id>/claim", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
def claim(election_id: int) -> str | Response | tuple[str, int]:
    """A voter on the roll proves who they are and gets an online code, then votes with it."""
    election = elections.get_public(election_id)
    if request.method == "GET":
        return render_template("claim.html", election=election, error=None)
    identifier = request.form.get("identifier", "").strip()
    factor = request.form.get("factor", "").strip()
    if not identifier or not factor:
        page = render_template("claim.html", election=election, error=_("Fill in both fields."))
        return page, 422
    issued = voters.claim_online_token(election_id, identifier, factor)
    admission = admit_code(election_id, issued.signed)
    _begin(election, issued.signed, admission.contests, admission.test)
    first = url_for(".step", election_id=election_id, code=admission.contests[0])
    return render_template(
        "claimed.html", election=election, short_code=issued.short_code, first=first
    )
