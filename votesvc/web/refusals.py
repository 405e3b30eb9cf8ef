"""Refusals as pages: what went wrong, in the reader's language, and what to do next.

:mod:`votesvc.api.errors` turns every exception into one (status, code, params) in one place;
for a path outside ``/api/`` it hands that to :func:`render_refusal` instead of writing JSON,
so a used code, a closed election, a rate limit, a lost connection to the database or an
unknown address are each a page with a way on, never a bare error or a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, g, render_template, request
from flask_babel import gettext as _

from votesvc.api.errors import message
from votesvc.services.errors import DomainError
from votesvc.web.locale import current_lang

CONSOLE = "console"
"""The admin console's blueprint (:mod:`votesvc.web.console`)."""


def refusal_text(error: DomainError) -> str:
    """A domain error's message in the page's language (the API's words for the same code)."""
    return message(error.code, error.params, current_lang())


def next_step(code: str) -> str:
    """What the reader can do about ``code``."""
    steps = {
        "token_already_used": _(
            "Each voting code votes once, and this one has been used. If you did not vote "
            "with it, tell the election office."
        ),
        "token_void": _("This code was cancelled. Ask the election office for a new one."),
        "token_wrong_channel": _(
            "This code is for voting at a booth, not online. Take your sheet to the booth "
            "named on it."
        ),
        "token_wrong_election": _("Open the election named on your sheet and enter it there."),
        "token_unknown": _("Compare the code with your sheet and type it again."),
        "token_test_flag_mismatch": _("Compare the code with your sheet and type it again."),
        "token_contest_not_allowed": _("Go back to the review and change your ballot."),
        "election_not_open": _("Voting is not open now: the election page shows when it is."),
        "not_eligible": _(
            "Check that your details are written as on the voter roll, or ask the election office."
        ),
        "rate_limited": _("Too many tries from this connection. Wait a minute, then try again."),
        "bad_request": _("The form had expired. Go back, reload the page and try again."),
        "cookies_required": _(
            "Allow cookies for this site in your browser's settings, then open the election "
            "page again. The cookie keeps your choices until you cast; it is gone when the "
            "browser closes."
        ),
        "service_unavailable": _(
            "The service is busy or restarting. Nothing you marked is lost: go back and send "
            "it again in a few seconds."
        ),
        "results_not_published": _(
            "The results appear here once the election office has counted the ballots and "
            "published them. No count is shown before then."
        ),
        "not_found": _("This page does not exist. Start again from the list of elections."),
        "election_frozen": _(
            "Once voting has started, ballot rules, agendas and the voting window stay as they "
            "are; names and descriptions can still be corrected."
        ),
        "forbidden": _(
            "The admin key you signed in with is for another election. Go back to your "
            "elections, or sign out and sign in with a key for this one."
        ),
    }
    return steps.get(code, _("Go back and try again; if it happens again, tell the office."))


def render_refusal(status: int, code: str, params: Mapping[str, Any]) -> Response:
    """The page for a refusal answered with ``status``; the console's pages have their own
    layout, which leads back into the console."""
    election_id = (request.view_args or {}).get("election_id")
    html = render_template(
        "console/refusal.html" if request.blueprint == CONSOLE else "refusal.html",
        status=status,
        code=code,
        title=message(code, params, current_lang()),
        next_step=next_step(code),
        election_id=election_id if isinstance(election_id, int) else None,
        request_id=g.get("request_id", ""),
    )
    return Response(html, status=status, mimetype="text/html")
