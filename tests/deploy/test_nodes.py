"""Several app nodes behind the kit's nginx as load balancer, on one PostgreSQL and one Redis:
the same answers as one node, one rate limit across nodes, no ballot lost when a node dies
mid-load, counts on an RQ worker in a process of its own, published results from every node
(and from nginx's cache with every node down).

The nodes share the session's PostgreSQL schema and Redis database 14; they are started once
for the module and stopped (killed, if need be) at its end.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

import pytest
import sqlalchemy as sa
from deploy_support import MISSING, ROOT, Nginx, Node, call, node_environ
from deploy_support import redis_db as redis_db  # the module-scoped fixture
from flask import Flask
from voting_support import issue, open_election

from votesvc.models import Ballot, Receipt, Token
from votesvc.models.base import db
from votesvc.services import keys, results

pytestmark = [pytest.mark.pg, pytest.mark.skipif(bool(MISSING), reason=MISSING)]

NODES = 3
CODE_LIMIT = 4
ONE = {"city": {"choices": ["A1"]}}


@dataclass
class Cluster:
    nodes: list[Node]
    nginx: Nginx
    environ: dict[str, str]

    def log_since(self, since: int, lines: int) -> str:
        """nginx's log after byte ``since``, once it holds ``lines`` lines: nginx writes a
        request's line after sending its answer, so the client may read the answer first (a
        test read the log one line short once)."""
        deadline = time.monotonic() + 10
        while True:
            text = self.nginx.access_log.read_bytes()[since:].decode()
            if text.count("\n") >= lines or time.monotonic() > deadline:
                return text
            time.sleep(0.02)

    def upstreams_in_log(self, since: int, lines: int) -> set[str]:
        """The upstream addresses nginx logged for the ``lines`` requests after byte ``since``
        of its log."""
        text = self.log_since(since, lines)
        words = (word.rstrip(",") for line in text.splitlines() for word in line.split())
        return {word for word in words if word.startswith("127.0.0.1:")}

    def log_size(self) -> int:
        return self.nginx.access_log.stat().st_size if self.nginx.access_log.exists() else 0


@pytest.fixture(scope="module")
def cluster(
    pg_database: str, redis_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    environ = node_environ(
        pg_database,
        folder / "instance",
        VOTESVC_REDIS_URL=redis_db,
        VOTESVC_CODE_LIMIT=f"{CODE_LIMIT} per minute",
    )
    nodes = [Node(environ, threads=4) for _ in range(NODES)]
    nginx = Nginx(folder / "nginx", [node.port for node in nodes])
    try:
        for node in nodes:
            node.wait_ready()
        nginx.start()
        yield Cluster(nodes, nginx, environ)
    finally:
        nginx.stop()
        for node in nodes:
            node.stop()


def _answer(status: int, body: bytes) -> tuple[int, Any]:
    """An answer with what differs between two casts by design (the receipt) left out."""
    document = json.loads(body) if body else None
    if isinstance(document, dict) and "receipt" in document:
        document = {**document, "receipt": "<receipt>"}
    return status, document


def _scenario(port: int, election_id: int, tokens: list[str]) -> list[tuple[int, Any]]:
    """The same requests, as a voter and a reader would make them, answered by ``port``."""
    ballots = f"/api/v1/elections/{election_id}/ballots"
    good = {"token": tokens[0], "selections": ONE, "cast_id": secrets.token_urlsafe(16)}
    requests: list[tuple[str, str, Any]] = [
        ("GET", f"/api/v1/elections/{election_id}", None),
        ("POST", ballots, good),
        ("POST", ballots, good),  # the retry: the same receipt again
        ("POST", ballots, {"token": tokens[0], "selections": ONE}),  # spent
        ("POST", ballots, {"token": tokens[1], "selections": {"city": {"choices": ["A9"]}}}),
        ("POST", ballots, b'{"token": '),
        ("POST", ballots, {"token": "not-a-token", "selections": ONE}),
        ("GET", "/api/v1/elections/999999", None),
    ]
    answers = []
    receipts = []
    for method, path, body in requests:
        status, _, data = call(port, method, path, body)
        answers.append(_answer(status, data))
        if status in (200, 201) and method == "POST":
            receipts.append(json.loads(data)["receipt"])
    assert len(set(receipts)) == 1  # the retry got the first cast's receipt
    return answers


def test_casting_through_the_balancer_answers_as_one_node(
    cluster: Cluster, app: Flask, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    tokens = [token.signed for token in issue(app, election_id, 4)]
    before = cluster.log_size()
    balanced = _scenario(cluster.nginx.port, election_id, tokens[:2])
    assert len(cluster.upstreams_in_log(before, len(balanced))) > 1  # several nodes answered
    alone = _scenario(cluster.nodes[0].port, election_id, tokens[2:])
    assert balanced == alone
    assert [status for status, _ in balanced] == [200, 201, 201, 409, 422, 400, 422, 404]


def test_one_request_id_names_a_request_in_nginx_and_the_app(cluster: Cluster) -> None:
    """The caller's id when it is one the app accepts, else nginx's own: the app echoes the id
    nginx logged, so the two logs meet on it."""
    before = cluster.log_size()
    _, given, _ = call(cluster.nginx.port, "GET", "/healthz", None, {"X-Request-ID": "lb-0001-x"})
    _, made, _ = call(cluster.nginx.port, "GET", "/healthz", None, {"X-Request-ID": "bad id!"})
    assert given["x-request-id"] == "lb-0001-x"
    assert made["x-request-id"] != "bad id!" and len(made["x-request-id"]) == 32  # nginx's
    logged = cluster.log_since(before, 2)
    assert f"rid={given['x-request-id']}" in logged and f"rid={made['x-request-id']}" in logged


def test_a_rate_limit_holds_across_nodes(
    cluster: Cluster, app: Flask, imported_election: Callable[..., int]
) -> None:
    """Receipt checks are limited per client address (here 4 a minute, counted in Redis):
    nine checks spread over three nodes get four answers and five refusals, not twelve."""
    election_id = open_election(imported_election)
    before = cluster.log_size()
    statuses = []
    for _ in range(9):
        status, _, _ = call(
            cluster.nginx.port,
            "POST",
            f"/api/v1/elections/{election_id}/receipt-check",
            {"receipt": "0000-0000-0000-0000-0"},
            {"X-Forwarded-For": secrets.choice(["198.51.100.1", "203.0.113.9"])},  # ignored
        )
        statuses.append(status)
    assert len(cluster.upstreams_in_log(before, 9)) == NODES
    assert statuses == [404] * CODE_LIMIT + [429] * (9 - CODE_LIMIT)


def test_counts_run_on_an_rq_worker_and_every_node_serves_the_results(
    cluster: Cluster,
    app: Flask,
    imported_election: Callable[..., int],
    admin_headers: dict[str, str],
) -> None:
    election_id = open_election(imported_election)
    port = cluster.nginx.port
    for token in issue(app, election_id, 3):
        ballot = {"token": token.signed, "selections": ONE}
        assert call(port, "POST", f"/api/v1/elections/{election_id}/ballots", ballot)[0] == 201
    admin = f"/api/v1/admin/elections/{election_id}"
    assert call(port, "POST", f"{admin}/close", None, admin_headers)[0] == 200
    status, _, body = call(port, "POST", f"{admin}/count", {"force": True}, admin_headers)
    assert (status, json.loads(body)["status"]) == (202, "queued")
    worker = [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url"]
    done = subprocess.run(
        [*worker, cluster.environ["VOTESVC_REDIS_URL"], results.RQ_QUEUE],
        cwd=ROOT,
        env={**os.environ, **cluster.environ},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    status, _, body = call(port, "GET", f"{admin}/count", None, admin_headers)
    assert json.loads(body)["status"] == "done"
    assert call(port, "POST", f"{admin}/publish", None, admin_headers)[0] == 201

    published = f"/api/v1/elections/{election_id}/results"
    files = json.loads(call(port, "GET", published)[2])["files"]
    for name, digest in files.items():
        for node in cluster.nodes:
            status, headers, data = call(node.port, "GET", f"{published}/files/{name}")
            assert status == 200 and hashlib.sha256(data).hexdigest() == digest
            assert "immutable" in headers["cache-control"]
        status, _, data = call(port, "GET", f"{published}/files/{name}")  # into nginx's cache
        assert status == 200 and hashlib.sha256(data).hexdigest() == digest
    page = f"/elections/{election_id}/results"
    pages = {call(node.port, "GET", page)[2] for node in cluster.nodes}
    assert len(pages) == 1  # every node renders the same published page
    assert call(port, "GET", page)[0] == 200
    with _all_nodes_down(cluster):  # nginx alone still serves what the nodes said to keep
        for name, digest in files.items():
            status, _, data = call(port, "GET", f"{published}/files/{name}")
            assert status == 200 and hashlib.sha256(data).hexdigest() == digest
        assert call(port, "GET", page)[2] in pages
        status, headers, body = call(port, "GET", f"/api/v1/elections/{election_id}")
        assert status == 502  # not cacheable: nginx's own refusal, in the API's shape
        assert json.loads(body)["error"]["code"] == "upstream_unavailable"


class _all_nodes_down:
    """Stop every node for the block, then start each again on its port."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def __enter__(self) -> None:
        for node in self.cluster.nodes:
            node.kill()

    def __exit__(self, *_: object) -> None:
        self.cluster.nodes[:] = [node.restarted() for node in self.cluster.nodes]


TOKENS, CLIENTS = 180, 8
DEADLINE = 180.0


class Voter:
    """One voter's client through the balancer: cast with a cast id, and send the same cast
    again until an answer comes (a reset connection, nginx's 502 when the node died under the
    request)."""

    def __init__(self, port: int, election_id: int, token: str) -> None:
        self.port, self.election_id = port, election_id
        self.body = {"token": token, "selections": ONE, "cast_id": secrets.token_urlsafe(16)}
        self.receipt: str | None = None
        self.refusal: Any = None
        self.attempts = 0

    def vote(self, deadline: float) -> None:
        path = f"/api/v1/elections/{self.election_id}/ballots"
        while time.monotonic() < deadline:
            self.attempts += 1
            try:
                status, _, data = call(self.port, "POST", path, self.body, timeout=30)
            except (OSError, HTTPException):
                continue
            if status in (200, 201):
                self.receipt = json.loads(data)["receipt"]
                return
            if status < 500:
                self.refusal = json.loads(data)
                return


def test_a_node_killed_mid_load_loses_no_ballot_and_leaves_no_voter_without_a_receipt(
    cluster: Cluster, app: Flask, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    port = cluster.nginx.port
    voters = [Voter(port, election_id, t.signed) for t in issue(app, election_id, TOKENS)]
    deadline = time.monotonic() + DEADLINE
    queue = list(voters)
    lock = threading.Lock()
    victim = cluster.nodes[1]
    killed = threading.Event()

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                voter = queue.pop(0)
                kill = len(queue) == TOKENS // 2 and not killed.is_set()
                if kill:
                    killed.set()
            if kill:
                victim.kill()  # mid-load: other clients' casts are in flight on it
            voter.vote(deadline)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cluster.nodes[1] = victim.restarted()

    assert killed.is_set()
    assert [v.refusal for v in voters if v.refusal] == []
    assert all(v.receipt for v in voters), sum(1 for v in voters if not v.receipt)
    assert len({v.receipt for v in voters}) == TOKENS
    with app.app_context():
        stored = set(db.session.scalars(sa.select(Receipt.code_hash)))
        ballots = list(db.session.scalars(sa.select(Ballot.receipt_hash)))
        statuses = set(db.session.scalars(sa.select(Token.status)))
        assert stored == {keys.receipt_hash(v.receipt) for v in voters if v.receipt}
    assert sorted(ballots) == sorted(stored)  # one ballot per accepted cast, none twice
    assert statuses == {"spent"}
