"""Closing, counting and publishing: the count's live progress, a restart of a stalled or
failed count, the preliminary results (admins only, before publication), and publishing.

The services of ``POST .../close``, ``POST``/``GET .../count`` and ``POST .../publish``. The
preliminary results are a count's, shown on this page alone: public pages and the public API
read only the publication (404 before it), and this page is never cached (``no-store``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from werkzeug import Response as Redirect

from votesvc.i18n import N_
from votesvc.services import elections as election_service
from votesvc.services import publication
from votesvc.services import results as result_service
from votesvc.services.errors import DomainError, NotFound
from votesvc.web.console import forms, nav
from votesvc.web.console.blueprint import bp

REFRESH_SECONDS = 3
STATUS_LABELS = {
    "queued": N_("Waiting to start"),
    "running": N_("Counting"),
    "failed": N_("Failed"),
    "done": N_("Done"),
}


def _latest(election_id: int) -> dict[str, Any] | None:
    """The latest count as the API's ``GET .../count`` shows it; ``None`` before the first."""
    try:
        return result_service.count_status(election_id)
    except NotFound as missing:
        if missing.code != "not_counted":
            raise
        return None


def _state(election_id: int) -> dict[str, Any]:
    job = _latest(election_id)
    election = election_service.get_election(election_id)
    return {
        "election": election,
        "job": job,
        "status_labels": STATUS_LABELS,
        "agendas": {
            contest.code: {agenda.code: agenda for agenda in contest.agendas}
            for contest in election.contests
        },
        "counting": job is not None and job["status"] in ("queued", "running"),
        "refresh_seconds": REFRESH_SECONDS,
    }


def _page(election_id: int, problems: Any = None) -> Response:
    html = render_template("console/counting.html", problems=problems, **_state(election_id))
    status = forms.status(problems.error) if problems else 200
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # preliminary results
    return response


def _after(election_id: int, action: Callable[[], object]) -> Response | Redirect:
    """Run ``action``; back to the page on success, the page with the refusal otherwise."""
    try:
        action()
    except DomainError as error:
        return _page(election_id, forms.problems(error))
    return redirect(url_for(".counting", election_id=election_id), 303)


@nav.section(90, N_("Count and publish"))
@bp.get("/elections/<int:election_id>/count")
def counting(election_id: int) -> Response:
    return _page(election_id)


@bp.get("/elections/<int:election_id>/count/status")
def count_progress(election_id: int) -> Response:
    """The count's status alone, for the page's script while a count runs."""
    html = render_template("console/_count_status.html", **_state(election_id))
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/elections/<int:election_id>/close")
def close(election_id: int) -> Response | Redirect:
    return _after(election_id, lambda: result_service.close_election(election_id))


@bp.post("/elections/<int:election_id>/count")
def start_count(election_id: int) -> Response | Redirect:
    """A count; ``force`` before the kiosks' grace period ends, ``restart`` setting aside a
    count that is still marked running but whose process is gone."""
    force, restart = request.form.get("force") == "1", request.form.get("restart") == "1"
    return _after(
        election_id,
        lambda: result_service.request_count(election_id, force=force, restart=restart),
    )


@bp.post("/elections/<int:election_id>/publish")
def publish(election_id: int) -> Response | Redirect:
    return _after(election_id, lambda: publication.publish(election_id))
