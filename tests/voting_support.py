"""Helpers shared by the voting tests on SQLite (tests/api) and PostgreSQL (tests/pg)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from votesvc.models import Booth, Election
from votesvc.models.base import db
from votesvc.services import batches, kiosks
from votesvc.services.keys import RECEIPT_BYTES
from votesvc.services.kiosks import EXPORT_FORMAT
from votesvc.voting import shortcodes
from votesvc.voting.tokens import IssuedToken

CONTESTS: list[dict[str, Any]] = [
    {
        "code": "city",
        "title_ko": "시 전체",
        "budget": 1_000_000,
        "ballot_type": "approval",
        "rule": "greedy",
        "max_selections": 2,
        "knapsack_cap": True,
        "agendas": [
            {"code": "A1", "title_ko": "가로등", "cost": 400_000},
            {"code": "A2", "title_ko": "자전거길", "cost": 700_000},
            {"code": "A3", "title_ko": "도서관", "cost": 300_000},
        ],
    },
    {
        "code": "north",
        "title_en": "North district",
        "budget": 500_000,
        "ballot_type": "cumulative",
        "rule": "greedy",
        "points_total": 10,
        "max_points_per_agenda": 6,
        "agendas": [
            {"code": "N1", "title_en": "Safe school routes", "cost": 200_000},
            {"code": "N2", "title_en": "Small theatres", "cost": 300_000},
        ],
    },
]


def window(*, opened: timedelta = timedelta(days=1), closes: timedelta = timedelta(days=1)):
    """``starts_at``/``ends_at`` around now (tests use the real clock, never sleep)."""
    now = datetime.now(UTC)
    return {"starts_at": (now - opened).isoformat(), "ends_at": (now + closes).isoformat()}


def open_election(imported_election: Callable[..., int], **changes: Any) -> int:
    """An election with two contests and booth ``b1``, voting now unless told otherwise."""
    values = {"contests": CONTESTS, "phase": "voting", **window(), **changes}
    return imported_election(**values)


def booth_id(app: Flask, election_id: int, code: str = "b1") -> int:
    with app.app_context():
        election = db.session.get(Election, election_id)
        return next(b.id for b in election.booths if b.code == code)


def add_booth(app: Flask, election_id: int, code: str) -> int:
    with app.app_context():
        booth = Booth(election_id=election_id, code=code, name_ko=code)
        db.session.add(booth)
        db.session.commit()
        return booth.id


def issue(
    app: Flask,
    election_id: int,
    size: int = 3,
    *,
    booth: int | None = None,
    test: bool = False,
    contests: list[str] | None = None,
) -> list[IssuedToken]:
    """Issue a batch through the service and return its tokens, signed; ``contests``
    restricts the batch to those contest codes."""
    data = {"size": size, "booth_id": booth, "test": test, "contests": contests}
    with app.app_context():
        return batches.batch_tokens(batches.issue_batch(election_id, data))


def provision(app: Flask, election_id: int, booth: int) -> dict[str, Any]:
    with app.app_context():
        return kiosks.provision_kiosk(election_id, booth, "test kiosk")


def receipt_id() -> str:
    """What a kiosk generates for each ballot: a receipt code, also its idempotency key."""
    return shortcodes.format_code(secrets.token_bytes(RECEIPT_BYTES))


GOOD = {"city": {"choices": ["A3", "A1"]}, "north": {"choices": ["N1", "N2"], "points": [6, 4]}}
"""A valid ballot for both contests."""


def offline(token: IssuedToken | str, cast_at: datetime | None = None, **change: Any) -> dict:
    """One queued kiosk ballot."""
    return {
        "id": receipt_id(),
        "token": token if isinstance(token, str) else token.signed,
        "cast_at": (cast_at or datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "selections": GOOD,
        **change,
    }


def export_key_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def export_file(kiosk: dict[str, Any], ballots: list[dict[str, Any]], **change: Any) -> str:
    """A kiosk's exported queue: the body as text, and its HMAC under the export key."""
    body = json.dumps(
        {
            "kiosk": kiosk["id"],
            "election": kiosk["election_id"],
            "booth": kiosk["booth_id"],
            "exported_at": datetime.now(UTC).isoformat(),
            "count": len(ballots),
            "ballots": ballots,
            **change,
        }
    )
    mac = hmac.digest(export_key_bytes(kiosk["export_key"]), body.encode(), hashlib.sha256)
    tag = base64.urlsafe_b64encode(mac).decode().rstrip("=")
    return json.dumps({"format": EXPORT_FORMAT, "body": body, "mac": tag})
