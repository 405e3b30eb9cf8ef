"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from votesvc.extensions import db


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
