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

from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context

from votesvc.api import errors
from votesvc.web import console, formatting, kiosk, locale, security, voter
from votesvc.web import results as _results  # noqa: F401  (its routes join voter's blueprint)
from votesvc.web.assets import static_url
from votesvc.web.refusals import render_refusal


def _currency(context: Context) -> str:
    """The currency of the election the page shows (won where a page shows none)."""
    return getattr(context.get("election"), "currency", None) or "KRW"


@pass_context
def _money(context: Context, amount: int) -> str:
    """``money(amount)`` in templates: exact, in the page's election's currency."""
    return formatting.money(amount, locale.current_lang(), _currency(context))


@pass_context
def _money_words(context: Context, amount: int) -> str:
    """The amount as Korean readers count won (``4억 5천만 원``), on Korean pages of won
    elections for amounts of 10,000 and more; empty otherwise."""
    if locale.current_lang() != "ko" or _currency(context) != "KRW" or abs(amount) < 10**4:
        return ""
    return formatting.won_in_words(amount)


def init_app(app: Flask) -> None:
    security.init_app(app)
    app.register_blueprint(voter.bp)
    app.register_blueprint(kiosk.bp)
    console.init_app(app)
    app.extensions[errors.PAGE_RENDERER] = render_refusal
    app.jinja_env.globals.update(
        static_url=static_url,
        money=_money,
        money_words=_money_words,
        label=locale.label,
        fill=locale.fill,
    )
