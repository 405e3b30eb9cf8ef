"""The booth kiosk: an offline page under ``/kiosk/``, its service worker, and its setup.

The page (``/kiosk/``) is a shell: provisioning in the request's language, then everything a
voter sees comes from the *bundle* the kiosk fetched with its credential (``/kiosk/setup``)
and keeps in IndexedDB: the screens in Korean and English, and each contest's ballot form
rendered by the same macro as the citizen step page (``templates/_ballot.html``), so the kiosk
has no ballot markup of its own. ``static/js/kiosk.js`` inserts it offline and
``static/js/ballot.js`` enhances and reads it in both places.

The service worker is served at ``/kiosk/sw.js`` (a worker's scope cannot reach above its own
path, so ``/static/`` would not do): ``static/js/kiosk-sw.js`` preceded by the list of files
to keep, each with its digest in the address, and a version that changes with any of them.
docs/kiosk.md has the protocol.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug import Response

from votesvc.models import Election
from votesvc.services import elections, kiosks
from votesvc.services.errors import Unauthorized
from votesvc.web import ballots
from votesvc.web.assets import static_url
from votesvc.web.refusals import refusal_text

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates")

STATIC = Path(__file__).parent / "static"
WORKER = STATIC / "js" / "kiosk-sw.js"
ASSETS = ("css/site.css", "css/kiosk.css", "js/ballot.js", "js/jsQR.js", "js/kiosk.js")
"""What the kiosk page loads, kept by the worker with the page itself."""
LANGUAGES = ("ko", "en")
IDLE_SECONDS, WARNING_SECONDS, RECEIPT_SECONDS = 90, 20, 30
"""The privacy timers: a voter idle for ``IDLE_SECONDS`` is warned, then after
``WARNING_SECONDS`` more the screen clears; a receipt stays ``RECEIPT_SECONDS`` at most."""
REFUSALS = (
    "token_malformed",
    "token_bad_signature",
    "token_wrong_channel",
    "token_wrong_election",
    "token_already_used",
)
"""The refusals a kiosk words offline, in the catalogue's own messages."""
PERMISSIONS = "camera=(self), microphone=(), geolocation=()"
"""The kiosk reads QR codes with the camera; every other page keeps it off."""


@bp.get("/")
def page() -> Response:
    response = Response(render_template("kiosk.html", assets=_asset_urls()), mimetype="text/html")
    response.headers["Permissions-Policy"] = PERMISSIONS
    return response


@bp.get("/sw.js")
def worker() -> Response:
    """The worker, told which files to keep; ``no-cache`` so a new version is always seen."""
    assets = [url_for(".page"), *(static_url(path) for path in ASSETS)]
    version = hashlib.sha256(
        "\n".join([*assets, *(_template_digest(n) for n in ("kiosk.html",))]).encode()
    ).hexdigest()[:16]
    head = f"self.VOTESVC_KIOSK = {json.dumps({'version': version, 'assets': assets})};\n"
    response = Response(head + WORKER.read_text("utf-8"), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/setup")
def setup() -> Response:
    """What a kiosk keeps to work offline, for the kiosk whose credential comes as a bearer:
    :func:`votesvc.services.kiosks.kiosk_setup` plus the bundle of screens in each language.
    Fetched at provisioning and again whenever the kiosk is online."""
    scheme, _sep, credential = request.headers.get("Authorization", "").partition(" ")
    kiosk = kiosks.authenticate_kiosk(
        credential.strip() if scheme.lower() == "bearer" else None,
        request.args.get("election", 0, type=int),
        request.args.get("booth", 0, type=int),
    )
    answer: dict[str, Any] = kiosks.kiosk_setup(kiosk)
    election = elections.get_public(kiosk.election_id)
    contests = [c for c in election.contests if c.code in answer["contests"]]
    answer["kiosk_id"] = kiosk.id
    answer["booth_id"] = kiosk.booth_id
    answer["timers"] = {
        "idle": IDLE_SECONDS,
        "warning": WARNING_SECONDS,
        "receipt": RECEIPT_SECONDS,
    }
    answer["bundle"] = {lang: _bundle(election, contests, lang) for lang in LANGUAGES}
    response = Response(json.dumps(answer, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _bundle(election: Election, contests: list[Any], lang: str) -> dict[str, Any]:
    with force_locale(lang):
        html = render_template(
            "kiosk_bundle.html",
            election=election,
            contests=contests,
            ballots=ballots,
            marked=ballots.Marked(),
        )
        return {"html": html, "texts": _texts()}


def _texts() -> dict[str, str]:
    """The words the kiosk's script needs, in the current language."""
    texts = {code: refusal_text(Unauthorized(code)) for code in REFUSALS}
    texts.update(
        used_here=_("This voting code was already used at this kiosk."),
        short_code=_(
            "The code checks out. A typed code can only be checked for typos here: the server "
            "decides whether it counts when the kiosk syncs."
        ),
        typo=_("A character looks mistyped: compare the code with your sheet."),
        test=_(
            "This is a test code: the ballot is checked the whole way but never stored or counted."
        ),
        blank=_("Nothing chosen: this contest is left blank."),
        change=_("Change"),
        rank=_("Rank {n}"),
        points=_("{n} points"),
        choose_one=_("Choose in at least one contest."),
        no_camera=_("The camera cannot be used here: type the code instead."),
        synced=_("Synced {n} ballots."),
        never=_("Not yet"),
        none=_("No error"),
        skew=_("This kiosk's clock is {minutes} minutes off the server's: ask staff to set it."),
        pin_wrong=_("That PIN is not right."),
        language_saved=_("Saved: each voter starts in {language}."),
        language_ko="한국어",
        language_en="English",
        pin_locked=_("Too many wrong PINs: the staff panel is locked for a while."),
        pin_wait=_("Try again in {time}."),
        wait_time=_("{m} min {s} s"),
        dry_ok=_("Valid test code of this booth."),
        dry_real=_("Valid code of this booth, but not a test code: keep it for a voter."),
        dry_here=_("This kiosk, offline: {answer}"),
        dry_server=_("The server: {answer}"),
        dry_server_valid=_("a ballot with this code would be accepted now (nothing was spent)."),
        dry_server_test=_("a test code of this booth: its ballots are checked, never counted."),
        dry_not_asked=_("The server was not asked: this kiosk is offline."),
        dry_unreachable=_("The server could not be reached: only the kiosk's answer counts."),
        granted=_("Persistent storage granted: the browser will not clear the queue."),
        denied=_(
            "Persistent storage not granted: the browser may clear the queue when space is short."
        ),
    )
    return texts


def _asset_urls() -> dict[str, str]:
    return {path: static_url(path) for path in ASSETS}


def _template_digest(name: str) -> str:
    return hashlib.sha256((Path(__file__).parent / "templates" / name).read_bytes()).hexdigest()
