"""schemathesis against the OpenAPI document, through the WSGI app: every generated request,
valid or not, with and without an admin key, answers no 5xx and nothing the document does
not describe, with every check of schemathesis on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

API_SCHEMA = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(params=["anonymous", "admin"])
def credentials(
    request: pytest.FixtureRequest, make_key: Callable[[int | None], dict[str, str]]
) -> dict[str, str]:
    return make_key(None) if request.param == "admin" else {}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def api_schema(
    app: Flask, imported_election: Callable[..., int], credentials: dict[str, str]
) -> Any:
    imported_election()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema


@API_SCHEMA.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_request_answers_as_documented(case: Any, credentials: dict[str, str]) -> None:
    case.call_and_validate(headers=credentials)
