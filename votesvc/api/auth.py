"""Admin authentication and election scope, checked before a request body is even read.

``Authorization: Bearer <key>``: no or a wrong key is 401. A key scoped to one election gets
403 on anything of another election, and on creating or importing elections; the election
is found from the URL's id (an agenda's contest's election, a booth's election, ...), and a
missing object is 404 first.
"""

from __future__ import annotations

from flask import g, request

from votesvc.services import api_keys

BEARER_AUTH = [{"bearerAuth": []}]
"""The OpenAPI security requirement of admin operations."""


def guard_admin_request() -> None:
    """Blueprint hook of every admin endpoint."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    g.api_key = api_keys.authenticate(key.strip() if scheme.lower() == "bearer" else None)
    election_id = api_keys.election_in(request.view_args or {})
    if election_id is not None:
        api_keys.authorize(g.api_key, election_id)
    elif request.method != "GET":
        api_keys.authorize(g.api_key, None)  # creating or importing elections
