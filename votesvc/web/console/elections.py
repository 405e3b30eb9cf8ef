"""The elections a key may see, and one election's overview (the first section)."""

from __future__ import annotations

from flask import g, render_template
from flask_babel import gettext

from votesvc.i18n import N_
from votesvc.services import elections as election_service
from votesvc.web.console import nav
from votesvc.web.console.blueprint import bp

PHASE_LABELS = {
    "draft": N_("Draft"),
    "voting": N_("Voting"),
    "closed": N_("Closed"),
    "published": N_("Published"),
}
"""What a phase is called on console pages (the API's values stay English words)."""


def phase_label(phase: str) -> str:
    return gettext(PHASE_LABELS.get(phase, phase))


@bp.get("/")
def elections() -> str:
    """Every election for an unscoped key, the key's own one for a scoped key."""
    found = election_service.list_elections(g.api_key.election_id)
    return render_template("console/elections.html", elections=found)


@nav.section(10, N_("Overview"))
@bp.get("/elections/<int:election_id>")
def overview(election_id: int) -> str:
    election = election_service.get_election(election_id)
    return render_template("console/overview.html", election=election)
