"""Set-wise statements: multi-row inserts that skip rows already stored (retries, re-imports),
and membership in a large set of keys."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Insert,
    Table,
    TableValuedAlias,
    bindparam,
    cast,
    column,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute

from votesvc.models.base import db


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

    On PostgreSQL the keys travel as one JSON array (see :func:`json_rows`): an ``IN`` list of
    500 bound values costs the driver more to render than the indexed lookup costs the server.
    Elsewhere (SQLite) the plain ``IN`` list.
    """
    if db.engine.dialect.name == "postgresql":
        keys = func.json_array_elements_text(cast(bindparam("among", json_rows(values)), JSON))
        return column.in_(select(keys.column_valued()))
    return column.in_(values)


def json_rows(rows: Iterable[Any]) -> str:
    """Many values as one JSON text parameter for PostgreSQL (``json_to_recordset``,
    ``json_array_elements_text``): the standard library's C encoder writes 500 rows in a
    fraction of what the driver takes to dump them as arrays or as 3 500 placeholders."""
    return json.dumps(list(rows), separators=(",", ":"), ensure_ascii=False)


def recordset(table: Table, columns: Sequence[str], parameter: str, name: str) -> TableValuedAlias:
    """PostgreSQL's ``json_to_recordset(CAST(:parameter AS json)) AS name(column type, ...)``:
    rows sent as one JSON text (:func:`json_rows`) read as a table whose columns are
    ``table``'s, each typed as ``table`` types it, so a statement built on it cannot drift
    from the schema when a column's type changes. Every recordset statement is built here."""
    rows = func.json_to_recordset(cast(bindparam(parameter), JSON()))
    typed = [column(key, table.c[key].type) for key in columns]
    return rows.table_valued(*typed).render_derived(name=name, with_types=True)


RECORDSET_FROM = 16
"""Row count from which :func:`insert_rows` sends the rows as one JSON parameter."""


def insert_rows(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], **shared: Any
) -> None:
    """Insert ``rows`` (dicts with the same keys) on ``connection``, in its transaction, in one
    statement; ``shared`` are columns with the same value in every row (sent once, not per row).

    On PostgreSQL, from :data:`RECORDSET_FROM` rows on, ``INSERT ... SELECT :shared..., r.* FROM
    json_to_recordset(:rows) AS r(column type, ...)`` (:func:`recordset`). A handful of rows
    (an online cast) and SQLite take the plain INSERT.
    """
    if not rows:
        return
    if connection.dialect.name != "postgresql" or len(rows) < RECORDSET_FROM:
        full = [{**shared, **row} for row in rows]
        connection.execute(table.insert(), full[0] if len(full) == 1 else full)
        return
    statement = _recordset_insert(table, tuple(shared), tuple(rows[0]))
    connection.execute(statement, {**shared, "rows": json_rows(rows)})


_RECORDSET_INSERTS: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Insert] = {}


def _recordset_insert(table: Table, shared: tuple[str, ...], varying: tuple[str, ...]) -> Insert:
    """The recordset INSERT for these columns, built once per shape; the shared parameters are
    bound with their columns' types (psycopg's dialect renders them ``%(c)s::TYPE``) as the
    recordset's columns are typed."""
    key = (table.name, shared, varying)
    statement = _RECORDSET_INSERTS.get(key)
    if statement is None:
        rows = recordset(table, varying, "rows", "r")
        values = [bindparam(c, type_=table.c[c].type) for c in shared]
        selected = select(*values, *(rows.c[c] for c in varying))
        statement = table.insert().from_select([*shared, *varying], selected)
        _RECORDSET_INSERTS[key] = statement
    return statement
