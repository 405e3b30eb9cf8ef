"""The election's audit log, the hash-chained record of every admin action, with the result
of checking its chain (:func:`votesvc.publication.audit_chain.chain_problems`, the check
``votesvc verify`` runs on the published copy)."""

from __future__ import annotations

from flask import render_template

from votesvc.i18n import N_
from votesvc.publication.audit_chain import chain_problems
from votesvc.services import audit
from votesvc.services import elections as election_service
from votesvc.web.console import nav
from votesvc.web.console.blueprint import bp


@nav.section(100, N_("Audit log"))
@bp.get("/elections/<int:election_id>/audit")
def audit_log(election_id: int) -> str:
    election = election_service.get_election(election_id)
    entries = audit.export(election.id)
    return render_template(
        "console/audit_log.html",
        election=election,
        entries=entries,
        problems=chain_problems(entries),
    )
