"""Bad input on PostgreSQL, where U+0000 in text and integers past ``integer`` are database
errors (SQLite stores the one and compares the other): each is a 4xx before the query.
And the schemathesis run of ``tests/api/test_api_schemathesis.py``, with an admin key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api.api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from schemathesis_support import run_schemathesis

Headers = dict[str, str]
BIG = 2**31


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/elections/{BIG}",
        f"/api/v1/admin/elections/{BIG}",
        f"/api/v1/admin/contests/{BIG}/agendas",
        f"/api/v1/elections/1/results/contests/{BIG}",
        f"/api/v1/admin/elections/1/token-batches/{BIG}",
    ],
)
def test_ids_past_integer_in_a_path_are_404(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int], path: str
) -> None:
    imported_election()
    assert_error(client.get(path, headers=admin_headers), 404, "not_found")


def test_ids_past_integer_in_a_body_or_query_are_422(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    base = f"/api/v1/admin/elections/{imported_election()}"
    response = client.post(
        f"{base}/token-batches", json={"booth_id": BIG, "size": 1}, headers=admin_headers
    )
    assert set(assert_error(response, 422, "validation_failed")) == {"booth_id"}
    response = client.get(f"{base}/quarantine?booth_id={BIG}", headers=admin_headers)
    assert set(assert_error(response, 422, "validation_failed")) == {"booth_id"}


def test_u0000_never_reaches_postgresql(
    client: FlaskClient,
    admin_headers: Headers,
    imported_election: Callable[..., int],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    election_id = imported_election(phase="voting")
    before = row_counts()
    response = client.patch(
        f"/api/v1/admin/elections/{election_id}", json={"name_en": "a\x00"}, headers=admin_headers
    )
    assert set(assert_error(response, 422, "validation_failed")) == {"name_en"}
    response = client.get(f"/api/v1/elections/{election_id}/results/files/a%00b")
    assert_error(response, 404, "not_found")
    response = client.post(
        f"/api/v1/elections/{election_id}/ballots", json={"token": "x\x00", "selections": {}}
    )
    assert set(assert_error(response, 422, "validation_failed")) == {"token"}
    assert row_counts() == before


def test_nan_in_rule_options_is_422(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    imported_election()
    response = client.patch(
        "/api/v1/admin/contests/1",
        data='{"rule_options": {"x": NaN}}',
        content_type="application/json",
        headers=admin_headers,
    )
    assert set(assert_error(response, 422, "validation_failed")) == {"rule_options"}


def test_schemathesis_finds_nothing_on_postgresql(
    app: Flask,
    imported_election: Callable[..., int],
    make_key: Callable[[int | None], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_schemathesis(app, imported_election, monkeypatch, make_key(None))
