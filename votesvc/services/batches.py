"""Token batches: issuing a booth's printed sheets or online tokens, printing, sealing, voiding,
and the listing admins see.

Printed batches keep a random ``seed`` from which the server derives the batch's ids again to
print its sheets; sealing the batch after printing erases it, and from then on the ids exist
only on paper. Whoever holds the hash key *and* an unsealed batch's row can rebuild its tokens,
which is why sheets should be printed and the batch sealed before voting starts. The tokens
themselves, once issued, are :mod:`votesvc.services.tokens`'.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from votesvc.i18n import N_, both
from votesvc.models import (
    Booth,
    Contest,
    Election,
    Kiosk,
    Token,
    TokenBatch,
    TokenBatchContest,
)
from votesvc.models.base import db
from votesvc.services import audit, keys
from votesvc.services.common import fetch
from votesvc.services.errors import Conflict, Invalid, NotFound
from votesvc.services.tokens import (
    VOIDABLE,
    allowed_contests,
    booth_of,
    channel_of,
    election_name,
    ensure_issuing,
    insert_tokens,
)
from votesvc.services.transaction import unit_of_work
from votesvc.voting import shortcodes
from votesvc.voting.links import VotingPage
from votesvc.voting.sheets import render_sheets
from votesvc.voting.tokens import (
    TOKEN_ID_BYTES,
    IssuedToken,
    TokenClaims,
    TokenStatus,
    hkdf_sha256,
    sign,
)

HTTP_SHEETS_MAX = 200
"""The largest batch whose sheets are rendered in a request (≈ 2 s of CPU)."""


def _derived_ids(seed: str, size: int) -> Iterator[bytes]:
    """The batch's token ids, again and again from the same seed (HKDF, one per index)."""
    key = keys.subkey(keys.Purpose.BATCH)
    salt = bytes.fromhex(seed)
    for index in range(size):
        yield hkdf_sha256(key, salt=salt, info=index.to_bytes(4, "big"), length=TOKEN_ID_BYTES)


def insert_batch_tokens(batch: TokenBatch, ids: Iterable[bytes]) -> None:
    insert_tokens(batch.election_id, batch.channel, ids, batch_id=batch.id, test=batch.test)


def new_batch(election: Election, booth: Booth | None, data: Mapping[str, Any]) -> TokenBatch:
    """A batch row; ``data["contests"]`` (contest codes, optional) restricts its tokens to
    those contests (see :class:`votesvc.models.TokenBatchContest`)."""
    batch = TokenBatch(
        election_id=election.id,
        booth_id=None if booth is None else booth.id,
        channel=channel_of(booth),
        size=data["size"],
        test=data.get("test", False),
        label=data.get("label", ""),
    )
    db.session.add(batch)
    db.session.flush()
    if data.get("contests"):
        _restrict(batch, election, data["contests"])
    return batch


def _restrict(batch: TokenBatch, election: Election, codes: Iterable[str]) -> None:
    by_code = {contest.code: contest.id for contest in election.contests}
    unknown = sorted(set(codes) - set(by_code))
    if unknown:
        message = N_("Not contests of this election: %(codes)s.") % {"codes": ", ".join(unknown)}
        raise Invalid("validation_failed", fields={"contests": [message]})
    batch.restricted = True
    db.session.add_all(
        TokenBatchContest(batch_id=batch.id, contest_id=by_code[code]) for code in set(codes)
    )


def contests_allowed_at(election: Election, booth: Booth) -> list[str]:
    """The contests a booth's tokens may vote in, for its kiosks to present: every contest
    unless the booth's batches are restricted, then the ones they allow (all of a booth's
    batches allow the same contests: ``_ensure_one_ballot``; the server still checks each
    ballot against its own batch at sync)."""
    batch_ids = list(
        db.session.scalars(select(TokenBatch.id).where(TokenBatch.booth_id == booth.id))
    )
    restrictions = allowed_contests(batch_ids)
    codes = [contest.code for contest in election.contests]
    if not batch_ids or len(restrictions) < len(batch_ids):
        return codes
    allowed = frozenset().union(*restrictions.values())
    return [contest.code for contest in election.contests if contest.id in allowed]


def _ensure_one_ballot(election: Election, booth: Booth, codes: Iterable[str] | None) -> None:
    """Refuse a booth batch that would allow other contests than the booth's ballot.

    A token does not say which batch it came from, so a kiosk shows one ballot to every voter
    of its booth (``contests_allowed_at``, given to the kiosk when it is provisioned). A batch
    allowing fewer contests would have its voters' ballots refused at sync, after they left;
    one allowing more would never be offered them. So a booth's first batch, or its first
    kiosk (every contest), fixes the booth's ballot, and later batches must match it.
    """
    started = db.session.scalar(
        select(func.count(TokenBatch.id)).where(TokenBatch.booth_id == booth.id)
    ) or db.session.scalar(select(func.count(Kiosk.id)).where(Kiosk.booth_id == booth.id))
    if not started:
        return
    present = contests_allowed_at(election, booth)
    chosen = set(codes or ())
    wanted = {c.code for c in election.contests if not chosen or c.code in chosen}
    if wanted != set(present):
        raise Conflict("booth_contests_differ", booth=booth.id, contests=", ".join(present))


def issue_batch(election_id: int, data: Mapping[str, Any]) -> TokenBatch:
    """Issue ``size`` tokens for a booth (``booth_id``) or online, printable until sealed."""
    with unit_of_work():
        election = fetch(Election, election_id)
        ensure_issuing(election)
        booth = booth_of(election, data.get("booth_id"))
        if booth is not None:
            _ensure_one_ballot(election, booth, data.get("contests"))
        batch = new_batch(election, booth, data)
        batch.seed = secrets.token_hex(32)
        insert_batch_tokens(batch, _derived_ids(batch.seed, batch.size))
        audit.record(
            "tokens.issued",
            election.id,
            {"batch": batch.id, "size": batch.size, "contests": data.get("contests")},
        )
    return batch


def find_batch(batch_id: int) -> TokenBatch:
    """A batch by its id alone (the shell prints any election's batch)."""
    return fetch(TokenBatch, batch_id)


def get_batch(election_id: int, batch_id: int) -> TokenBatch:
    batch = db.session.get(TokenBatch, batch_id)
    if batch is None or batch.election_id != election_id:
        raise NotFound(resource="token_batch")
    return batch


def _ensure_unsealed(batch: TokenBatch) -> None:
    if batch.seed is None:
        raise Conflict("batch_sealed")


def batch_tokens(batch: TokenBatch) -> list[IssuedToken]:
    """The batch's tokens, signed, for printing; refused once the batch is sealed."""
    _ensure_unsealed(batch)
    election = election_name(batch.election_id)
    channel_keys = keys.issuer().channel_keys(batch.channel)
    issued = []
    for token_id in _derived_ids(batch.seed, batch.size):
        claims = TokenClaims(election, batch.channel, token_id, batch.test)
        issued.append(
            IssuedToken(claims, sign(claims, channel_keys), shortcodes.format_code(token_id))
        )
    return issued


def batch_sheets(batch: TokenBatch, *, most: int | None = None) -> bytes:
    """The printable PDF of an unsealed batch; refused (``batch_too_large_to_print``) above
    ``most`` tokens.

    Rendering costs about 10 ms a token (segno's QR encoding), all of it inside the call:
    the HTTP endpoint passes :data:`HTTP_SHEETS_MAX` so a request stays within a couple of
    seconds and a proxy's timeout, and the refusal names the CLI (``votesvc print-tokens``),
    which prints any size. Not a background job like counts: a sheet is a stack of live
    bearer credentials, and a job would have to store the PDF until it was fetched.
    """
    _ensure_unsealed(batch)  # before the size: the CLI could not print a sealed batch either
    if most is not None and batch.size > most:
        raise Conflict("batch_too_large_to_print", size=batch.size, most=most, batch=batch.id)
    election = fetch(Election, batch.election_id)
    booth = fetch(Booth, batch.booth_id) if batch.booth_id is not None else None
    online = both(N_("Online"))
    place = (
        f"{online['ko']} / {online['en']}" if booth is None else (booth.name_ko or booth.name_en)
    )
    return render_sheets(
        batch_tokens(batch),
        election_name=election.name_ko or election.name_en,
        booth_name=place,
        voting_page=voting_page(election.id) if booth is None else None,
    )


def voting_page(election_id: int) -> VotingPage:
    """The election's voting page under ``VOTESVC_PUBLIC_URL``; refused
    (``public_url_unset``) when production has none, rather than print wrong links."""
    public_url = current_app.config["VOTESVC_PUBLIC_URL"]
    if not public_url:
        raise Conflict("public_url_unset")
    return VotingPage(public_url, election_id)


def seal_batch(election_id: int, batch_id: int) -> TokenBatch:
    """Erase the batch's seed: its tokens can no longer be printed, or rebuilt by anyone."""
    with unit_of_work():
        batch = get_batch(election_id, batch_id)
        if batch.seed is not None:
            batch.seed = None
            batch.sealed_at = keys.now()
            audit.record("tokens.sealed", election_id, {"batch": batch.id})
    return batch


def void_batch(election_id: int, batch_id: int) -> int:
    """Void every token of the batch not yet spent; returns how many were voided."""
    with unit_of_work():
        batch = get_batch(election_id, batch_id)
        voided = db.session.execute(
            update(Token)
            .where(Token.batch_id == batch.id, Token.status.in_(VOIDABLE))
            .values(status=TokenStatus.VOID.value)
            .execution_options(synchronize_session=False)
        ).rowcount
        audit.record("tokens.voided", election_id, {"batch": batch.id, "voided": voided})
        return voided


def list_batches(election_id: int) -> list[dict[str, Any]]:
    """Every batch of the election as :func:`batch_views` shows it, oldest first."""
    election = fetch(Election, election_id)
    batches = db.session.scalars(
        select(TokenBatch).where(TokenBatch.election_id == election.id).order_by(TokenBatch.id)
    )
    return batch_views(list(batches))


def batch_view(batch: TokenBatch) -> dict[str, Any]:
    """One batch as admins see it (:func:`batch_views`)."""
    return batch_views([batch])[0]


def batch_views(batches: Sequence[TokenBatch]) -> list[dict[str, Any]]:
    """The batches as admins see them: their fields, whether they can still be printed, the
    contests a restricted batch allows (ballot order; ``None``: every contest) and their
    tokens counted by status. Two queries however many batches: a listing of an election's
    hundreds of booth batches must not read the token table once per batch."""
    ids = [batch.id for batch in batches]
    counts: dict[int, dict[str, int]] = {i: dict.fromkeys(TokenStatus, 0) for i in ids}
    rows = db.session.execute(
        select(Token.batch_id, Token.status, func.count())
        .where(Token.batch_id.in_(ids))
        .group_by(Token.batch_id, Token.status)
    )
    for batch_id, status, number in rows:
        counts[batch_id][status] = number
    allowed: dict[int, list[str]] = {b.id: [] for b in batches if b.restricted}
    if allowed:
        rows = db.session.execute(
            select(TokenBatchContest.batch_id, Contest.code)
            .join(Contest, TokenBatchContest.contest_id == Contest.id)
            .where(TokenBatchContest.batch_id.in_(list(allowed)))
            .order_by(Contest.position)
        )
        for batch_id, code in rows:
            allowed[batch_id].append(code)
    return [
        {
            "id": batch.id,
            "election_id": batch.election_id,
            "booth_id": batch.booth_id,
            "channel": batch.channel,
            "size": batch.size,
            "test": batch.test,
            "label": batch.label,
            "created_at": batch.created_at,
            "sealed_at": batch.sealed_at,
            "printable": batch.seed is not None,
            "contests": allowed.get(batch.id),
            "counts": counts[batch.id],
        }
        for batch in batches
    ]
