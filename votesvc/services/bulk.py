"""Set-wise statements: multi-row inserts that skip rows already stored (retries, re-imports),
and membership in a large set of keys."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, TextClause, any_, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute

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


def among(column: InstrumentedAttribute[str], values: Collection[str]) -> ColumnElement[bool]:
    """``column IN values`` for hundreds of string keys (a kiosk batch's token hashes).

    On PostgreSQL one array parameter, ``column = ANY(:values)``: an ``IN`` list of 500 bound
    values costs the driver more to render and parse than the indexed lookup costs the server.
    Elsewhere (SQLite) the plain ``IN`` list.
    """
    if db.engine.dialect.name == "postgresql":
        array = bindparam("among", list(values), type_=postgresql.ARRAY(column.type))
        return column == any_(array)
    return column.in_(values)


UNNEST_FROM = 16
"""Row count from which :func:`insert_rows` sends arrays rather than rows."""


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) in the current transaction, in one statement.

    On PostgreSQL, from :data:`UNNEST_FROM` rows on, ``INSERT ... SELECT * FROM
    unnest(:column_1, :column_2, ...)``: one array per column, so the driver sends seven
    arrays for 500 ballots instead of rendering 3 500 placeholders or pipelining 500
    statements. A handful of rows (an online cast) and SQLite take the plain INSERT, which
    costs less than dumping arrays.
    """
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < UNNEST_FROM:
        connection.execute(table.insert(), rows[0] if len(rows) == 1 else rows)
        return
    columns = tuple(rows[0])
    arrays = {column: [row[column] for row in rows] for column in columns}
    connection.execute(_unnest_insert(table, columns), arrays)


_UNNEST_INSERTS: dict[tuple[str, tuple[str, ...]], TextClause] = {}


def _unnest_insert(table: Table, columns: tuple[str, ...]) -> TextClause:
    """The unnest INSERT for these columns, built once (each array cast to its column's type,
    so an empty string list or a list of aware datetimes is never of unknown type)."""
    key = (table.name, columns)
    statement = _UNNEST_INSERTS.get(key)
    if statement is None:
        dialect = postgresql.dialect()
        casts = ", ".join(
            f"CAST(:{c} AS {table.c[c].type.compile(dialect=dialect)}[])" for c in columns
        )
        statement = text(
            f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({casts})"
        ).bindparams(*(bindparam(c, type_=postgresql.ARRAY(table.c[c].type)) for c in columns))
        _UNNEST_INSERTS[key] = statement
    return statement
