"""Shared fixtures: an application on a migrated database, on SQLite or PostgreSQL.

Every test that takes ``app`` (or ``client``) gets a fresh Flask app bound to a database that
was migrated once per session and emptied before the test. Tests marked ``pg`` (every test under
``tests/pg`` is) run on PostgreSQL in a schema of their own, created for the session from
``VOTESVC_TEST_DATABASE_URL`` and dropped afterwards; they are skipped when it is unset.
Later issues' tests reuse ``app``, ``client``, ``admin_headers`` and ``imported_election``.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from votesvc import create_app
from votesvc.models.base import db
from votesvc.services import api_keys, importing

PG_URL = os.environ.get("VOTESVC_TEST_DATABASE_URL")
TESTS = Path(__file__).resolve().parent
SECRET = "test-secret-not-used-anywhere-else"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="VOTESVC_TEST_DATABASE_URL is not set (PostgreSQL tests)")
    for item in items:
        if (TESTS / "pg") in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.pg)
        if item.get_closest_marker("pg") and not PG_URL:
            item.add_marker(skip)


def make_app(database_url: str, instance: Path, **config: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET,
            **config,
        }
    )


def migrate(database_url: str, instance: Path) -> None:
    """Build the schema the way production does: ``votesvc db upgrade``."""
    app = make_app(database_url, instance)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def new_sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / f'votesvc-{uuid.uuid4().hex[:8]}.sqlite3'}"


def pg_schema_url(schema: str) -> str:
    """``VOTESVC_TEST_DATABASE_URL`` with ``schema`` first on the search path."""
    assert PG_URL is not None
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"


def create_pg_schema() -> tuple[str, Callable[[], None]]:
    """A new empty PostgreSQL schema and the function that drops it."""
    assert PG_URL is not None
    schema = f"votesvc_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_URL, pool_pre_ping=True)  # outlives a test's server restart
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    return pg_schema_url(schema), drop


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("sqlite")
    url = new_sqlite_url(directory)
    migrate(url, directory / "instance")
    return url


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = create_pg_schema()
    migrate(url, tmp_path_factory.mktemp("pg-instance"))
    yield url
    drop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """The session's migrated database: PostgreSQL for ``pg`` tests, SQLite otherwise."""
    name = "pg_database" if request.node.get_closest_marker("pg") else "sqlite_database"
    return request.getfixturevalue(name)


def empty_all_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for this test's app; override the fixture (or mutate it) to change them."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path / "instance", **app_config)
    with app.app_context():
        empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_key(app: Flask) -> Callable[[int | None], dict[str, str]]:
    """Headers carrying a new admin key, scoped to one election or (None) to all."""

    def make(election_id: int | None = None) -> dict[str, str]:
        with app.app_context():
            _, plain = api_keys.create_api_key(election_id, label="test")
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def admin_headers(make_key: Callable[[int | None], dict[str, str]]) -> dict[str, str]:
    return make_key(None)


ELECTION_DOCUMENT: dict[str, Any] = {
    "slug": "test-2025",
    "name_ko": "2025 시험 선거",
    "name_en": "2025 test election",
    "starts_at": "2025-05-01T09:00:00",
    "ends_at": "2025-05-31T18:00:00+09:00",
    "organisations": [{"name_ko": "시민단체 가", "name_en": "Civic group A"}],
    "contests": [
        {
            "code": "city",
            "title_ko": "시 전체",
            "title_en": "City-wide",
            "budget": 1_000_000,
            "ballot_type": "approval",
            "rule": "greedy",
            "max_selections": 2,
            "agendas": [
                {
                    "code": "A1",
                    "title_ko": "가로등",
                    "cost": 400_000,
                    "organisations": ["시민단체 가"],
                },
                {"code": "A2", "title_en": "Bike lanes", "cost": 500_000},
                {
                    "code": "A3",
                    "title_ko": "도서관",
                    "title_en": "Library",
                    "cost": 300_000,
                    "organisations": ["시민단체 가", "주민자치회 나"],
                },
            ],
        }
    ],
    "booths": [{"code": "b1", "name_ko": "중앙동 주민센터", "place": "중앙로 1"}],
}


@pytest.fixture
def election_document() -> dict[str, Any]:
    """A small valid import document (a fresh copy each time: tests may edit it)."""
    return copy.deepcopy(ELECTION_DOCUMENT)


@pytest.fixture
def imported_election(app: Flask, election_document: dict[str, Any]) -> Callable[..., int]:
    """Import a document through the service and return the election id; ``phase="voting"``
    opens it, other keyword arguments replace top-level document fields."""

    def make(**changes: Any) -> int:
        document = {**election_document, **changes}
        with app.app_context():
            return importing.import_election(importing.parse_election_document(document)).id

    return make


@pytest.fixture
def row_counts(app: Flask) -> Callable[[], dict[str, int]]:
    """Rows per table, to prove a refused request changed nothing."""

    def count() -> dict[str, int]:
        with app.app_context():
            return {
                table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                for table in db.metadata.sorted_tables
            }

    return count


@pytest.fixture
def empty_database_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a brand-new database with no tables (PostgreSQL for ``pg`` tests)."""
    if request.node.get_closest_marker("pg"):
        url, drop = create_pg_schema()
    else:
        url, drop = new_sqlite_url(tmp_path), lambda: None
    app = make_app(url, tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()
