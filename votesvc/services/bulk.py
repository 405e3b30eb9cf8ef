"""Multi-row inserts that skip rows whose unique key is already stored (retries, re-imports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from votesvc.extensions import db


def insert_new(model: type[Any], rows: Sequence[dict[str, Any]], unique: Sequence[str]) -> int:
    """``INSERT ... ON CONFLICT (unique) DO NOTHING`` on PostgreSQL and SQLite alike; returns
    how many rows were new."""
    if not rows:
        return 0
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).on_conflict_do_nothing(index_elements=list(unique))
    primary_key = model.__table__.primary_key.columns
    return len(db.session.execute(statement.returning(*primary_key), rows).all())
