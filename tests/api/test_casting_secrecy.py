"""Ballot secrecy, proved on the schema and on stored rows: the ballot table cannot lead to a
token, a voter, a kiosk or an operator; ids are random; stored times are coarse."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_app
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from voting_support import GOOD, booth_id, issue, offline, open_election, provision

from votesvc.models import Ballot, Receipt, Token
from votesvc.models.base import db
from votesvc.services import keys, mixing

SECRET_TABLES = {"token", "token_batch", "voter_roll_entry", "kiosk", "api_key"}
"""Tables whose rows point at a token, a voter, a kiosk credential or an operator."""
SUSPECT_WORDS = ("token", "voter", "kiosk", "operator", "key", "user", "identity", "ip")
BOTH = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]
)
"""Run on SQLite and, when configured, on PostgreSQL (whose inspector reads the real schema)."""


@pytest.fixture
def cast_some(app: Flask, client: FlaskClient, imported_election: Callable[..., int]) -> int:
    """Ballots through both channels: four online voters and three synced from a kiosk."""
    election_id = open_election(imported_election)
    for token in issue(app, election_id, 4):
        url = f"/api/v1/elections/{election_id}/ballots"
        assert client.post(url, json={"token": token.signed, "selections": GOOD}).status_code == 201
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    synced = client.post(
        f"/api/v1/elections/{election_id}/booths/{booth}/sync",
        json={"ballots": [offline(t) for t in issue(app, election_id, 3, booth=booth)]},
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )
    assert synced.get_json()["counts"] == {"accepted": 3}
    return election_id


@BOTH
@pytest.mark.parametrize("table", ["ballot", "receipt"])
def test_no_column_or_key_leads_to_a_token_voter_kiosk_or_operator(
    app: Flask, table: str, backend: str
) -> None:
    with app.app_context():
        assert db.engine.dialect.name == backend
        inspector = sa.inspect(db.engine)
        columns = {column["name"] for column in inspector.get_columns(table)}
        foreign = inspector.get_foreign_keys(table)
    assert not [c for c in columns if any(word in c.split("_") for word in SUSPECT_WORDS)]
    assert {fk["referred_table"] for fk in foreign}.isdisjoint(SECRET_TABLES)
    expected = {
        "ballot": {
            "id",
            "election_id",
            "contest_id",
            "channel",
            "content",
            "cast_at",
            "receipt_hash",
            "mixed",
        },
        "receipt": {"code_hash", "election_id", "recorded_at"},
    }
    assert columns == expected[table]


@BOTH
def test_no_secret_table_points_at_a_ballot_or_receipt(app: Flask, backend: str) -> None:
    with app.app_context():
        inspector = sa.inspect(db.engine)
        for table in SECRET_TABLES:
            referred = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
            assert referred.isdisjoint({"ballot", "receipt"}), table


@BOTH
def test_stored_rows_are_random_coarse_and_unlinkable(
    app: Flask, cast_some: int, backend: str
) -> None:
    with app.app_context():
        ballots = list(db.session.scalars(sa.select(Ballot)))
        receipts = list(db.session.scalars(sa.select(Receipt)))
        tokens = list(db.session.scalars(sa.select(Token)))
    assert len(ballots) == 14 and len(receipts) == 7
    ids = [ballot.id for ballot in ballots]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert sorted(ids) != ids or sorted(ids, reverse=True) != ids  # no insertion order
    assert len({i[:8] for i in ids}) == len(ids)  # no shared prefix as a sequence would have
    times = [b.cast_at for b in ballots] + [r.recorded_at for r in receipts]
    times += [t.spent_at for t in tokens if t.spent_at]
    assert all((t.minute, t.second, t.microsecond) == (0, 0, 0) for t in times)

    token_values = {t.id_hash for t in tokens} | {t.spend_key for t in tokens if t.spend_key}
    ballot_values = {getattr(b, c) for b in ballots for c in ("id", "receipt_hash", "content")}
    ballot_values |= {r.code_hash for r in receipts}
    assert token_values.isdisjoint(ballot_values)
    assert {b.channel for b in ballots} == {"online", f"booth-{booth_id(app, cast_some)}"}


def test_sqlite_rowid_order_pairs_nothing_after_a_mix(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    """SQLite keeps rows in ``rowid`` order, the order they were written: a kiosk sync in the
    printed cards' order pairs every ballot with its card's token, until the mixer rewrites the
    ballots in a random order (more than 8 right of 60 by luck: about once in 10^5 runs)."""
    election_id = open_election(imported_election)
    booth = booth_id(app, election_id)
    kiosk = provision(app, election_id, booth)
    cards = issue(app, election_id, 60, booth=booth)
    queue = [offline(card) for card in cards]
    synced = client.post(
        f"/api/v1/elections/{election_id}/booths/{booth}/sync",
        json={"ballots": queue},
        headers={"Authorization": f"Bearer {kiosk['credential']}"},
    )
    assert synced.get_json()["counts"] == {"accepted": 60}
    with app.app_context():
        truth = {
            keys.token_hash(card.token_id): keys.receipt_hash(item["id"])
            for card, item in zip(cards, queue, strict=True)
        }

        def paired() -> int:
            tokens = db.session.scalars(sa.text("SELECT id_hash FROM token ORDER BY rowid"))
            ballots = db.session.scalars(
                sa.text("SELECT DISTINCT receipt_hash FROM ballot ORDER BY rowid")
            )
            return sum(truth[t] == b for t, b in zip(tokens, ballots, strict=True))

        assert paired() == 60
        assert mixing.mix_pass().ballots == 120
        assert paired() <= 8
        assert mixing.mix_pass().ballots == 0


def test_the_service_mixes_on_its_own_every_interval(
    tmp_path: Path,
    sqlite_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside tests the app starts its mixer thread with its first request, once per process,
    and the thread runs a pass every ``VOTESVC_MIX_INTERVAL_SECONDS``."""
    ran = threading.Event()
    real = mixing.mix_pass

    def observed() -> mixing.MixReport:
        report = real()
        ran.set()
        return report

    monkeypatch.setattr(mixing, "mix_pass", observed)
    app = make_app(sqlite_database, tmp_path / "instance", VOTESVC_MIX_INTERVAL_SECONDS=0.01)
    app.testing = False
    mixing.install(app)
    mixer = app.extensions["votesvc.mixer"]
    try:
        assert app.test_client().get("/api/v1/elections").status_code == 200
        assert mixer.pid == os.getpid()
        assert ran.wait(10)
        app.test_client().get("/api/v1/elections")
        assert [t.name for t in threading.enumerate()].count("votesvc-mixer") == 1
    finally:
        mixer.stop.set()


def _ballot_side(app: Flask) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every ballot (without its mixing level) and every receipt, sorted: what a pass must
    keep exactly."""
    with app.app_context():
        ballots = db.session.execute(
            sa.select(Ballot.id, Ballot.contest_id, Ballot.content, Ballot.receipt_hash)
        )
        receipts = db.session.execute(sa.select(Receipt.code_hash, Receipt.recorded_at))
        return sorted(map(tuple, ballots)), sorted(map(tuple, receipts))


@BOTH
def test_a_pass_killed_after_its_delete_loses_and_doubles_nothing(
    app: Flask, cast_some: int, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass that dies between deleting the rows and inserting them again (here an error in
    the shuffle, after both deletes) rolls back whole: every ballot and receipt is there
    once, still unmixed, and the next pass mixes them."""
    before = _ballot_side(app)
    real = mixing._shuffled

    def killed(connection: sa.Connection) -> object:
        with app.app_context():
            assert connection.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
        raise RuntimeError("killed halfway")

    monkeypatch.setattr(mixing, "_shuffled", killed)
    with app.app_context(), pytest.raises(RuntimeError, match="killed halfway"):
        mixing.mix_pass()
    assert _ballot_side(app) == before
    with app.app_context():
        assert set(db.session.scalars(sa.select(Ballot.mixed))) == {mixing.FRESH}
    monkeypatch.setattr(mixing, "_shuffled", real)
    with app.app_context():
        assert mixing.mix_pass().ballots == 14
    assert _ballot_side(app) == before


@BOTH
def test_a_receipt_moves_only_with_its_last_ballot(
    app: Flask, cast_some: int, backend: str
) -> None:
    """A receipt one of whose ballots a pass leaves behind stays where it is, and moves when
    its last ballots do: deleting it would take the ballot left behind with it (the foreign
    key cascades)."""
    before = _ballot_side(app)
    with app.app_context():
        receipt, ballot = db.session.execute(sa.select(Ballot.receipt_hash, Ballot.id)).first()
        db.session.execute(
            sa.update(Ballot).where(Ballot.id == ballot).values(mixed=mixing.INTERVAL)
        )
        db.session.commit()
        report = mixing.mix_pass()
    assert _ballot_side(app) == before
    assert (report.ballots, report.receipts) == (13, 6)
    with app.app_context():
        assert db.session.get(Receipt, receipt) is not None
        db.session.execute(sa.update(Ballot).values(mixed=mixing.FRESH))
        db.session.commit()
        assert mixing.mix_pass().receipts == 7
    assert _ballot_side(app) == before


def test_a_sqlite_pass_holds_the_write_lock_from_its_first_read(
    app: Flask, cast_some: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BEGIN IMMEDIATE``: while a pass decides what to move, no other connection can start
    writing (it waits for the pass instead of deadlocking with it later)."""
    real = mixing._move_ballots
    probed: list[str] = []

    def probing(connection: sa.Connection, where: object, level: int) -> mixing.MixReport:
        path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            probed.append("began")
            other.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            probed.append(str(error))
        finally:
            other.close()
        return real(connection, where, level)

    monkeypatch.setattr(mixing, "_move_ballots", probing)
    with app.app_context():
        assert mixing.mix_pass().ballots == 14
    assert probed == ["database is locked", "database is locked"]
