"""The SQL an app sends while a block runs, for tests that bound how many statements a use
case costs (a listing that must not read once per row, a path that reads a row once)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask

from votesvc.models.base import db


@contextmanager
def sent_statements(app: Flask) -> Iterator[list[str]]:
    """The statements ``app``'s engine sends while the block runs, in order."""
    sent: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        sent.append(sql)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", statement)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
