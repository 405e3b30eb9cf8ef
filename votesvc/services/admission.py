"""Admission: may this voting code vote now, and in which contests? Asked before a ballot.

A page shows a voter one step per contest their code allows, so it must know before they
choose whether the code is good: signed for this election's online channel (or a typed short
code whose check character holds), issued, unused (or a test code), and the election open;
and which contests its batch allows. Nothing is spent or written: only :func:`casting.cast`
spends, and it checks everything again, so a code admitted here and used elsewhere meanwhile
is still refused there. The answers are the same refusals the cast would give, so the page and
the API say the same thing about the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from votesvc.models import Election
from votesvc.services import keys
from votesvc.services.casting import ensure_open
from votesvc.services.common import fetch
from votesvc.services.tokens import admit_presented, allowed_contests, read_token, token_record
from votesvc.voting.tokens import ONLINE, TokenStatus


@dataclass(frozen=True, slots=True)
class Admission:
    """A code that may vote: the contests (codes, ballot order) it may vote in, and whether
    it is a test code (its ballot is checked and answered, never stored)."""

    contests: tuple[str, ...]
    test: bool


def admit_code(election_id: int, text: str) -> Admission:
    """The contests ``text`` (a signed online token or a short code) may vote in now, or the
    refusal a cast would answer (``token_already_used``, ``token_wrong_channel``,
    ``election_not_open``, ...)."""
    presented = read_token(text, election_id, ONLINE)
    election = fetch(Election, election_id)
    record = token_record(presented.id_hash)
    status = admit_presented(presented, election, ONLINE, record)
    ensure_open(election, keys.now(), test=status is TokenStatus.TEST)
    allowed = allowed_contests([record.batch_id]).get(record.batch_id)
    codes = tuple(c.code for c in election.contests if allowed is None or c.id in allowed)
    return Admission(codes, status is TokenStatus.TEST)
