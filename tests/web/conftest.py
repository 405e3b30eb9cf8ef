"""Fixtures of the console's page tests: a browser signed in with an unscoped key."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.console_support import Console, new_key


@pytest.fixture
def console(app: Flask, client: FlaskClient) -> Console:
    """Signed in, reading Korean (the console's default)."""
    browser = Console(client, "ko")
    browser.sign_in(new_key(app))
    return browser


@pytest.fixture
def english(app: Flask, client: FlaskClient) -> Console:
    """Signed in, reading English."""
    browser = Console(client, "en")
    browser.sign_in(new_key(app))
    return browser
