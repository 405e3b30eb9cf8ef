"""One transaction per use case, with database conflicts turned into domain errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
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
