"""The admin console: pages under ``/admin/`` that run an election without the API.

Officials sign in with an admin key and get a server-side session (:mod:`.guard`, built on
:mod:`votesvc.services.admin_sessions`); every page then calls the same service functions the
admin API calls, and a key scoped to one election sees that election only.

**Adding a page.** Put its routes on :data:`.blueprint.bp` in a module of this package and
import the module below. The guard covers it with nothing more to do: the session, the CSRF
token of a post (write ``{{ console_csrf() }}`` into a hidden ``csrf_token`` field of each form,
or use the ``csrf_field()`` macro of ``console/_macros.html``), and the key's election scope
for any URL naming an ``election_id``, ``contest_id``, ``agenda_id`` or ``booth_id``. A page
about one election joins every election's navigation with :func:`.nav.section` above its
route (an order and an ``N_`` label, see :mod:`.nav`; the order leaves gaps of ten for the
sections to come). Templates live in ``templates/console/`` and extend
``console/layout.html``, which draws the navigation when the page has an ``election``.

**Forms.** :mod:`.forms` lists a form's fields, reads a post into what the API's input schema
takes, checks it with that schema and words a refusal at its fields in the reader's language
(``console/_macros.html``: ``form_fields``, ``problems_box``). A refused form is the same page
again with the refusal's status. Deleting asks on a page of its own
(:func:`.deleting.ask_then_delete`), so no action needs JavaScript. Tests drive pages with
``tests/web/console_support.Console``; ``bench/console.py`` times the pages in its ``PAGES``.
"""

from __future__ import annotations

from flask import Flask

from votesvc.web.console import (  # noqa: F401  (their routes)
    audit_log,
    booths,
    contests,
    counting,
    elections,
    guard,
    kiosks,
    nav,
    participation,
    phase,
    roll,
    signin,
    tokens,
)
from votesvc.web.console.blueprint import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        console_csrf=guard.csrf_token,
        console_nav=nav.links,
        phase_label=elections.phase_label,
    )
