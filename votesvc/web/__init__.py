"""Server-rendered pages: what residents (and later booth staff and officials) touch.

Owns the Jinja templates, the static files and the page routes; an edge like the API, it
validates a form, calls a service function and renders, and may import services, schemas,
models and the pure helpers below them, never the API's handlers (it shares only the API's one
error-to-response place, :mod:`votesvc.api.errors`, which hands page paths to
:func:`votesvc.web.refusals.render_refusal`). Pages work without JavaScript; the scripts in
``static/js`` only add live counters, the budget meter and the code-from-the-link step.
"""

from __future__ import annotations

from flask import Flask, session

from votesvc.api import errors
from votesvc.web import formatting, kiosk, locale, security, voter
from votesvc.web.assets import static_url
from votesvc.web.refusals import render_refusal


def init_app(app: Flask) -> None:
    security.init_app(app)
    app.register_blueprint(voter.bp)
    app.register_blueprint(kiosk.bp)
    app.extensions[errors.PAGE_RENDERER] = render_refusal
    app.jinja_env.globals.update(
        static_url=static_url,
        money=lambda amount: formatting.money(amount, locale.current_lang()),
        won_in_words=formatting.won_in_words,
        label=locale.label,
        fill=locale.fill,
        session=session,
    )
