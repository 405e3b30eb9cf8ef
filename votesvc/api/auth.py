"""Admin authentication: ``Authorization: Bearer <key>`` on every admin request."""

from __future__ import annotations

from flask import g, request

from votesvc.models import ApiKey
from votesvc.services import api_keys

BEARER_AUTH = [{"bearerAuth": []}]
"""The OpenAPI security requirement of admin operations."""


def authenticate_request() -> None:
    """Blueprint hook: no or a wrong key stops the request with 401 before anything is read."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    g.api_key = api_keys.authenticate(key.strip() if scheme.lower() == "bearer" else None)


def require_scope(election_id: int | None) -> None:
    """403 unless the request's key may act on ``election_id`` (``None``: on all elections)."""
    current: ApiKey = g.api_key
    api_keys.authorize(current, election_id)
