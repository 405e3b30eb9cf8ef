"""Slow clients and floods: what nginx in front changes, and nginx's own answers.

A client that sends half a request and waits holds a gunicorn thread for as long as it likes
(a gthread worker reads each request on one of its threads); nginx reads every request whole
before passing it on, so the same clients hold only nginx connections, until its header or
body timeout: then nginx closes the connection without an answer. nginx's own refusals on the
API's paths (a body or headers too large, no node answering or one too slow) come in the API's
error shape, in the caller's language; on the pages' paths they are pages
(``test_nginx_pages.py``).
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from deploy_support import (
    KIT_THREADS,
    MISSING,
    Nginx,
    Node,
    call,
    free_port,
    node_environ,
    raw_request,
    served_page,
)
from deploy_support import redis_db as redis_db  # the module-scoped fixture

pytestmark = [pytest.mark.pg, pytest.mark.skipif(bool(MISSING), reason=MISSING)]


@pytest.fixture(scope="module")
def node(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """One node, one worker with the kit's threads (the kit runs two such workers per core)."""
    folder = tmp_path_factory.mktemp("slow")
    started = Node(node_environ(pg_database, folder / "instance"), workers=1)
    try:
        yield started.wait_ready()
    finally:
        started.stop()


@pytest.fixture(scope="module")
def nginx(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    proxy = Nginx(tmp_path_factory.mktemp("slow-nginx"), [node.port]).start()
    try:
        yield proxy
    finally:
        proxy.stop()


PARTIAL = (
    b"POST /api/v1/elections/1/ballots HTTP/1.1\r\nHost: vote.example.kr\r\n"
    b"Content-Type: application/json\r\nContent-Length: 400\r\n\r\n"
    b'{"token": "'
)
"""The headers of a cast and the first bytes of its body; the rest never comes."""


@contextmanager
def _partial_clients(port: int, count: int) -> Iterator[None]:
    """``count`` connections that each send part of a request and wait; closed on exit."""
    with ExitStack() as stack:
        for n in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
            sock.sendall(PARTIAL if n % 2 else PARTIAL.split(b"\r\n\r\n")[0])  # mid-headers too
        yield


def _probe(port: int, timeout: float) -> socket.socket:
    """A complete request (``GET /healthz``) sent on a new connection; read its answer later."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(timeout)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: vote.example.kr\r\nConnection: close\r\n\r\n")
    return sock


def test_slow_clients_stall_bare_gunicorn_until_they_let_go(node: Node) -> None:
    """Twice as many half-sent requests as the worker has threads hold every thread (and as
    many more wait in its queue): a complete request gets no answer while they hold on, and its
    answer once they let go."""
    with _probe_after(node.port, 2 * KIT_THREADS) as probe, pytest.raises(TimeoutError):
        probe.recv(1)  # nothing while the slow clients hold every thread
    probe.settimeout(60)
    assert probe.recv(64).startswith(b"HTTP/1.1 200")
    probe.close()


@contextmanager
def _probe_after(port: int, slow: int) -> Iterator[socket.socket]:
    with _partial_clients(port, slow):
        probe = _probe(port, timeout=3)
        yield probe


def test_sixty_four_slow_clients_do_not_stall_the_node_behind_nginx(
    node: Node, nginx: Nginx
) -> None:
    with _probe_after(nginx.port, 64) as probe:
        probe.settimeout(60)
        assert probe.recv(64).startswith(b"HTTP/1.1 200")
        status, _, _ = call(nginx.port, "GET", "/api/v1/elections")
        assert status == 200
    probe.close()


def _assert_envelope(
    answer: tuple[int, dict[str, str], bytes], status: int, code: str, lang: str
) -> None:
    got, headers, body = answer
    assert got == status
    assert headers["content-type"] == "application/json"
    assert headers["content-language"] == lang
    assert len(headers["x-request-id"]) >= 8
    error = json.loads(body)["error"]
    assert isinstance(error, dict)
    assert (error["code"], error["fields"]) == (code, {})
    assert error["message"]


HEAD = b"Host: vote.example.kr\r\nConnection: close\r\n"


@pytest.mark.parametrize(("accept", "lang"), [(b"en-GB,en;q=0.8", "en"), (b"ko-KR,ko", "ko")])
def test_nginx_refusals_come_in_the_api_error_shape(nginx: Nginx, accept: bytes, lang: str) -> None:
    language = b"Accept-Language: " + accept + b"\r\n"
    ballots = b"/api/v1/elections/1/ballots"
    too_large = b"Content-Length: %d\r\n" % (16 * 1024 * 1024 + 1)
    cases = [
        (b"POST " + ballots + b" HTTP/1.1\r\n" + HEAD + language + too_large, 413),
        (b"GET " + ballots + b" HTTP/1.1\r\n" + HEAD + language + b"X-Big: " + b"x" * 9000, 431),
        (b"GET /api/v1/elections HTTP/1.1\r\n" + HEAD + language + b"Host: two\r\n", 400),
    ]
    codes = {413: "payload_too_large", 431: "headers_too_large", 400: "bad_request"}
    for request, status in cases:
        _assert_envelope(raw_request(nginx.port, request + b"\r\n"), status, codes[status], lang)


def test_no_node_or_a_hung_node_is_a_502_or_504_json_or_page(tmp_path: Path) -> None:
    hung = socket.socket()  # accepts into its backlog, never answers
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    cases = [([free_port()], 502, "upstream_unavailable"), ([hung.getsockname()[1]], 504, "")]
    try:
        for n, (upstreams, status, code) in enumerate(cases):
            quick = {"proxy_read_timeout 60s": "proxy_read_timeout 1s"}
            proxy = Nginx(tmp_path / str(n), upstreams, changes=quick).start()
            asked = HEAD + b"X-Request-ID: abc-1234\r\n\r\n"
            try:
                answer = raw_request(proxy.port, b"GET /api/v1/elections HTTP/1.1\r\n" + asked)
                page = raw_request(proxy.port, b"GET /e/1 HTTP/1.1\r\n" + asked)
            finally:
                proxy.stop()
            _assert_envelope(answer, status, code or "upstream_timeout", "en")
            assert answer[1]["x-request-id"] == "abc-1234"  # the caller's id, kept
            assert (page[0], page[1]["content-type"]) == (status, "text/html; charset=utf-8")
            expected = served_page(status, "ko", "abc-1234")  # with the id to quote
            assert page[2].decode("utf-8") == expected
    finally:
        hung.close()


CUT_SHORT = {
    "half a request line": b"GET /elections/1 HT",
    "half the headers": b"GET /elections/1 HTTP/1.1\r\nHost: vote.example.kr\r\nAccept-Lan",
    "a page's headers, half its body": (
        b"POST /elections/1/vote HTTP/1.1\r\nHost: vote.example.kr\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\ncode=AB"
    ),
    "a cast's headers, half its body": PARTIAL,
}
"""Requests that stop halfway and wait: the header timeout's cases, then the body timeout's."""


def test_a_request_that_stops_halfway_is_closed_unanswered(tmp_path: Path) -> None:
    """Past ``client_header_timeout`` or ``client_body_timeout`` nginx sends nothing, not even
    a 408 (its access log says 408, with no bytes sent), and closes the connection; the
    timeouts are 2 s here instead of the kit's 10 s."""
    quick = {"_timeout 10s;": "_timeout 2s;"}
    proxy = Nginx(tmp_path, [free_port()], changes=quick).start()
    try:
        for request in CUT_SHORT.values():
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=60) as sock:
                started = time.monotonic()
                sock.sendall(request)
                assert sock.recv(65536) == b""  # closed, and nothing before
                assert time.monotonic() - started >= 1.5  # at the timeout (2 s), not at once
    finally:
        proxy.stop()
    logged = proxy.access_log.read_text(encoding="utf-8").splitlines()
    assert [re.search(r'" (\d+) (\d+) ', line).groups() for line in logged] == [("408", "0")] * 4
