"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from votesvc.models.base import db


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_upgrade_from_nothing_matches_the_models(empty_database_app: Flask, backend: str) -> None:
    with empty_database_app.app_context():
        assert db.engine.dialect.name == backend
        assert sa.inspect(db.engine).get_table_names() == []
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        tables = set(sa.inspect(db.engine).get_table_names())
    assert differences == []
    assert {table.name for table in db.metadata.sorted_tables} <= tables


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_downgrade_to_base_removes_every_table(empty_database_app: Flask, backend: str) -> None:
    with empty_database_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_published_without_a_publication_goes_back_to_closed(
    empty_database_app: Flask, backend: str
) -> None:
    """Before publishing became the only way to ``published``, the phase endpoint could move an
    election there with no results; the migration makes it closed again, to count and publish."""
    insert = (
        "INSERT INTO election (slug, name_ko, name_en, description_ko, description_en, "
        "starts_at, ends_at, timezone, currency, phase, is_demo, created_at, updated_at) "
        "VALUES (:slug, 'n', 'n', '', '', :at, :end, 'Asia/Seoul', 'KRW', :phase, false, :at, :at)"
    )
    with empty_database_app.app_context():
        flask_migrate.upgrade(revision="77a8f754e5fe")
        with db.engine.begin() as connection:
            for slug, phase in (("bare", "published"), ("voting", "voting")):
                connection.execute(
                    sa.text(insert),
                    {"slug": slug, "phase": phase, "at": "2026-01-01", "end": "2026-01-02"},
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            phases = dict(connection.execute(sa.text("SELECT slug, phase FROM election")).all())
    assert phases == {"bare": "closed", "voting": "voting"}
