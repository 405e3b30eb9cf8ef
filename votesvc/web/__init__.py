"""Server-rendered pages: what residents (and later booth staff and officials) touch.

Owns the Jinja templates, the static files and the page routes; an edge like the API, it
validates a form, calls a service function and renders, and may import services, schemas,
models and the pure helpers below them, never the API's handlers. It shares two pieces of the
API's edge: the one error-to-response place, :mod:`votesvc.api.errors`, which hands page paths
to :func:`votesvc.web.refusals.render_refusal`, and the worker's memory of immutable answers,
:mod:`votesvc.api.immutable`, which the results pages use as the published files do. Pages work
without JavaScript; the scripts in ``static/js`` only add live counters, the budget meter and
the code-from-the-link step.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Flask, url_for

from votesvc.api import errors
from votesvc.web import formatting, locale, security, voter
from votesvc.web import results as _results  # noqa: F401  (its routes join voter's blueprint)
from votesvc.web.refusals import render_refusal

STATIC = Path(__file__).parent / "static"
MANIFEST = STATIC / "manifest.json"


@cache
def _digests() -> dict[str, str]:
    """Each static file's SHA-256 as the manifest records it (a test checks they match)."""
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]
    return {entry["path"]: entry["sha256"] for entry in entries}


def static_url(path: str) -> str:
    """A static file's address with its digest, so a changed file is never served stale."""
    digest = _digests().get(path) or hashlib.sha256((STATIC / path).read_bytes()).hexdigest()
    return url_for("web.static", filename=path, v=digest[:12])


def init_app(app: Flask) -> None:
    security.init_app(app)
    app.register_blueprint(voter.bp)
    app.extensions[errors.PAGE_RENDERER] = render_refusal
    app.jinja_env.globals.update(
        static_url=static_url,
        money=lambda amount: formatting.money(amount, locale.current_lang()),
        won_in_words=formatting.won_in_words,
        label=locale.label,
        fill=locale.fill,
    )
