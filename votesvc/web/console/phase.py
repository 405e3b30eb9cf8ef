"""The phase stepper: draft → voting → closed → published, each next move with what would
refuse it shown before the click.

The refusal shown is :func:`votesvc.services.elections.transition_refusal`, the very check the
move runs, so the page and the move cannot disagree; the move itself is
:func:`~votesvc.services.elections.transition`. Publishing stores the results and has a
section of its own, so the stepper's last step only says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, redirect, render_template, request, url_for
from werkzeug import Response

from votesvc.i18n import N_
from votesvc.models import Election, Phase
from votesvc.services import elections as election_service
from votesvc.services.errors import DomainError
from votesvc.web.console import forms, nav
from votesvc.web.console.blueprint import bp


@dataclass(frozen=True)
class Step:
    phase: str
    state: str
    """``done``, ``current``, ``next`` or ``later``."""


def steps(election: Election) -> list[Step]:
    order = [p.value for p in Phase]
    here = order.index(election.phase)
    states = ["done"] * here + ["current"] + ["next"] + ["later"] * len(order)
    return [Step(phase, states[i]) for i, phase in enumerate(order)]


def next_phase(election: Election) -> Phase | None:
    return election_service.NEXT_PHASE.get(Phase(election.phase))


def _page(election: Election, refused: forms.Problems | None = None) -> str | tuple[str, int]:
    target = next_phase(election)
    refusal = None if target is None else election_service.transition_refusal(election, target)
    html = render_template(
        "console/phase.html",
        election=election,
        steps=steps(election),
        target=target.value if target else None,
        refusal=forms.problems(refusal) if refusal else None,
        refused=refused,
    )
    return forms.answer(html, refused)


@nav.section(30, N_("Phase"))
@bp.route("/elections/<int:election_id>/phase", methods=["GET", "POST"])
def phase(election_id: int) -> str | Response | tuple[str, int]:
    election = election_service.get_election(election_id)
    if request.method == "GET":
        return _page(election)
    try:
        target = Phase(request.form.get("phase", ""))
    except ValueError:
        abort(400)
    try:
        election_service.transition(election_id, target)
    except DomainError as error:
        return _page(election_service.get_election(election_id), forms.problems(error))
    return redirect(url_for(".phase", election_id=election_id), 303)
