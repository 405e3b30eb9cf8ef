"""The JSON API under ``/api/v1``: admin endpoints (API key) and public read-only ones.

The HTTP edge: validates, calls services, serialises; ``errors`` turns every exception into
the one JSON error shape. May import everything below it, never the CLI."""

from __future__ import annotations

from flask_smorest import Api

from votesvc.api import admin, ballots, kiosks, public, results, voting_admin


def register_blueprints(api: Api) -> None:
    api.register_blueprint(admin.blp)
    api.register_blueprint(public.blp)
    api.register_blueprint(voting_admin.blp)
    api.register_blueprint(ballots.blp)
    api.register_blueprint(kiosks.blp)
    api.register_blueprint(results.public)
    api.register_blueprint(results.admin_blp)
