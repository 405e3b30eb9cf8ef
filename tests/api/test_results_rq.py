"""With ``VOTESVC_REDIS_URL`` set, a count is queued on RQ and a worker runs it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from test_casting_limits import redis_socket  # noqa: F401 (the private redis-server fixture)
from voting_support import open_election

import votesvc
from votesvc.services import results

Headers = dict[str, str]


@pytest.fixture
def app_config(redis_socket: Path) -> dict[str, Any]:  # noqa: F811
    return {"VOTESVC_REDIS_URL": f"unix://{redis_socket}"}


def test_a_count_runs_on_an_rq_worker(
    app: Flask,
    imported_election: Callable[..., int],
    admin_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rq = pytest.importorskip("rq")
    redis = pytest.importorskip("redis")
    election_id = open_election(imported_election)
    client = app.test_client()
    client.post(f"/api/v1/admin/elections/{election_id}/close", headers=admin_headers)
    queued = client.post(
        f"/api/v1/admin/elections/{election_id}/count", json={"force": True}, headers=admin_headers
    ).get_json()
    assert queued["status"] == "queued"
    connection = redis.Redis.from_url(app.config["VOTESVC_REDIS_URL"])
    queue = rq.Queue(results.RQ_QUEUE, connection=connection)
    assert queue.count == 1
    monkeypatch.setattr(votesvc, "create_app", lambda: app)  # the worker's app: this test's
    rq.SimpleWorker([queue], connection=connection).work(burst=True)
    polled = client.get(f"/api/v1/admin/elections/{election_id}/count", headers=admin_headers)
    assert polled.get_json()["status"] == "done"
