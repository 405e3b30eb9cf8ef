"""Ballot secrecy against someone who reads the PostgreSQL database itself.

Each test casts a few hundred ballots whose links we know (token ↔ receipt ↔ ballot, voter ↔
token), mounts an insider's attack on what the database shows beside the columns, and scores
how many ballots it links correctly. Before a mixing pass every attack links nearly all of them
(the test has teeth); after one, none does better than a guess. A random pairing of n items
gets one right on average; more than :data:`CHANCE_BOUND` right happens by luck about once in
a hundred thousand runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from voting_support import booth_id, issue, open_election, provision, receipt_id

from votesvc.models.base import db
from votesvc.services import keys, mixing
from votesvc.services.keys import RECEIPT_BYTES
from votesvc.services.tokens import read_token
from votesvc.voting import shortcodes
from votesvc.voting.tokens import IssuedToken

CHANCE_BOUND = 8
ONE = {"city": {"choices": ["A1"]}}
"""Every ballot the same: content cannot link anything, only what the database adds can."""
ONLINE, SYNCED, ROLL = 120, 120, 40


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20}}


@dataclass
class Truth:
    """What the attacker wants: each token's receipt hash (its ballots), each voter's token."""

    receipt_of_token: dict[str, str] = field(default_factory=dict)
    token_of_voter: dict[str, str] = field(default_factory=dict)
    online: list[str] = field(default_factory=list)
    synced: list[str] = field(default_factory=list)


def _hash_of(app: Flask, election_id: int, signed: str) -> str:
    with app.app_context():
        return read_token(signed, election_id, "online").id_hash


def _token_hash(app: Flask, token: IssuedToken) -> str:
    with app.app_context():
        return keys.token_hash(token.token_id)


def _receipt_hash(app: Flask, code: str) -> str:
    with app.app_context():
        return keys.keyed(keys.Purpose.RECEIPT, shortcodes.parse_code(code, RECEIPT_BYTES))


@pytest.fixture
def cast_all(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Any
) -> tuple[int, Truth]:
    """Online casts, one kiosk sync (in the order the cards were printed) and voters from the
    roll who claim a token and cast it at once."""
    election_id = open_election(imported_election)
    truth = Truth()
    url = f"/api/v1/elections/{election_id}"
    for token in issue(app, election_id, ONLINE):
        answer = client.post(f"{url}/ballots", json={"token": token.signed, "selections": ONE})
        assert answer.status_code == 201
        token_hash = _token_hash(app, token)
        truth.receipt_of_token[token_hash] = _receipt_hash(app, answer.get_json()["receipt"])
        truth.online.append(token_hash)

    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    cards = issue(app, election_id, SYNCED, booth=booth)
    queue = [
        {"id": receipt_id(), "token": card.signed, "cast_at": _now_iso(), "selections": ONE}
        for card in cards
    ]
    synced = client.post(
        f"{url}/booths/{booth}/sync",
        json={"ballots": queue},
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )
    assert synced.get_json()["counts"] == {"accepted": SYNCED}
    for card, item in zip(cards, queue, strict=True):
        token_hash = _token_hash(app, card)
        truth.receipt_of_token[token_hash] = _receipt_hash(app, item["id"])
        truth.synced.append(token_hash)

    roll = "identifier,factor\n" + "".join(f"9{n:05d},1990010{n % 9 + 1}\n" for n in range(ROLL))
    imported = client.post(
        f"/api/v1/admin/elections/{election_id}/voter-roll",
        data=roll.encode(),
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert imported.status_code in (200, 201), imported.get_json()
    with app.app_context():
        from votesvc.models import Election
        from votesvc.services.voters import identity_hash

        election = db.session.get(Election, election_id)
        identities = {n: identity_hash(election, f"9{n:05d}") for n in range(ROLL)}
    for n in range(ROLL):
        claim = client.post(
            f"{url}/online-tokens/claim",
            json={"identifier": f"9{n:05d}", "factor": f"1990010{n % 9 + 1}"},
        )
        assert claim.status_code == 201, claim.get_json()
        signed = claim.get_json()["token"]
        answer = client.post(f"{url}/ballots", json={"token": signed, "selections": ONE})
        assert answer.status_code == 201
        token_hash = _hash_of(app, election_id, signed)
        truth.receipt_of_token[token_hash] = _receipt_hash(app, answer.get_json()["receipt"])
        truth.token_of_voter[identities[n]] = token_hash
    return election_id, truth


def _now_iso() -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(minutes=1)).isoformat()


def _rows(app: Flask, sql: str) -> list[Any]:
    with app.app_context():
        return list(db.session.execute(sa.text(sql)).all())


def _expected_hits(candidates: dict[str, set[str]], truth: dict[str, str]) -> float:
    """How many subjects an attacker links right on average, guessing among ``candidates``."""
    return sum(
        1 / len(found) for subject, found in candidates.items() if truth.get(subject) in found
    )


def _pairs(left: Sequence[str], right: Sequence[str], truth: dict[str, str]) -> int:
    """How many of the i-th left and i-th right rows are truly linked (order pairing)."""
    return sum(1 for a, b in zip(left, right, strict=False) if truth.get(a) == b)


def _xmin_join(app: Flask, subset: Sequence[str], truth: Truth, table: str = "ballot") -> float:
    """Token ↔ ballot (or receipt) by equal ``xmin``: the cast's transaction."""
    column = "receipt_hash" if table == "ballot" else "code_hash"
    candidates: dict[str, set[str]] = {}
    for token_hash, receipt_hash in _rows(
        app, f"SELECT t.id_hash, x.{column} FROM token t JOIN {table} x ON t.xmin = x.xmin"
    ):
        candidates.setdefault(token_hash, set()).add(receipt_hash)
    wanted = set(subset)
    return _expected_hits(
        {k: v for k, v in candidates.items() if k in wanted}, truth.receipt_of_token
    )


def _roll_join(app: Flask, truth: Truth) -> float:
    """A voter's ballot: roll entry ↔ token by the claim's ``xmin``, then token ↔ ballot by
    the cast's ``xmin``; and roll entry ↔ ballot directly, by ``xmin`` order."""
    tokens_of: dict[str, set[str]] = {}
    for identity, token_hash in _rows(
        app,
        "SELECT v.identity_hash, t.id_hash FROM voter_roll_entry v "
        "JOIN token t ON v.xmin = t.xmin WHERE v.issued",
    ):
        tokens_of.setdefault(identity, set()).add(token_hash)
    ballots_of: dict[str, set[str]] = {}
    for token_hash, receipt_hash in _rows(
        app, "SELECT t.id_hash, b.receipt_hash FROM token t JOIN ballot b ON t.xmin = b.xmin"
    ):
        ballots_of.setdefault(token_hash, set()).add(receipt_hash)
    receipt_of_voter = {
        voter: truth.receipt_of_token[token] for voter, token in truth.token_of_voter.items()
    }
    candidates = {
        voter: set().union(*(ballots_of.get(t, set()) for t in found))
        for voter, found in tokens_of.items()
    }
    by_join = _expected_hits({k: v for k, v in candidates.items() if v}, receipt_of_voter)
    voters = [row[0] for row in _rows(app, _ordered("voter_roll_entry", "identity_hash", "issued"))]
    online = [
        row[0] for row in _rows(app, _ordered("ballot", "receipt_hash", "channel = 'online'"))
    ]
    # the roll voters cast last: pair the last issued entries with the last online ballots
    by_order = _pairs(voters, online[-len(voters) :], receipt_of_voter)
    return max(by_join, by_order)


def _ordered(table: str, column: str, where: str, order: str = "xmin::text::bigint, ctid") -> str:
    return f"SELECT {column} FROM {table} WHERE {where} ORDER BY {order}"


def _order_pairing(app: Flask, subset: Sequence[str], truth: Truth, order: str) -> int:
    """Spent tokens and ballots, each sorted the same way, paired rank by rank."""
    wanted = set(subset)
    tokens = [
        row[0]
        for row in _rows(app, _ordered("token", "id_hash", "status = 'spent'", order))
        if row[0] in wanted
    ]
    receipts = set(truth.receipt_of_token[t] for t in subset)
    ballots = [
        row[0]
        for row in _rows(app, _ordered("ballot", "receipt_hash", "true", order))
        if row[0] in receipts
    ]
    return _pairs(tokens, ballots, truth.receipt_of_token)


def _serial_pairing(app: Flask, subset: Sequence[str], truth: Truth) -> int:
    """Tokens in serial id order (the printed cards) against ballots in physical order."""
    wanted = set(subset)
    tokens = [r[0] for r in _rows(app, "SELECT id_hash FROM token ORDER BY id") if r[0] in wanted]
    receipts = set(truth.receipt_of_token[t] for t in subset)
    ballots = [
        r[0]
        for r in _rows(app, "SELECT receipt_hash FROM ballot ORDER BY ctid")
        if r[0] in receipts
    ]
    return _pairs(tokens, ballots, truth.receipt_of_token)


def _attacks(app: Flask, truth: Truth) -> dict[str, float]:
    return {
        "xmin join, online": _xmin_join(app, truth.online, truth),
        "receipt xmin join, online": _xmin_join(app, truth.online, truth, "receipt"),
        "xmin order, online": _order_pairing(app, truth.online, truth, "xmin::text::bigint"),
        "ctid order, kiosk sync": _order_pairing(app, truth.synced, truth, "ctid"),
        "serial id against ctid, kiosk sync": _serial_pairing(app, truth.synced, truth),
        "voter roll to ballot": _roll_join(app, truth),
    }


def test_every_attack_links_before_a_mix_and_none_after(
    app: Flask, cast_all: tuple[int, Truth]
) -> None:
    _, truth = cast_all
    before = _attacks(app, truth)
    sizes = {
        "xmin join, online": ONLINE,
        "receipt xmin join, online": ONLINE,
        "xmin order, online": ONLINE,
        "ctid order, kiosk sync": SYNCED,
        "serial id against ctid, kiosk sync": SYNCED,
        "voter roll to ballot": ROLL,
    }
    assert {name: hits >= 0.9 * sizes[name] for name, hits in before.items()} == dict.fromkeys(
        sizes, True
    ), before

    with app.app_context():
        report = mixing.mix_pass()
    assert report.ballots == report.receipts == ONLINE + SYNCED + ROLL
    assert report.tokens == ONLINE + SYNCED + ROLL and report.roll_entries == ROLL

    after = _attacks(app, truth)
    assert {name: hits <= CHANCE_BOUND for name, hits in after.items()} == dict.fromkeys(
        sizes, True
    ), after


def test_no_system_column_or_order_links_after_the_hour_is_mixed(
    app: Flask, cast_all: tuple[int, Truth]
) -> None:
    """The election-wide mix (as a count does) leaves nothing either, and every ballot and
    receipt is still there, once, after two rewrites."""
    election_id, truth = cast_all
    with app.app_context():
        mixing.mix_pass()
        second = mixing.mix_election(election_id)
        assert second.ballots == ONLINE + SYNCED + ROLL  # interval pool → election pool
        assert mixing.mix_pass().ballots == 0  # nothing left to mix
    assert all(hits <= CHANCE_BOUND for hits in _attacks(app, truth).values())
    stored = {r[0] for r in _rows(app, "SELECT receipt_hash FROM ballot")}
    assert stored == set(truth.receipt_of_token.values())
    assert _rows(app, "SELECT count(*) FROM ballot")[0][0] == len(stored)
    assert {r[0] for r in _rows(app, "SELECT mixed FROM ballot")} == {mixing.HOUR}


def _dump(schema: str) -> str:
    url = os.environ["VOTESVC_TEST_DATABASE_URL"].replace("+psycopg", "")
    return subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", "-n", schema, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _copy_rows(dump: str, schema: str, table: str) -> list[list[str]]:
    """A table's rows in the order ``pg_dump`` wrote them, with its column names first."""
    match = re.search(
        rf"^COPY {re.escape(schema)}\.{table} \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$",
        dump,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert match, table
    columns = [c.strip().strip('"') for c in match.group(1).split(",")]
    return [columns] + [line.split("\t") for line in match.group(2).splitlines()]


def _column(rows: list[list[str]], name: str, where: Callable[[dict[str, str]], bool]) -> list[str]:
    header, body = rows[0], rows[1:]
    records = [dict(zip(header, row, strict=True)) for row in body]
    return [record[name] for record in records if where(record)]


def _dump_pairing(dump: str, schema: str, truth: Truth) -> int:
    """The kiosk's tokens and ballots, each in the order the dump wrote them, rank by rank."""
    synced = set(truth.synced)
    receipts = {truth.receipt_of_token[t] for t in synced}
    tokens = _column(_copy_rows(dump, schema, "token"), "id_hash", lambda r: r["id_hash"] in synced)
    ballots = _column(
        _copy_rows(dump, schema, "ballot"), "receipt_hash", lambda r: r["receipt_hash"] in receipts
    )
    return _pairs(tokens, ballots, truth.receipt_of_token)


@pytest.fixture
def restored_schema() -> Iterator[Callable[[str, str], str]]:
    """Restore a dump into a schema of its own; dropped afterwards."""
    made: list[str] = []
    url = os.environ["VOTESVC_TEST_DATABASE_URL"]
    engine = sa.create_engine(url)

    def restore(dump: str, schema: str) -> str:
        target = f"restored_{uuid.uuid4().hex[:10]}"
        made.append(target)
        script = dump.replace(f"{schema}.", f"{target}.").replace(
            f"CREATE SCHEMA {schema};", f"CREATE SCHEMA {target};"
        )
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", url.replace("+psycopg", "")],
            input=script,
            check=True,
            capture_output=True,
            text=True,
        )
        return target

    yield restore
    with engine.begin() as connection:
        for schema in made:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed")
def test_a_dump_taken_after_the_mix_pairs_nothing_in_its_order_or_once_restored(
    app: Flask, cast_all: tuple[int, Truth], restored_schema: Callable[[str, str], str]
) -> None:
    _, truth = cast_all
    with app.app_context():
        schema = db.session.scalar(sa.text("SELECT current_schema()"))
    before = _dump(schema)
    assert _dump_pairing(before, schema, truth) >= 0.9 * SYNCED  # the kiosk's order shows

    with app.app_context():
        mixing.mix_pass()
    after = _dump(schema)
    assert _dump_pairing(after, schema, truth) <= CHANCE_BOUND

    restored = restored_schema(after, schema)
    engine = sa.create_engine(os.environ["VOTESVC_TEST_DATABASE_URL"])
    synced = set(truth.synced)
    receipts = {truth.receipt_of_token[t] for t in synced}
    with engine.connect() as connection:

        def column(sql: str, among: set[str]) -> list[str]:
            return [r[0] for r in connection.execute(sa.text(sql)) if r[0] in among]

        ballots = column(f"SELECT receipt_hash FROM {restored}.ballot ORDER BY ctid", receipts)
        by_place = column(f"SELECT id_hash FROM {restored}.token ORDER BY ctid", synced)
        by_serial = column(f"SELECT id_hash FROM {restored}.token ORDER BY id", synced)
    engine.dispose()
    assert len(ballots) == SYNCED
    assert _pairs(by_place, ballots, truth.receipt_of_token) <= CHANCE_BOUND
    assert _pairs(by_serial, ballots, truth.receipt_of_token) <= CHANCE_BOUND


def test_mixing_while_voters_cast_and_kiosks_sync_loses_and_doubles_nothing(
    app: Flask, imported_election: Callable[..., int]
) -> None:
    """Passes run back to back while 8 threads cast and a kiosk syncs (and retries its batch):
    every cast gets its receipt, every retry is ``already_accepted``, every ballot is stored
    once, and what is left unmixed is mixed by the next pass."""
    election_id = open_election(imported_election)
    online = issue(app, election_id, 160)
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    cards = issue(app, election_id, 100, booth=booth)
    queue = [
        {"id": receipt_id(), "token": card.signed, "cast_at": _now_iso(), "selections": ONE}
        for card in cards
    ]
    done = threading.Event()
    passes: list[mixing.MixReport] = []
    answers: list[int] = []
    synced: list[dict[str, int]] = []

    def mixer() -> None:
        with app.app_context():
            while not done.is_set():
                passes.append(mixing.mix_pass())
            passes.append(mixing.mix_pass())

    def voter(tokens: list[IssuedToken]) -> None:
        client = app.test_client()
        for token in tokens:
            answer = client.post(
                f"/api/v1/elections/{election_id}/ballots",
                json={"token": token.signed, "selections": ONE},
            )
            answers.append(answer.status_code)

    def booth_kiosk() -> None:
        client = app.test_client()
        for half in (queue[:50], queue[50:], queue):  # the last: a retry of everything
            answer = client.post(
                f"/api/v1/elections/{election_id}/booths/{booth}/sync",
                json={"ballots": half},
                headers={"Authorization": f"Bearer {kiosk['credential']}"},
            )
            synced.append(answer.get_json()["counts"])

    background = threading.Thread(target=mixer)
    background.start()
    workers = [threading.Thread(target=voter, args=(online[i::8],)) for i in range(8)]
    workers.append(threading.Thread(target=booth_kiosk))
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    background.join()

    assert answers.count(201) == 160
    assert synced == [{"accepted": 50}, {"accepted": 50}, {"already_accepted": 100}]
    assert len(passes) > 1
    assert sum(p.ballots for p in passes) >= 260  # each ballot mixed at least once
    stored = _rows(app, "SELECT receipt_hash, mixed FROM ballot")
    assert len(stored) == len({r[0] for r in stored}) == 260
    assert {r[1] for r in stored} == {mixing.INTERVAL}
    assert _rows(app, "SELECT count(*) FROM receipt")[0][0] == 260
    assert _rows(app, "SELECT count(*) FROM token WHERE NOT mixed")[0][0] == 0
