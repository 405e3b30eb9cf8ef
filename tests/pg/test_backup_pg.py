"""The restore drill of docs/operations.md, "Backups", on PostgreSQL.

A published election is mixed (``votesvc mix``, the real command), dumped with ``pg_dump
-Fc``, restored with ``pg_restore`` into a database created for the purpose, and then the
restored copy must be what was backed up: ``votesvc verify`` passes on its publication (as
``votesvc publication-export`` writes it from the copy), its audit chains check and equal the
original's, it is ready to serve (``/readyz``: migrations at head), and every row the mixer
rewrites is in its mixed state, so the dump links no ballot to a token (docs/voting.md,
"Secrecy against the database itself").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from conftest import PG_URL, SECRET, make_app
from flask import Flask
from flask.testing import FlaskClient
from results_support import close_count_publish, sync_booth, vote
from sqlalchemy.engine import make_url

from votesvc.models.base import db
from votesvc.publication.audit_chain import chain_problems
from votesvc.services import audit, mixing, publication

pytestmark = pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="pg_dump and pg_restore are not installed",
)


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as the PostgreSQL tools read it (no ``+psycopg`` driver)."""
    return url.replace("+psycopg", "", 1)


def _schema(app: Flask) -> str:
    with app.app_context():
        return db.session.scalar(sa.text("SELECT current_schema()"))


def _environment(app: Flask, tmp_path: Path) -> dict[str, str]:
    """What the operator's shell has: the service's database and secret."""
    return {
        **os.environ,
        "VOTESVC_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "VOTESVC_SECRET_KEY": SECRET,
        "VOTESVC_INSTANCE_PATH": str(tmp_path / "operator"),
        "VOTESVC_MIX_INTERVAL_SECONDS": "0",
    }


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database on the test server (the restore target); dropped afterwards."""
    assert PG_URL is not None
    name = f"votesvc_restore_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def published(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int], admin_headers: Any
) -> int:
    voted = vote(app, client, imported_election)
    sync_booth(client, voted)
    close_count_publish(client, voted.election_id, admin_headers)
    return voted.election_id


def _mixed_state(app: Flask) -> dict[str, set[Any]]:
    with app.app_context():
        return {
            table: set(db.session.scalars(sa.text(f"SELECT DISTINCT mixed FROM {table}")))
            for table in ("ballot", "token", "voter_roll_entry")
        }


def _chains(app: Flask, election_id: int) -> dict[str, Any]:
    with app.app_context():
        return {"election": audit.export(election_id), "global": audit.export(None)}


def _votesvc(environment: dict[str, str], *args: str) -> str:
    """Run the installed ``votesvc`` command as the operator would; its output."""
    command = [str(Path(sys.executable).with_name("votesvc")), *args]
    ran = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ran.stdout


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_restored_dump_verifies_keeps_its_audit_chain_and_its_secrecy(
    app: Flask, published: int, fresh_database: str, tmp_path: Path
) -> None:
    environment = _environment(app, tmp_path)
    assert _votesvc(environment, "mix").startswith("mixed: ")

    dump = tmp_path / "votesvc.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-n", _schema(app), "-f", str(dump), _libpq(PG_URL)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq(fresh_database), str(dump)],
        check=True,
        capture_output=True,
    )
    restored_url = f"{fresh_database}?options={quote(f'-csearch_path={_schema(app)}')}"
    copy_of = {**environment, "VOTESVC_DATABASE_URL": restored_url}
    _votesvc(copy_of, "publication-export", str(published), str(tmp_path / "copy"))
    assert "verified: all match" in _votesvc(copy_of, "verify", str(tmp_path / "copy"))
    with app.app_context():
        publication.export_to(published, tmp_path / "original")
    restored = make_app(restored_url, tmp_path / "restored")
    try:
        original, copy = _chains(app, published), _chains(restored, published)
        assert copy == original
        assert chain_problems(copy["election"]) == [] and chain_problems(copy["global"]) == []
        assert [e["action"] for e in copy["election"]][-1] == "results.published"
        assert _files(tmp_path / "copy") == _files(tmp_path / "original")
        assert _mixed_state(restored) == {
            "ballot": {mixing.HOUR},
            "token": {True},
            "voter_roll_entry": set(),
        }
        ready = restored.test_client().get("/readyz")
        assert ready.status_code == 200, ready.get_json()
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
