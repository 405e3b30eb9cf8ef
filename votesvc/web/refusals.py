"""Refusals as pages: what went wrong, in the reader's language, and what to do next.

:mod:`votesvc.api.errors` turns every exception into one (status, code, params) in one place;
for a path outside ``/api/`` it hands that to :func:`render_refusal` instead of writing JSON,
so a used code, a closed election, a rate limit, a lost connection to the database or an
unknown address are each a page with a way on, never a bare error or a stack trace.

The refusals nginx answers itself, when no request reaches the app (a body too large, every
node down), are this same page rendered ahead of time (:func:`proxy_refusal_page`), so a
resident meets one look and one language rule whoever refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, g, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from votesvc.api.errors import message
from votesvc.i18n import N_
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


_TRY_AGAIN_LATER = N_(
    "Try again in a minute. If you got a receipt, your vote was counted and is not lost; if "
    "you did not, send your ballot again: a voting code is never counted twice."
)
"""What to do when no node answered, or none in time: a cast may or may not have been counted,
and sending it again is safe either way (one code, one ballot)."""

PROXY_REFUSALS: dict[str, tuple[str, str]] = {
    "bad_request": (
        N_("Your browser sent a request this site could not read"),
        N_("Go back, reload the page and try again."),
    ),
    "payload_too_large": (
        N_("What you sent is too large"),
        N_("The file is larger than this site takes. Go back and choose a smaller file."),
    ),
    "uri_too_long": (
        N_("This address is too long"),
        N_(
            "The link may have been copied wrongly. Start again from the list of elections, "
            "or type the address printed on your sheet."
        ),
    ),
    "headers_too_large": (
        N_("Your browser sent too much with the request"),
        N_("Delete this site's cookies in your browser's settings, then open the page again."),
    ),
    "upstream_unavailable": (
        N_("The service is not answering right now"),
        _TRY_AGAIN_LATER,
    ),
    "upstream_timeout": (
        N_("The service took too long to answer"),
        _TRY_AGAIN_LATER,
    ),
}
"""The heading and the next step of each refusal nginx answers on a page path, by the code
its JSON twin carries (``deploy/nginx/votesvc/errors/``). Not the API's messages: those speak
to programs (``cast_id``), these to residents."""

SSI_REQUEST_ID = Markup('<!--# echo var="votesvc_request_id" -->')
"""Where nginx writes the request id into a page it serves (its SSI, on in the kit's error
location): the page is a static file, the id is known only when it is sent."""
PROXY_STYLESHEET = "site.css"
"""The kit's one copy of the pages' stylesheet, beside its error pages
(``deploy/nginx/votesvc/errors/``; written and checked with them)."""
SSI_STYLESHEET = Markup(f'<!--# include virtual="/_votesvc_errors/{PROXY_STYLESHEET}" -->')
"""Where nginx writes that copy into each page as it sends it. Not a link for the browser to
follow: the app that serves the stylesheet may be the thing that is down, and a browser whose
cookies drew a 431 would draw it again fetching a stylesheet. The copy sits in the kit, not
read from the checkout: nginx may run where no checkout is, or as a user that cannot read it."""


def proxy_refusal_page(status: int, code: str) -> str:
    """The page nginx serves for its own refusal ``status`` (with ``code``) in the request's
    language: the refusal page, its stylesheet included by nginx (:data:`SSI_STYLESHEET`).
    The kit's files are this page (``tests/deploy_support.py`` writes and checks them)."""
    title, step = PROXY_REFUSALS[code]
    return render_template(
        "proxy_refusal.html",
        status=status,
        code=code,
        title=_(title),
        next_step=_(step),
        election_id=None,
        request_id=SSI_REQUEST_ID,
        stylesheet=SSI_STYLESHEET,
        # the language links of a page keep its address (``?lang=``), which for a 414 is the
        # address too long: those lead home instead
        languages_at="/" if status == 414 else "",
    )
