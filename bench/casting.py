"""Casting speed on PostgreSQL under gunicorn: the full path beside a bare endpoint and SQL.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/casting.py [--casts 4000] [--clients 16] [--sync-ballots 10000]

One run, one fresh database (``--database-url``, default a ``votesvc_bench_casting`` database on the
local PostgreSQL, dropped and created again), three servers' worth of figures:

- **full path**: ``POST /api/v1/elections/<id>/ballots`` over HTTP (marshmallow, signature,
  validation by the counting core, the one conditional spend, receipt and ballots in one
  transaction, the JSON answer, the rate limiter counting in memory) from ``--clients``
  concurrent keep-alive clients, under gunicorn gthread workers (``--workers`` × ``--threads``);
- **bare endpoint**: ``bench/casting_bare.py``, Flask + SQLAlchemy doing only the UPDATE and the
  INSERT in one transaction, same gunicorn settings, same engine options, same clients; the two
  take turns (``--rounds``) so that the machine's load falls on both alike;
- **direct SQL**: pgbench running the same two statements in a transaction, 1 and 8 clients;
- **kiosk sync**: ``POST .../booths/<id>/sync`` in batches of 500 signed offline ballots, one
  client at a time (a booth's kiosk syncs alone).

Prints rates, p50/p99 latency, the full path's share of the bare rate, and the load average:
the machine is shared, so figures are only comparable within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from votesvc import create_app
from votesvc.models.base import db
from votesvc.services import batches, importing, keys, kiosks
from votesvc.voting import shortcodes

ROOT = Path(__file__).resolve().parents[1]

SECRET = "bench-secret-" + "x" * 40
SELECTION = {"city": {"choices": ["A01", "A03", "A07"]}}
AGENDAS = [{"code": f"A{i:02d}", "title_ko": f"안건 {i}", "cost": 50_000 * i} for i in range(1, 11)]
ELECTION = {
    "slug": "bench",
    "name_ko": "벤치마크 선거",
    "contests": [
        {
            "code": "city",
            "title_ko": "시 전체",
            "budget": 1_000_000,
            "ballot_type": "approval",
            "rule": "greedy",
            "max_selections": 5,
            "knapsack_cap": True,
            "agendas": AGENDAS,
        }
    ],
    "booths": [{"code": "b1", "name_ko": "주민센터"}],
    "phase": "voting",
}
PGBENCH_TOKENS = 200_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_database(url: str) -> None:
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def prepare(url: str, casts: int, sync_ballots: int) -> dict[str, Any]:
    """Migrate, load the election, issue and sign every token the run needs."""
    app = create_app()
    now = datetime.now(UTC)
    document = {**ELECTION, "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(1)}
    document = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in document.items()}
    with app.app_context():
        flask_migrate.upgrade()
        election = importing.import_election(importing.parse_election_document(document))
        election_id, booth_id = election.id, election.booths[0].id
        contest_id = election.contests[0].id
        full = batches.batch_tokens(batches.issue_batch(election_id, {"size": casts}))
        bare = batches.batch_tokens(batches.issue_batch(election_id, {"size": casts}))
        offline = batches.batch_tokens(
            batches.issue_batch(election_id, {"size": sync_ballots, "booth_id": booth_id})
        )
        kiosk = kiosks.provision_kiosk(election_id, booth_id, "bench")
        _, receipt = keys.new_receipt()
        db.session.execute(
            sa.text(
                "INSERT INTO receipt (code_hash, election_id, recorded_at) VALUES (:h, :e, :t)"
            ),
            {"h": receipt, "e": election_id, "t": keys.coarse(now)},
        )
        db.session.execute(
            sa.text(
                "INSERT INTO token (id_hash, election_id, channel, status) "
                "SELECT md5(i::text) || md5(i::text), :e, 'online', 'unused' "
                "FROM generate_series(1, :n) AS i"
            ),
            {"e": election_id, "n": PGBENCH_TOKENS},
        )
        db.session.commit()
        bare_hashes = [keys.token_hash(token.token_id) for token in bare]
        db.engine.dispose()
    return {
        "election_id": election_id,
        "booth_id": booth_id,
        "contest_id": contest_id,
        "full": [token.signed for token in full],
        "bare": bare_hashes,
        "offline": [token.signed for token in offline],
        "kiosk": kiosk["credential"],
        "receipt": receipt,
    }


def start_gunicorn(target: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(ROOT / ".venv" / "bin")) or "gunicorn"
    process = subprocess.Popen(
        [
            gunicorn,
            "-k",
            "gthread",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn {target} did not start")


def keep_alive_clients(
    port: int,
    method: str,
    path: str,
    bodies: Sequence[str | None],
    clients: int,
    headers: dict[str, str],
    own_headers: Sequence[dict[str, str]] | None = None,
) -> tuple[list[float], dict[int, int]]:
    """Send one request per body from ``clients`` keep-alive connections sharing the list;
    every request's latency and the count of each status (used by every HTTP bench).
    ``own_headers[i]`` adds to ``headers`` for request ``i`` (a page's session cookie)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    position = iter(range(len(bodies)))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        codes: dict[int, int] = {}
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                break
            started = time.perf_counter()
            sent = headers if own_headers is None else {**headers, **own_headers[index]}
            connection.request(method, path, body=bodies[index], headers=sent)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            codes[response.status] = codes.get(response.status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def summarise(latencies: list[float], statuses: dict[int, int], wall: float) -> dict[str, Any]:
    """Rate, p50 and p99 of one load run."""
    latencies = sorted(latencies)
    return {
        "requests": len(latencies),
        "rate": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "statuses": statuses,
    }


def load(
    port: int, path: str, bodies: Sequence[str], clients: int, headers: dict[str, str]
) -> dict[str, Any]:
    """POST every body once from ``clients`` keep-alive connections; rate and latencies."""
    started = time.perf_counter()
    latencies, statuses = keep_alive_clients(port, "POST", path, bodies, clients, headers)
    return summarise(latencies, statuses, time.perf_counter() - started)


@dataclass(frozen=True)
class Target:
    """One side of an alternating run: requests to ``path`` on ``port``, one per body;
    ``own_headers[i]`` goes with body ``i`` (a page's session cookie)."""

    port: int
    path: str
    bodies: Sequence[str | None]
    method: str = "POST"
    own_headers: Sequence[dict[str, str]] | None = None


def alternating(
    targets: Sequence[Target], rounds: int, clients: int, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """Each target's requests sent in ``rounds`` chunks, the targets taking turns (full,
    bare, full, bare, ...): the machine is shared, and a change in its load during the run
    then falls on every target alike. One summary per target, its rate over the time of its
    own chunks only."""
    latencies: list[list[float]] = [[] for _ in targets]
    statuses: list[dict[int, int]] = [{} for _ in targets]
    walls = [0.0] * len(targets)
    for turn in range(rounds):
        for index, target in enumerate(targets):
            share = len(target.bodies) // rounds
            end = (turn + 1) * share if turn < rounds - 1 else None
            chunk = slice(turn * share, end)
            own = None if target.own_headers is None else target.own_headers[chunk]
            started = time.perf_counter()
            times, codes = keep_alive_clients(
                target.port, target.method, target.path, target.bodies[chunk], clients, headers, own
            )
            walls[index] += time.perf_counter() - started
            latencies[index].extend(times)
            for code, count in codes.items():
                statuses[index][code] = statuses[index].get(code, 0) + count
    return [summarise(latencies[i], statuses[i], walls[i]) for i in range(len(targets))]


def pgbench(url: str, election_id: int, contest_id: int, receipt: str, clients: int) -> float:
    target = make_url(url)
    script = (
        f"\\set i random(1, {PGBENCH_TOKENS})\n"
        "BEGIN;\n"
        "UPDATE token SET status = 'spent', spent_at = date_trunc('hour', now()) "
        "WHERE id_hash = md5(:i::text) || md5(:i::text) AND status = 'unused';\n"
        "INSERT INTO ballot (id, election_id, contest_id, channel, content, cast_at, "
        f"receipt_hash) VALUES (md5(random()::text), {election_id}, {contest_id}, 'online', "
        f"'{{\"choices\":[\"A01\"]}}', date_trunc('hour', now()), '{receipt}');\n"
        "END;\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    command = ["pgbench", "-n", "-f", file.name, "-c", str(clients), "-j", str(min(clients, 2))]
    command += ["-T", "8", "-h", target.host or "127.0.0.1", "-p", str(target.port or 5432)]
    command += ["-U", target.username or "postgres", target.database or "postgres"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(file.name)
    line = next(line for line in output.splitlines() if line.startswith("tps"))
    return float(line.split()[2])


def kiosk_sync(port: int, data: dict[str, Any], batch: int) -> dict[str, Any]:
    cast_at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    bodies = []
    offline = data["offline"]
    for start in range(0, len(offline), batch):
        ballots = [
            {
                "id": shortcodes.format_code(secrets.token_bytes(keys.RECEIPT_BYTES)),  # a kiosk's
                "token": token,
                "cast_at": cast_at,
                "selections": SELECTION,
            }
            for token in offline[start : start + batch]
        ]
        bodies.append(json.dumps({"ballots": ballots}))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {data['kiosk']}"}
    path = f"/api/v1/elections/{data['election_id']}/booths/{data['booth_id']}/sync"
    result = load(port, path, bodies, 1, headers)
    result["ballots_per_s"] = result["rate"] * batch
    return result


def http_row(run: dict[str, Any]) -> str:
    """One load run as a table row."""
    return (
        f"{run['rate']:8.0f} /s   p50 {run['p50_ms']:6.1f} ms   p99 {run['p99_ms']:6.1f} ms"
        f"   ({run['requests']} requests, statuses {run['statuses']})"
    )


def report(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def bench_parser(doc: str | None, database: str) -> argparse.ArgumentParser:
    """The options every HTTP bench shares: the database, the clients and gunicorn's size."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "VOTESVC_BENCH_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
        ),
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    return parser


def bench_environment(database_url: str, **settings: str) -> str:
    """Point votesvc (and the gunicorn it starts) at a fresh database and a throwaway
    instance folder; returns that folder."""
    instance = tempfile.mkdtemp(prefix="votesvc-bench-")
    os.environ.update(
        {
            "VOTESVC_DATABASE_URL": database_url,
            "VOTESVC_SECRET_KEY": SECRET,
            "VOTESVC_INSTANCE_PATH": instance,
            **settings,
        }
    )
    fresh_database(database_url)
    return instance


def main(argv: Sequence[str] | None = None) -> None:
    parser = bench_parser(__doc__, "votesvc_bench_casting")
    parser.add_argument("--casts", type=int, default=4000)
    parser.add_argument("--sync-ballots", type=int, default=10_000)
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns the full path and the bare endpoint take"
    )
    args = parser.parse_args(argv)
    instance = bench_environment(args.database_url, VOTESVC_CAST_LIMIT="100000000/minute")
    print(f"preparing: {args.casts} + {args.casts} online tokens, {args.sync_ballots} booth tokens")
    data = prepare(args.database_url, args.casts, args.sync_ballots)
    json_headers = {"Content-Type": "application/json"}
    full_bodies = [json.dumps({"token": t, "selections": SELECTION}) for t in data["full"]]
    content = '{"choices":["A01","A03","A07"]}'
    bare_bodies = [
        json.dumps({"id_hash": h, "content": content, "receipt_hash": data["receipt"]})
        for h in data["bare"]
    ]
    runs: dict[str, Any] = {}
    servers: list[subprocess.Popen] = []
    try:
        full_port, bare_port = free_port(), free_port()
        servers.append(start_gunicorn("wsgi:app", full_port, args.workers, args.threads))
        servers.append(
            start_gunicorn("bench.casting_bare:app", bare_port, args.workers, args.threads)
        )
        election, contest = data["election_id"], data["contest_id"]
        warm = args.clients * 4
        load(
            full_port, f"/api/v1/elections/{election}/ballots", full_bodies[:warm], 4, json_headers
        )
        load(bare_port, f"/bare/{election}/{contest}", bare_bodies[:warm], 4, json_headers)
        runs["full"], runs["bare"] = alternating(
            [
                Target(full_port, f"/api/v1/elections/{election}/ballots", full_bodies[warm:]),
                Target(bare_port, f"/bare/{election}/{contest}", bare_bodies[warm:]),
            ],
            args.rounds,
            args.clients,
            json_headers,
        )
        runs["sync"] = kiosk_sync(full_port, data, 500)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    runs["sql1"] = pgbench(args.database_url, election, contest, data["receipt"], 1)
    runs["sql8"] = pgbench(args.database_url, election, contest, data["receipt"], 8)
    shutil.rmtree(instance, ignore_errors=True)

    print(
        f"\ngunicorn gthread {args.workers} x {args.threads}, {args.clients} clients; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    report(
        [
            ("full casting path", http_row(runs["full"])),
            ("bare Flask endpoint", http_row(runs["bare"])),
            ("full / bare", f"{runs['full']['rate'] / runs['bare']['rate']:8.0%}"),
            ("direct SQL, 1 client", f"{runs['sql1']:8.0f} /s (pgbench)"),
            ("direct SQL, 8 clients", f"{runs['sql8']:8.0f} /s (pgbench)"),
            (
                "kiosk sync, 500/batch",
                f"{runs['sync']['ballots_per_s']:8.0f} ballots/s   "
                f"p50 {runs['sync']['p50_ms']:.0f} ms a batch   "
                f"statuses {runs['sync']['statuses']}",
            ),
        ]
    )


if __name__ == "__main__":
    main()
