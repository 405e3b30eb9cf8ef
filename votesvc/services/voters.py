"""Online voting rights: the eligible-voter roll, the census check, and handing out tokens.

**The roll** is imported from CSV (``identifier`` and, optionally, ``factor`` columns: e.g. a
resident number and a birth date) and stored only as keyed hashes (HMAC under subkeys of
``VOTESVC_TOKEN_HASH_KEY``): a leaked table yields neither identities nor, for a low-entropy
factor such as a birth date, anything to brute-force without the key.

**The census check** is pluggable, as in CONSUL: ``VOTESVC_CENSUS`` names a class
(``module:Class``) whose ``eligible(election, identifier, factor)`` says yes or no;
:class:`RollCensus` (the default) checks the imported roll, another class might ask a
municipal register. Either way the roll keeps the "token already issued" mark, so each person
gets one online token, once; and nothing records *which* token (the token table has no voter
column), so ballots stay unlinkable to people. The claim writes the roll's mark and the token in
one transaction, so both rows are left unmixed for :mod:`votesvc.services.mixing` to rewrite
apart.

**Mailed tokens**: an admin sends online tokens to a list of addresses; the addresses are used
to send and then forgotten.
"""

from __future__ import annotations

import csv
import importlib
import unicodedata
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select, update

from votesvc.i18n import N_, both
from votesvc.models import Election, VoterRollEntry
from votesvc.models.base import db
from votesvc.services import audit, keys, mail
from votesvc.services.batches import insert_batch_tokens, new_batch
from votesvc.services.bulk import insert_new
from votesvc.services.casting import ensure_open
from votesvc.services.common import fetch
from votesvc.services.csv_lines import NumberedCsv
from votesvc.services.errors import Conflict, Forbidden, Invalid
from votesvc.services.tokens import election_name, ensure_issuing, insert_tokens
from votesvc.services.transaction import unit_of_work
from votesvc.voting.tokens import ONLINE, IssuedToken

MAX_ROLL_ERRORS = 20


class Census(Protocol):
    def eligible(self, election: Election, identifier: str, factor: str) -> bool: ...


def normalise(value: str) -> str:
    """Identifiers and factors as people type them: width, case, spaces and punctuation do not
    matter (``1985-03-12`` is ``19850312``)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value).upper() if ch.isalnum())


def identity_hash(election: Election, identifier: str) -> str:
    return keys.keyed(keys.Purpose.IDENTITY, f"{election.id}:{normalise(identifier)}")


def factor_hash(election: Election, identifier: str, factor: str) -> str:
    return keys.keyed(
        keys.Purpose.FACTOR, f"{election.id}:{normalise(identifier)}:{normalise(factor)}"
    )


class RollCensus:
    """Eligible when the identifier is on the imported roll and the factor matches; a row
    imported without a factor (the column is optional) needs the identifier alone."""

    def eligible(self, election: Election, identifier: str, factor: str) -> bool:
        row = db.session.execute(
            select(VoterRollEntry.factor_hash).where(
                VoterRollEntry.election_id == election.id,
                VoterRollEntry.identity_hash == identity_hash(election, identifier),
            )
        ).first()
        if row is None:
            return False
        if row.factor_hash is None:
            return True
        return keys.same(row.factor_hash, factor_hash(election, identifier, factor))


def census() -> Census:
    module_name, _, attribute = current_app.config["VOTESVC_CENSUS"].partition(":")
    return getattr(importlib.import_module(module_name), attribute)()


def _roll_rows(election: Election, text: str) -> list[dict[str, Any]]:
    try:
        return _checked_roll_rows(election, NumberedCsv(text))
    except csv.Error as error:
        raise Invalid(
            "voter_roll_invalid", fields={"file": [N_("Not CSV: %(error)s.") % {"error": error}]}
        ) from None


def _checked_roll_rows(election: Election, records: NumberedCsv) -> list[dict[str, Any]]:
    header = records.reader.fieldnames
    if not header or "identifier" not in header:
        raise Invalid("voter_roll_invalid", fields={"file": [N_("Needs an 'identifier' column.")]})
    rows, problems, seen = [], {}, set()
    for line, record in records:
        identifier = normalise(record.get("identifier") or "")
        if not identifier:
            problems[str(line)] = [N_("No identifier.")]
            continue
        key = identity_hash(election, identifier)
        if key in seen:
            problems[str(line)] = [N_("Listed twice.")]
            continue
        seen.add(key)
        factor = record.get("factor")
        rows.append(
            {
                "election_id": election.id,
                "identity_hash": key,
                "factor_hash": factor_hash(election, identifier, factor) if factor else None,
                "issued": False,
            }
        )
        if len(problems) >= MAX_ROLL_ERRORS:
            break
    if problems:
        raise Invalid("voter_roll_invalid", fields={"lines": problems})
    return rows


def import_roll(election_id: int, text: str) -> dict[str, int]:
    """Add the CSV's voters to the roll; people already listed are left as they are."""
    with unit_of_work():
        election = fetch(Election, election_id)
        ensure_issuing(election)
        rows = _roll_rows(election, text)
        added = insert_new(VoterRollEntry, rows, ["election_id", "identity_hash"])
        audit.record("roll.imported", election.id, {"added": added})
    return {"added": added, "already_listed": len(rows) - added}


def _mark_issued(election: Election, identifier: str) -> None:
    """Flip the roll's mark, once: a second claim (or a racing one) is refused."""
    key = identity_hash(election, identifier)
    flipped = db.session.execute(
        update(VoterRollEntry)
        .where(
            VoterRollEntry.election_id == election.id,
            VoterRollEntry.identity_hash == key,
            VoterRollEntry.issued.is_(False),
        )
        .values(issued=True, mixed=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped:
        return
    added = insert_new(
        VoterRollEntry,
        [
            {
                "election_id": election.id,
                "identity_hash": key,
                "factor_hash": None,
                "issued": True,
                "mixed": False,
            }
        ],
        ["election_id", "identity_hash"],
    )
    if not added:  # listed (by the roll, or by an external census's earlier claim) and issued
        raise Conflict("token_already_issued")


def claim_online_token(election_id: int, identifier: str, factor: str) -> IssuedToken:
    """An online token for an eligible voter, once. The same refusal for an unknown person and
    a wrong factor, so the endpoint cannot be used to probe the roll."""
    election = fetch(Election, election_id)
    ensure_open(election, keys.now(), test=False)
    if not census().eligible(election, identifier, factor):
        raise Forbidden("not_eligible")
    with unit_of_work():
        _mark_issued(election, identifier)
        issued = keys.issuer().issue(election_name(election.id), ONLINE)
        insert_tokens(election.id, ONLINE, [issued.token_id], mixed=False)
    return issued


def mail_online_tokens(
    election_id: int, recipients: list[str], *, test: bool = False, label: str = ""
) -> dict[str, Any]:
    """Issue one online token per address and mail it; the addresses are not stored."""
    mail.ensure_configured()
    with unit_of_work():
        election = fetch(Election, election_id)
        ensure_issuing(election)
        batch = new_batch(election, None, {"size": len(recipients), "test": test, "label": label})
        issued = [
            keys.issuer().issue(election_name(election.id), ONLINE, test=test) for _ in recipients
        ]
        insert_batch_tokens(batch, [token.token_id for token in issued])
        audit.record("tokens.mailed", election.id, {"batch": batch.id, "size": len(issued)})
        what = both(N_("online voting code"))
        subject = f"{election.name_ko or election.name_en} — {what['ko']} / {what['en']}"
        messages = [
            mail.compose(address, subject, _mail_body(election, token))
            for address, token in zip(recipients, issued, strict=True)
        ]
    failed = mail.send_all(messages)
    return {"batch_id": batch.id, "sent": len(messages) - len(failed), "failed": failed}


def _mail_body(election: Election, token: IssuedToken) -> str:
    names = " / ".join(name for name in (election.name_ko, election.name_en) if name)
    code = both(N_("Online voting code (valid once): %(code)s"), {"code": token.short_code})
    return f"{names}\n\n{code['ko']}\n{code['en']}\n\n{token.signed}\n"
