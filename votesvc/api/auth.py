"""Admin authentication and election scope, checked before a request body is even read.

``Authorization: Bearer <key>``: no or a wrong key is 401. A key scoped to one election gets
403 on anything of another election, and on creating or importing elections; the election
is found from the URL's id (an agenda's contest's election, a booth's election, ...), and a
missing object is 404 first.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g, request

from votesvc.models import Agenda, Booth, Contest, Election
from votesvc.services import api_keys
from votesvc.services.common import fetch

BEARER_AUTH = [{"bearerAuth": []}]
"""The OpenAPI security requirement of admin operations."""

ELECTION_OF: dict[str, Callable[[int], int]] = {
    "election_id": lambda ident: fetch(Election, ident).id,
    "contest_id": lambda ident: fetch(Contest, ident).election_id,
    "agenda_id": lambda ident: fetch(Agenda, ident).contest.election_id,
    "booth_id": lambda ident: fetch(Booth, ident).election_id,
}
"""How to find the election a URL's object belongs to, by the URL argument's name."""


def guard_admin_request() -> None:
    """Blueprint hook of every admin endpoint."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    g.api_key = api_keys.authenticate(key.strip() if scheme.lower() == "bearer" else None)
    arguments = request.view_args or {}
    for name, election_of in ELECTION_OF.items():
        if name in arguments:
            api_keys.authorize(g.api_key, election_of(arguments[name]))
            return
    if request.method != "GET":
        api_keys.authorize(g.api_key, None)  # creating or importing elections
