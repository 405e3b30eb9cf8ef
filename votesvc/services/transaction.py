"""One transaction per use case, with database conflicts turned into domain errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, CursorResult, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import scoped_session

from votesvc.models.base import db
from votesvc.services.errors import Conflict

_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def _is_unique_violation(error: IntegrityError) -> bool:
    original = error.orig
    return getattr(original, "sqlstate", None) == _UNIQUE_VIOLATION or "UNIQUE constraint" in str(
        original
    )


def _conflict(error: IntegrityError) -> Conflict:
    return Conflict("duplicate" if _is_unique_violation(error) else "conflict")


@contextmanager
def unit_of_work() -> Iterator[scoped_session]:
    """Commit what the block did, or roll all of it back.

    A unique violation the services' own checks did not foresee (two admins racing for the
    same code) becomes a 409 ``duplicate``, never a 500.
    """
    session = db.session
    try:
        yield session
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise _conflict(error) from error
    except BaseException:
        session.rollback()
        raise


@contextmanager
def core_transaction() -> Iterator[Connection]:
    """Like :func:`unit_of_work`, for a block of Core statements that needs no ORM: its own
    transaction on a connection from the engine's pool, committed or rolled back at the end.

    The ORM session's transaction bookkeeping (begin, snapshot, commit, close) costs about
    60 µs a use on PostgreSQL, a tenth of an online cast's CPU, for statements that load and
    flush no objects. The block does not see the session's uncommitted changes, nor the
    session the block's: use it only where neither matters.
    """
    try:
        with db.engine.begin() as connection:
            yield connection
    except IntegrityError as error:
        raise _conflict(error) from error


@contextmanager
def autocommit() -> Iterator[Connection]:
    """A pool connection on which each statement is its own transaction, committed when it
    returns: for a use case that is one statement (PostgreSQL's data-modifying CTEs change
    all their tables or none).

    A transaction block costs two round trips to the server besides the statement: psycopg
    sends ``BEGIN`` before the first statement and ``COMMIT`` after the last, each waited for,
    with the engine's begin and commit bookkeeping around them. For an online cast that was
    three of its four round trips (the fourth, the pool's ``pre_ping``, is gone too: see
    :func:`config.engine_options`).
    """
    try:
        with db.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
    except IntegrityError as error:
        raise _conflict(error) from error


class DriverStatement:
    """A Core statement compiled once per database dialect and then run as the driver's own
    SQL (:meth:`~sqlalchemy.engine.Connection.exec_driver_sql`), for the hottest statement.

    ``Connection.execute`` looks the statement up in the compiled cache and sets up parameter
    processing on every execution: about 9 % of an online cast's CPU in a worker, for a
    statement that never changes. Here the SQL text, the statement's own constants (the
    literals it binds) and the bind processors of its parameters' types (aware datetimes to
    UTC) are found once; each execution applies those processors and hands the rest to the
    driver as it is. Errors are SQLAlchemy's as before (exec_driver_sql wraps them), so a
    dropped connection still invalidates the pool and answers 503.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[type[Dialect], _Compiled] = {}

    def execute(self, connection: Connection, parameters: Mapping[str, Any]) -> CursorResult[Any]:
        compiled = self._compiled.get(type(connection.dialect))
        if compiled is None:
            compiled = self._compiled[type(connection.dialect)] = _Compiled(
                self.statement, connection.dialect
            )
        values = {**compiled.constants, **parameters}
        for name, process in compiled.processors.items():
            values[name] = process(values[name])
        return connection.exec_driver_sql(compiled.sql, values)


class _Compiled:
    """One dialect's form of a :class:`DriverStatement`."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        if compiled.positional:
            raise ValueError(f"{dialect.name}: DriverStatement needs named parameters")
        self.sql: str = str(compiled)
        self.constants = {
            name: value for name, value in compiled.params.items() if value is not None
        }
        self.processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.bind_processor(dialect)
            if process is not None:
                self.processors[name] = process
