"""Builds the Flask application: configuration, extensions, blueprints, error handlers."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask("votesvc", instance_relative_config=True)
    if config:
        app.config.update(config)
    return app
