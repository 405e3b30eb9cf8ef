"""Faults under gunicorn on PostgreSQL: no voter is left without a receipt.

Clients cast with a cast id of their own and retry whatever goes wrong (a reset connection, a
502 from a dying worker, a 503 while the database is away). Mid-load one gunicorn worker is
killed with SIGKILL and PostgreSQL is restarted: with ``VOTESVC_TEST_PG_RESTART`` set (CI sets
it to the cluster's restart command) the real server restarts; otherwise every connection of the
service is terminated, which is what a restart looks like from the service's side. Afterwards
every token has a receipt, the same one the database holds, and no ballot is stored twice.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import PG_URL, SECRET
from flask import Flask
from voting_support import issue, open_election

from votesvc.models import Ballot, Receipt, Token
from votesvc.models.base import db
from votesvc.services import keys

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_NAME = "votesvc-fault-test"
TOKENS, CLIENTS = 240, 8
DEADLINE = 120.0
"""Seconds the whole load may take before the test gives up (it takes a few)."""
ONE = {"city": {"choices": ["A1"]}}

pytestmark = pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import gunicorn"], check=False).returncode != 0,
    reason="gunicorn is not installed",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/api/v1/elections")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise AssertionError("gunicorn did not start serving")


@pytest.fixture
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """Two workers of ``wsgi:app`` on the test's PostgreSQL schema: (port, master pid)."""
    port = _free_port()
    env = {
        **os.environ,
        "VOTESVC_DATABASE_URL": f"{database_url}&application_name={APPLICATION_NAME}",
        "VOTESVC_SECRET_KEY": SECRET,
        "VOTESVC_INSTANCE_PATH": str(tmp_path / "instance"),
        "VOTESVC_CAST_LIMIT": "1000000 per minute",
        "VOTESVC_MIX_INTERVAL_SECONDS": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4"]
    command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "wsgi:app"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_until_serving(port, process)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _workers(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _restart_postgres() -> None:
    command = os.environ.get("VOTESVC_TEST_PG_RESTART")
    if command:
        subprocess.run(shlex.split(command), check=True, capture_output=True)
        return
    assert PG_URL is not None
    engine = sa.create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        )
    engine.dispose()


class Voter:
    """One voter's client: cast with a cast id, retry the same cast until an answer comes."""

    def __init__(self, port: int, election_id: int, token: str) -> None:
        self.port, self.election_id, self.token = port, election_id, token
        self.cast_id = secrets.token_urlsafe(16)
        self.receipt: str | None = None
        self.refusal: dict[str, Any] | None = None
        self.attempts = 0
        self.answered_at = 0.0

    def vote(self, deadline: float) -> None:
        body = json.dumps({"token": self.token, "selections": ONE, "cast_id": self.cast_id})
        while time.monotonic() < deadline:
            self.attempts += 1
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request(
                    "POST",
                    f"/api/v1/elections/{self.election_id}/ballots",
                    body=body,
                    headers={"Content-Type": "application/json"},
                )
                response = connection.getresponse()
                answer = json.loads(response.read() or b"{}")
            except (OSError, http.client.HTTPException, ValueError):
                time.sleep(0.05)  # the worker died under us, or the server is restarting
                continue
            finally:
                connection.close()
            if response.status == 201:
                self.receipt, self.answered_at = answer["receipt"], time.monotonic()
                return
            if response.status < 500:
                self.refusal = answer
                return
            time.sleep(0.05)  # 502/503: try the same cast again


def _run_voters(voters: list[Voter], faults: dict[int, Callable[[], None]]) -> None:
    """Every voter votes, ``CLIENTS`` at a time; ``faults[i]`` runs once voter i is done."""
    deadline = time.monotonic() + DEADLINE
    lock = threading.Lock()
    queue = list(enumerate(voters))

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index, voter = queue.pop(0)
            voter.vote(deadline)
            fault = faults.pop(index, None)
            if fault is not None:
                fault()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_killed_worker_and_a_restarted_database_leave_no_voter_without_a_receipt(
    app: Flask, imported_election: Callable[..., int], gunicorn: tuple[int, int]
) -> None:
    port, master = gunicorn
    election_id = open_election(imported_election)
    voters = [Voter(port, election_id, token.signed) for token in issue(app, election_id, TOKENS)]
    fault_times: list[float] = []

    def kill_a_worker() -> None:
        fault_times.append(time.monotonic())
        os.kill(_workers(master)[0], signal.SIGKILL)

    def restart_database() -> None:
        fault_times.append(time.monotonic())
        _restart_postgres()

    _run_voters(voters, {TOKENS // 3: kill_a_worker, 2 * TOKENS // 3: restart_database})

    assert [v.refusal for v in voters if v.refusal] == []
    assert all(v.receipt for v in voters), sum(1 for v in voters if not v.receipt)
    assert len({v.receipt for v in voters}) == TOKENS
    assert len(fault_times) == 2
    # the service answered casts again within seconds of each fault
    for moment in fault_times:
        later = [v.answered_at - moment for v in voters if v.answered_at > moment]
        assert later and min(later) < 30
    with app.app_context():
        # This process's own pool still holds connections from before the restart; without
        # pre-ping (config.engine_options) the first use of each would fail, as a worker's did.
        db.engine.dispose()
        stored = set(db.session.scalars(sa.select(Receipt.code_hash)))
        ballots = list(db.session.scalars(sa.select(Ballot.receipt_hash)))
        statuses = set(db.session.scalars(sa.select(Token.status)))
        assert stored == {keys.receipt_hash(v.receipt) for v in voters if v.receipt}
    assert sorted(ballots) == sorted(stored)  # one ballot per cast, none twice
    assert statuses == {"spent"}
