"""The demo election: "2024 지역문제해결플랫폼 (Regional problem-solving platform)".

Its contests, 25 agendas and 35 institutions are a data file imported by the same service as
any election document. Only the voting window is set here, at load time (from today, Seoul
time, for 30 days), so that the demo is open for voting whenever it is loaded.

:func:`demo_codes` hands out online voting codes of the demo election, so that a newcomer can
vote in a browser at once. They are ordinary codes (a vote cast with one is stored and gets a
receipt, which a test token's dry run would not show), of a made-up election.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from votesvc.models import Booth, Election, Token, TokenBatch
from votesvc.models.base import db
from votesvc.services import batches, importing, keys, kiosks, tokens
from votesvc.voting.tokens import ONLINE, IssuedToken, TokenStatus, booth_channel

DEMO_FILE = Path(__file__).resolve().parents[1] / "data" / "demo_election.json"
VOTING_DAYS = 30
CODES_LABEL = "votesvc demo: codes to try voting"
KIOSK_LABEL = "votesvc demo kiosk"
"""The label of the online batches :func:`demo_codes` issues, by which it finds them again."""


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


def demo_codes(election: Election, count: int, booth: Booth | None = None) -> list[IssuedToken]:
    """``count`` unused codes of the demo election, online or of ``booth`` (sheet codes for
    its kiosk): those of earlier runs still unused, topped up with a new batch, so a code
    shown once is shown again until someone votes with it and never after. None once voting
    is over (no code could be used)."""
    if election.phase not in tokens.ISSUING_PHASES:
        return []
    channel = ONLINE if booth is None else booth_channel(booth.id)
    kept = db.session.scalars(
        select(TokenBatch)
        .where(
            TokenBatch.election_id == election.id,
            TokenBatch.channel == channel,
            TokenBatch.label == CODES_LABEL,
            TokenBatch.seed.is_not(None),
        )
        .order_by(TokenBatch.id)
    )
    issued = [token for batch in kept for token in batches.batch_tokens(batch)]
    unused = set(
        db.session.scalars(
            select(Token.id_hash).where(
                Token.id_hash.in_([keys.token_hash(t.token_id) for t in issued]),
                Token.status == TokenStatus.UNUSED.value,
            )
        )
    )
    codes = [t for t in issued if keys.token_hash(t.token_id) in unused][:count]
    if len(codes) < count:
        data = {"size": count - len(codes), "label": CODES_LABEL, "booth_id": booth and booth.id}
        batch = batches.issue_batch(election.id, data)
        codes += batches.batch_tokens(batch)
    return codes


def demo_kiosk(election: Election) -> tuple[Booth, dict[str, Any]] | None:
    """A new kiosk for the demo's first booth (its credential is shown once, so each run
    provisions one), or None once voting is over."""
    if election.phase not in tokens.ISSUING_PHASES:
        return None
    booth = election.booths[0]
    return booth, kiosks.provision_kiosk(election.id, booth.id, KIOSK_LABEL)
