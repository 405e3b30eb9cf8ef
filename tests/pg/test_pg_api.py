"""PostgreSQL-only checks: 64-bit money, races on unique keys, the API end to end.

Every test here is marked ``pg`` by tests/conftest.py and runs in the session's own schema.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from votesvc.services import common, elections

Headers = dict[str, str]
ADMIN = "/api/v1/admin"
NEW = {
    "slug": "race",
    "name_ko": "경합",
    "starts_at": "2026-01-01T00:00:00",
    "ends_at": "2026-02-01T00:00:00",
}


def test_the_database_is_postgresql(app: Flask) -> None:
    from votesvc.models.base import db

    with app.app_context():
        assert db.engine.dialect.name == "postgresql"


def test_costs_up_to_two_to_the_53_round_trip(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    imported_election()
    big = 2**53
    contest = client.patch(f"{ADMIN}/contests/1", json={"budget": big}, headers=admin_headers)
    assert contest.status_code == 200 and contest.get_json()["budget"] == big
    agenda = client.patch(f"{ADMIN}/agendas/1", json={"cost": big}, headers=admin_headers)
    assert agenda.status_code == 200
    assert client.get(f"{ADMIN}/agendas/1", headers=admin_headers).get_json()["cost"] == big


def _concurrently(app: Flask, headers: Headers, count: int) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def create(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"{ADMIN}/elections", json=NEW, headers=headers)
        results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=create, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _check_one_winner(results: list[Any]) -> None:
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (len(results) - 1), results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "duplicate"


def test_racing_creates_give_one_201_and_409s(app: Flask, admin_headers: Headers) -> None:
    _check_one_winner(_concurrently(app, admin_headers, 8))


def test_the_database_constraint_alone_gives_409_not_500(
    app: Flask, admin_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the service's own check out of the way every loser hits the unique index."""
    monkeypatch.setattr(elections, "ensure_unique", lambda *args, **kwargs: None)
    assert common.ensure_unique is not elections.ensure_unique
    _check_one_winner(_concurrently(app, admin_headers, 8))


def test_import_open_and_read_publicly(
    client: FlaskClient,
    admin_headers: Headers,
    election_document: dict[str, Any],
    row_counts: Callable[[], dict[str, int]],
) -> None:
    response = client.post(
        f"{ADMIN}/elections/import", json=election_document, headers=admin_headers
    )
    assert response.status_code == 201
    election_id = response.get_json()["id"]
    before = row_counts()
    election_document["slug"] = "second"
    election_document["contests"][0]["agendas"][1]["cost"] = -1
    refused = client.post(
        f"{ADMIN}/elections/import", json=election_document, headers=admin_headers
    )
    assert refused.status_code == 422
    assert row_counts() == before
    opened = client.post(
        f"{ADMIN}/elections/{election_id}/phase", json={"phase": "voting"}, headers=admin_headers
    )
    assert opened.status_code == 200
    public = client.get(f"/api/v1/elections/{election_id}").get_json()
    assert public["starts_at"] == "2025-05-01T09:00:00+09:00"
    assert [a["cost"] for a in public["contests"][0]["agendas"]] == [400_000, 500_000, 300_000]
