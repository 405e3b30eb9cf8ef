"""schemathesis against the OpenAPI document through the WSGI app (see
``tests/schemathesis_support.py``): with and without an admin key, no request it makes, valid
or not, gets a 5xx or an answer the document does not describe, and no invalid request is
accepted. The same run on PostgreSQL: ``tests/pg/test_pg_inputs.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from schemathesis_support import run_schemathesis


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


@pytest.mark.parametrize("with_key", [False, True], ids=["anonymous", "admin"])
def test_schemathesis_finds_nothing(
    app: Flask,
    imported_election: Callable[..., int],
    make_key: Callable[[int | None], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    with_key: bool,
) -> None:
    headers = make_key(None) if with_key else {}
    assert run_schemathesis(app, imported_election, monkeypatch, headers) > 1000
