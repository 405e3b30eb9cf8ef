"""The console's pages that run an election, through the Flask client: tokens, kiosks, the
voter roll, participation, quarantine, closing, counting, publishing and the audit log; each
form with good input, its refusals in the reader's language, CSRF, and a scoped key's reach."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.voting_support import (
    open_election,
)
from tests.web.console_support import Console, new_key
from tests.web.page_support import text_of
from votesvc.models.base import db


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return open_election(imported_election)


@pytest.fixture
def console(app: Flask, client: FlaskClient) -> Console:
    browser = Console(client, "ko")
    browser.sign_in(new_key(app))
    return browser


@pytest.fixture
def english(app: Flask, client: FlaskClient) -> Console:
    browser = Console(client, "en")
    browser.sign_in(new_key(app))
    return browser


def _rows(app: Flask, model: Any, **where: Any) -> list[Any]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(model).filter_by(**where)))
        for row in found:
            db.session.expunge(row)
        return found


def test_every_section_is_in_the_navigation(english: Console, election_id: int) -> None:
    page = english.get(f"/admin/elections/{election_id}")
    for label in ("Tokens", "Kiosks", "Voter roll", "Participation", "Count and publish"):
        assert label in text_of(page)
    assert "Audit log" in text_of(page)
