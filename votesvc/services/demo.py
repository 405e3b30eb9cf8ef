"""The demo election: "2024 지역문제해결플랫폼 (Regional problem-solving platform)".

Its contests, 25 agendas and 35 institutions are a data file imported by the same service as
any election document. Only the voting window is set here, at load time (from today, Seoul
time, for 30 days), so that the demo is open for voting whenever it is loaded.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from votesvc.models import Election
from votesvc.models.base import db
from votesvc.services import importing

DEMO_FILE = Path(__file__).resolve().parents[1] / "data" / "demo_election.json"
VOTING_DAYS = 30


def demo_document(today: date) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    opens = datetime.combine(today, time.min, tzinfo=ZoneInfo(document["timezone"]))
    document["starts_at"] = opens.isoformat()
    document["ends_at"] = (opens + timedelta(days=VOTING_DAYS)).isoformat()
    return document


def load_demo(
    today: date | None = None, progress: importing.Progress | None = None
) -> tuple[Election, bool]:
    """The demo election, imported unless it is there already; True when it was imported."""
    document = demo_document(today or datetime.now(ZoneInfo("Asia/Seoul")).date())
    existing = db.session.scalar(select(Election).where(Election.slug == document["slug"]))
    if existing is not None:
        return existing, False
    parsed = importing.parse_election_document(document)
    return importing.import_election(parsed, progress), True
