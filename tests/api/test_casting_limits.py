"""Voting settings from the environment, and where rate limits are kept: each worker's memory
by default (without a timer thread), Redis when configured."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import pytest
from api_assertions import assert_error, assert_rate_limited
from flask import Flask
from voting_support import GOOD, issue, open_election

from tests.conftest import make_app
from votesvc import create_app
from votesvc.app import settings_module
from votesvc.extensions import RateLimited, RouteLimiter, SweptMemoryStorage, limiter
from votesvc.models.base import db

config = settings_module()


def test_token_secrets_hash_key_and_redis_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "VOTESVC_SECRET_KEY": "s" * 40,
        "VOTESVC_TOKEN_SECRETS": f"{'n' * 32}, {'o' * 32}",
        "VOTESVC_TOKEN_HASH_KEY": "h" * 32,
        "VOTESVC_REDIS_URL": "redis://cache:6379/2",
        "VOTESVC_SYNC_GRACE_MINUTES": "90",
    }
    settings = config.load(tmp_path, environ, {})
    assert settings["VOTESVC_TOKEN_SECRETS"] == [b"n" * 32, b"o" * 32]
    assert settings["VOTESVC_TOKEN_HASH_KEY"] == b"h" * 32
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/2"
    assert settings["VOTESVC_SYNC_GRACE_MINUTES"] == 90
    defaults = config.load(tmp_path, {"VOTESVC_SECRET_KEY": "s" * 40}, {})
    assert defaults["VOTESVC_TOKEN_SECRETS"] == [b"s" * 40]
    assert defaults["RATELIMIT_STORAGE_URI"] == "votesvc-memory://"
    assert defaults["VOTESVC_MAIL_OUTBOX"] == str(tmp_path / "outbox")


def test_limits_are_kept_in_memory_by_default(tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 40})
    with app.app_context():
        assert isinstance(limiter.storage, SweptMemoryStorage)


def test_every_limit_of_a_route_counts_and_only_its_methods() -> None:
    """A limit string may hold several limits: the first one spent refuses, whichever it is;
    a method outside the route's ``methods`` is never counted."""
    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "votesvc-memory://"
    limits = RouteLimiter()
    limits.init_app(app)

    @app.route("/code", methods=["GET", "POST"])
    @limits.limit(lambda: "5 per minute;2 per hour", methods=["post"])
    def code() -> str:
        return "ok"

    answers = []
    with app.test_request_context("/code", method="GET"):
        for _ in range(4):
            answers.append(code())
    with app.test_request_context("/code", method="POST", environ_base={"REMOTE_ADDR": "a"}):
        answers += [code(), code()]
        with pytest.raises(RateLimited) as refused:
            code()
    assert answers == ["ok"] * 6
    assert refused.value.item.get_expiry() == 3600  # the hourly limit, not the minute's
    assert 3500 <= refused.value.seconds_to_retry() <= 3600
    with app.test_request_context("/code", method="POST", environ_base={"REMOTE_ADDR": "b"}):
        assert code() == "ok"  # per client address


@pytest.mark.parametrize("name", ["VOTESVC_CAST_LIMIT", "VOTESVC_CODE_LIMIT"])
def test_a_limit_that_does_not_parse_is_refused_at_start(tmp_path: Path, name: str) -> None:
    environ = {"VOTESVC_SECRET_KEY": "s" * 40, name: "30 a minute"}
    with pytest.raises(config.ConfigError, match=name):
        config.load(tmp_path, environ, {})


def test_the_memory_storage_counts_without_starting_threads() -> None:
    storage = SweptMemoryStorage()
    storage.timer.join()  # the one timer limits' constructor starts
    threads = threading.active_count()
    for expected in range(1, 201):
        assert storage.incr("client", 60) == expected
        assert threading.active_count() == threads


def test_the_memory_storage_sweeps_counters_of_clients_that_never_return(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_SECONDS", 0.0)  # every hit sweeps
    storage = SweptMemoryStorage()
    storage.incr("gone", 0)  # its window ends at once
    storage.incr("here", 60)
    assert "gone" not in storage.storage and "gone" not in storage.expirations
    assert storage.get("here") == 1


def test_the_memory_storage_sweeps_safely_while_other_threads_hit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hits sweep in the request thread: a counter another thread's sweep drops meanwhile must
    not make a hit fail (limits' own sweep indexed such keys and raised KeyError)."""
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_SECONDS", 0.0)
    storage = SweptMemoryStorage()
    storage.timer.join()  # the one timer limits' constructor starts: its own sweep, not ours
    failures: list[BaseException] = []
    switch = sys.getswitchinterval()

    def hit(thread: int) -> None:
        try:
            for n in range(2000):
                storage.incr(f"client-{thread}-{n}", 0)  # expires at once: every sweep has work
        except BaseException as error:  # collected and asserted below
            failures.append(error)

    workers = [threading.Thread(target=hit, args=(t,)) for t in range(8)]
    sys.setswitchinterval(1e-6)  # threads interleave between almost any two bytecodes
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(switch)
    assert failures == []


@pytest.fixture
def redis_socket(tmp_path: Path) -> Iterator[Path]:
    """A private redis-server on a Unix socket, read until it says it is ready."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    socket = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [server, "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "ready to accept connections" in line.lower():
            break
    else:
        pytest.fail("redis-server did not start")
    yield socket
    process.terminate()
    process.wait()
    process.stdout.close()


@pytest.fixture
def app_config(redis_socket: Path) -> dict[str, Any]:
    return {
        "RATELIMIT_STORAGE_URI": f"redis+unix://{redis_socket}",
        "VOTESVC_CAST_LIMIT": "1/minute",
    }


def test_redis_down_answers_503_and_stores_nothing(
    app: Flask, imported_election: Callable[..., int], database_url: str, tmp_path: Path
) -> None:
    """With the limits' Redis gone, a cast is refused as in a database outage, 503 with
    Retry-After, not a 500; nothing is stored, so the same token casts once Redis is back."""
    election_id = open_election(imported_election)
    [token] = issue(app, election_id, 1)
    gone = make_app(
        database_url,
        tmp_path / "gone",
        RATELIMIT_STORAGE_URI=f"redis+unix://{tmp_path / 'no-redis.sock'}",
        VOTESVC_CAST_LIMIT="1/minute",
    )
    url = f"/api/v1/elections/{election_id}/ballots"
    refused = gone.test_client().post(url, json={"token": token.signed, "selections": GOOD})
    assert_error(refused, 503, "service_unavailable")
    assert int(refused.headers["Retry-After"]) > 0
    with gone.app_context():
        db.engine.dispose()
    cast = app.test_client().post(url, json={"token": token.signed, "selections": GOOD})
    assert cast.status_code == 201


def test_casting_limits_are_counted_in_redis(
    app: Flask, imported_election: Callable[..., int], redis_socket: Path
) -> None:
    redis = pytest.importorskip("redis")
    election_id = open_election(imported_election)
    first, second = issue(app, election_id, 2)
    client = app.test_client()
    url = f"/api/v1/elections/{election_id}/ballots"
    assert client.post(url, json={"token": first.signed, "selections": GOOD}).status_code == 201
    refused = client.post(url, json={"token": second.signed, "selections": GOOD})
    assert_rate_limited(refused)  # Retry-After from the key's time to live in Redis
    connection = redis.Redis(unix_socket_path=str(redis_socket))
    assert any(b"cast_ballot" in key for key in connection.keys("*"))
    connection.close()


@pytest.mark.parametrize(
    ("environ", "refused"),
    [
        ({"WEB_CONCURRENCY": "2"}, True),
        ({"WEB_CONCURRENCY": "2", "VOTESVC_REDIS_URL": "redis://cache:6379/0"}, False),
        ({"WEB_CONCURRENCY": "1"}, False),
        ({}, False),
    ],
)
def test_production_with_several_workers_needs_shared_limits(
    tmp_path: Path, environ: dict[str, str], refused: bool
) -> None:
    production = {"VOTESVC_ENV": "production", "VOTESVC_SECRET_KEY": "s" * 40, **environ}
    if refused:
        with pytest.raises(config.ConfigError, match="Set VOTESVC_REDIS_URL"):
            config.load(tmp_path, production, {})
    else:
        config.load(tmp_path, production, {})
    config.load(tmp_path, {**production, "VOTESVC_ENV": "development"}, {})  # a laptop may


SERVER = """
import json, sys
from werkzeug.serving import make_server
from votesvc import create_app
server = make_server("127.0.0.1", 0, create_app(json.loads(sys.argv[1])), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@contextmanager
def _worker(settings: dict[str, Any]) -> Iterator[HTTPConnection]:
    """One server process on the shared database: a worker as gunicorn would fork it."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, json.dumps(settings)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        connection = HTTPConnection("127.0.0.1", int(process.stdout.readline()), timeout=60)
        yield connection
        connection.close()
    finally:
        process.terminate()
        process.wait()
        process.stdout.close()


@pytest.mark.parametrize(("storage", "allowed"), [("redis", 3), ("memory", 6)])
def test_two_workers_share_one_count_in_redis(
    app: Flask,
    imported_election: Callable[..., int],
    database_url: str,
    tmp_path: Path,
    redis_socket: Path,
    storage: str,
    allowed: int,
) -> None:
    """Casts alternate between two worker processes under a 3-a-minute limit: Redis lets 3
    through in all; memory storage 3 per worker, the reason production refuses it."""
    election_id = open_election(imported_election)
    tokens = issue(app, election_id, 8)
    uri = f"redis+unix://{redis_socket}" if storage == "redis" else "votesvc-memory://"
    settings = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "RATELIMIT_STORAGE_URI": uri,
        "VOTESVC_CAST_LIMIT": "3/minute",
    }
    statuses = []
    with _worker(settings) as first, _worker(settings) as second:
        for n, token in enumerate(tokens):
            connection = (first, second)[n % 2]
            body = json.dumps({"token": token.signed, "selections": GOOD})
            connection.request(
                "POST",
                f"/api/v1/elections/{election_id}/ballots",
                body,
                {"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    assert statuses.count(201) == allowed
    assert statuses.count(429) == len(tokens) - allowed
