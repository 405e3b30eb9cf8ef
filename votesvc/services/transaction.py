"""One transaction per use case, with database conflicts turned into domain errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import scoped_session

from votesvc.extensions import db
from votesvc.services.errors import Conflict

_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def _is_unique_violation(error: IntegrityError) -> bool:
    original = error.orig
    return getattr(original, "sqlstate", None) == _UNIQUE_VIOLATION or "UNIQUE constraint" in str(
        original
    )


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
        raise Conflict("duplicate" if _is_unique_violation(error) else "conflict") from error
    except BaseException:
        session.rollback()
        raise
