"""Builds the Flask application: configuration, extensions, API blueprints, error handlers."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from votesvc import web
from votesvc.api import errors, inputs, ops, register_blueprints
from votesvc.api.immutable import ImmutableResponses
from votesvc.extensions import VotesvcApi, limiter, migrate
from votesvc.i18n import http as i18n_http
from votesvc.models.base import db
from votesvc.services import mixing

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def settings_module() -> ModuleType:
    """The project's ``config.py``, which lives beside ``wsgi.py`` rather than in the package
    (Flask's "configuration outside the package" layout); loaded once by path."""
    name = "votesvc_config"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "config.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _enforce_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite ignores foreign keys unless asked on each connection; PostgreSQL always checks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """A new application; ``config`` overrides settings (tests pass ``INSTANCE_PATH`` and a
    database URL). ``VOTESVC_INSTANCE_PATH`` moves the instance folder."""
    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("VOTESVC_INSTANCE_PATH")
    app = Flask(
        "votesvc",
        static_folder=None,  # the pages' blueprint serves /static/ (votesvc/web/static)
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings = settings_module().load(Path(app.instance_path), os.environ, overrides)
    app.config.update(settings)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Korean stays readable

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    limiter.init_app(app)
    i18n_http.init_app(app)  # Flask-Babel: Korean by default, the catalogues of votesvc.i18n
    with app.app_context():
        event.listen(db.engine, "connect", _enforce_sqlite_foreign_keys)

    errors.init_app(app)  # first: its request id is there for every refusal after it
    ops.init_app(app)  # next: its request timer covers the other hooks
    inputs.init_app(app)  # before the routes: their ids use its converter
    api = VotesvcApi(app)
    inputs.document(api)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("kioskAuth", {"type": "http", "scheme": "bearer"})
    register_blueprints(api)
    web.init_app(app)  # the pages, and their cookie session (the API has none)
    mixing.install(app)  # the secrecy mixer's thread, started by a process's first request
    ImmutableResponses.install(app)  # published files a worker has served skip Flask after
    hops = app.config["VOTESVC_PROXY_HOPS"]
    if hops:  # outermost: every layer, the limiter's client address included, sees the voter
        # X-Forwarded-For grows by one address a proxy; X-Forwarded-Proto is *set* by the
        # nearest one (the kit's nginx), so it holds one value whatever the hop count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1)  # type: ignore[method-assign]
    return app
