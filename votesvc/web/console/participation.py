"""Participation: tokens issued, spent, unused and cancelled per channel (online, each
booth), from the service of ``GET .../participation``. Only token counts, never ballots.

While voting runs, ``js/console-refresh.js`` fetches the table again now and then (its
fragment route below); without JavaScript the page's "refresh" link does the same."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template

from votesvc.i18n import N_
from votesvc.services import elections as election_service
from votesvc.services import tokens
from votesvc.web.console import nav
from votesvc.web.console.blueprint import bp

REFRESH_SECONDS = 15


def _table(election_id: int) -> dict[str, object]:
    election = election_service.get_election(election_id)
    return {
        "election": election,
        "channels": tokens.participation(election_id),
        "booths": {booth.id: booth for booth in election.booths},
        "live": election.phase == "voting",
        "refresh_seconds": REFRESH_SECONDS,
        "as_of": datetime.now(UTC),
    }


@nav.section(80, N_("Participation"))
@bp.get("/elections/<int:election_id>/participation")
def participation(election_id: int) -> str:
    return render_template("console/participation.html", **_table(election_id))


@bp.get("/elections/<int:election_id>/participation/table")
def participation_table(election_id: int) -> str:
    """The table alone, for the page's script to put in place of the one shown."""
    return render_template("console/_participation_table.html", **_table(election_id))
