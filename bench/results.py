"""Results speed on PostgreSQL: close-count-publish of a large election, then the published
results endpoint under gunicorn, fresh and revalidated.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/results.py [--voters 100000] [--requests 20000] [--clients 16]

One run, one fresh database (``--database-url``, default a ``votesvc_bench_results`` database on
the local PostgreSQL, dropped and created again):

- **close, count, publish**: ``--voters`` voters, each with a ballot in each of 3 contests
  (approval with a knapsack cap under greedy, cumulative points under greedy, ranked under
  RCTab IRV), stored with multi-row INSERTs as casting stores them; then the services close
  the election, count it on the background thread (GROUP BY aggregation, the counting core),
  and publish (anonymised, shuffled .pb/CSV/RCV files, digests, rendered JSON), each timed;
- **results endpoint**: ``GET /api/v1/elections/<id>/results`` from ``--clients`` keep-alive
  connections spread over ``--processes`` client processes (a Python client in one process is
  GIL-bound well below the server), under gunicorn gthread workers; then the same with
  ``If-None-Match`` (304, no body) and the per-contest document;
- **the same three with wrk**, when ``wrk`` is on the PATH (``apt-get install wrk``): the same
  connections for ``--wrk-seconds`` each from one C process with 2 threads. The Python client
  spends about as much CPU per request as the server, so on 2 shared cores its figures say as
  much about the client as about votesvc; wrk's are closer to what the server can do. Without
  wrk those rows say it is absent and the Python figures stand alone.

The clients share the 2 cores with the server, so the rates are what the whole machine does;
the load average (1 minute) is printed beside each run.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import resource
import secrets
import shutil
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import flask_migrate
import sqlalchemy as sa
from casting import (
    bench_environment,
    bench_parser,
    free_port,
    http_row,
    keep_alive_clients,
    report,
    start_gunicorn,
    summarise,
)

from votesvc import create_app
from votesvc.models import Ballot, Election, Receipt
from votesvc.models.base import db
from votesvc.services import importing, publication, results
from votesvc.services.contests import core_contest
from votesvc.services.selections import canonical_content

AGENDAS = 20
CHUNK = 20_000


def _agendas(prefix: str) -> list[dict[str, Any]]:
    return [
        {"code": f"{prefix}{i:02d}", "title_ko": f"안건 {prefix}{i}", "cost": 40_000 * i}
        for i in range(1, AGENDAS + 1)
    ]


def election_document() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "slug": "bench-results",
        "name_ko": "결과 벤치마크",
        "starts_at": (now - timedelta(days=2)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "phase": "voting",
        "contests": [
            {
                "code": "city",
                "title_ko": "시 전체",
                "budget": 2_000_000,
                "ballot_type": "approval",
                "rule": "greedy",
                "max_selections": 5,
                "knapsack_cap": True,
                "agendas": _agendas("A"),
            },
            {
                "code": "north",
                "title_ko": "북구",
                "budget": 1_500_000,
                "ballot_type": "cumulative",
                "rule": "greedy",
                "points_total": 10,
                "max_points_per_agenda": 5,
                "agendas": _agendas("N"),
            },
            {
                "code": "rank",
                "title_ko": "선호 투표",
                "budget": 1_000_000,
                "ballot_type": "ordinal",
                "rule": "irv",
                "max_ranks": 3,
                "agendas": _agendas("R"),
            },
        ],
        "booths": [{"code": "b1", "name_ko": "주민센터"}],
    }


def _selections(rng: random.Random) -> dict[str, tuple[list[str], list[int]]]:
    """One voter's selections in the three contests, drawn with a popularity skew."""
    weights = [1 / (i + 1) for i in range(AGENDAS)]

    def pick(k: int, prefix: str) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < k:
            code = f"{prefix}{rng.choices(range(1, AGENDAS + 1), weights)[0]:02d}"
            if code not in chosen:
                chosen.append(code)
        return chosen

    return {
        "city": (pick(rng.randint(1, 3), "A"), []),
        "north": (pick(2, "N"), [rng.randint(1, 5), 5]),
        "rank": (pick(rng.randint(1, 3), "R"), []),
    }


def store_ballots(election: Election, voters: int, seed: int) -> None:
    """Receipts and ballots as casting stores them (canonical contents, coarse hour), in
    multi-row INSERTs of ``CHUNK`` voters."""
    rng = random.Random(seed)
    cores = {c.code: (c.id, core_contest(c)) for c in election.contests}
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    for start in range(0, voters, CHUNK):
        receipts, ballots = [], []
        for _ in range(min(CHUNK, voters - start)):
            code_hash = secrets.token_hex(32)
            receipts.append(
                {"code_hash": code_hash, "election_id": election.id, "recorded_at": hour}
            )
            for code, (choices, points) in _selections(rng).items():
                contest_id, core = cores[code]
                ballots.append(
                    {
                        "id": secrets.token_hex(16),
                        "election_id": election.id,
                        "contest_id": contest_id,
                        "channel": "online"
                        if rng.random() < 0.7
                        else f"booth-{election.booths[0].id}",
                        "content": canonical_content(core, choices, points),
                        "cast_at": hour,
                        "receipt_hash": code_hash,
                    }
                )
        db.session.execute(sa.insert(Receipt), receipts)
        db.session.execute(sa.insert(Ballot), ballots)
        db.session.commit()


def close_count_publish(voters: int) -> dict[str, Any]:
    """Load the election and its ballots, then time close, count and publish."""
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade()
        document = importing.parse_election_document(election_document())
        election = importing.import_election(document)
        started = time.perf_counter()
        store_ballots(election, voters, seed=6)
        stored = time.perf_counter() - started
        election_id = election.id
        timings: dict[str, float] = {}
        started = time.perf_counter()
        results.close_election(election_id)
        timings["close"] = time.perf_counter() - started
        job = results.request_count(election_id, force=True)
        results.wait(job.id)
        timings["count"] = time.perf_counter() - started - timings["close"]
        job_status = results.latest_job(election_id)
        assert job_status is not None and job_status.status == "done", (
            job_status and job_status.error
        )
        publish_started = time.perf_counter()
        done = publication.publish(election_id)
        timings["publish"] = time.perf_counter() - publish_started
        timings["total"] = time.perf_counter() - started
        sizes = {
            name: len(publication.published_file(election_id, name).body)
            for name in ("results.json",)
        }
        contest_id = election.contests[0].id
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(Ballot))
        digests = len(done.digests)
        db.engine.dispose()
    return {
        "election_id": election_id,
        "contest_id": contest_id,
        "stored_s": stored,
        "rows": rows,
        "files": digests,
        "results_bytes": sizes["results.json"],
        **timings,
    }


def _client(port: int, path: str, count: int, threads: int, headers: dict[str, str]) -> list[Any]:
    """One client process: ``threads`` keep-alive connections sharing ``count`` GETs."""
    return list(keep_alive_clients(port, "GET", path, [None] * count, threads, headers))


def load(
    port: int, path: str, requests: int, clients: int, processes: int, headers: dict[str, str]
) -> dict[str, Any]:
    per = requests // processes
    with ProcessPoolExecutor(processes) as pool:
        started = time.perf_counter()
        parts = list(
            pool.map(
                _client,
                [port] * processes,
                [path] * processes,
                [per] * processes,
                [clients // processes] * processes,
                [headers] * processes,
            )
        )
        wall = time.perf_counter() - started
    latencies = [x for part in parts for x in part[0]]
    statuses: dict[int, int] = {}
    for part in parts:
        for code, n in part[1].items():
            statuses[code] = statuses.get(code, 0) + n
    return summarise(latencies, statuses, wall)


WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk_ms(output: str, percentile: str) -> float:
    """A latency percentile of ``wrk --latency`` (``  99%    8.85ms``) in milliseconds."""
    found = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    assert found is not None, output
    return float(found.group(1)) * WRK_UNITS[found.group(2)]


def wrk_load(
    port: int, path: str, seconds: int, connections: int, headers: dict[str, str]
) -> dict[str, Any] | None:
    """Rate and latencies of ``wrk`` on ``path``; None when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert rate is not None and total is not None, output
    return {
        "requests": int(total.group(1)),
        "rate": float(rate.group(1)),
        "p50_ms": _wrk_ms(output, "50"),
        "p99_ms": _wrk_ms(output, "99"),
        "statuses": {"not 2xx/3xx": int(bad.group(1)) if bad else 0},
    }


def with_load(run: dict[str, Any] | None) -> str:
    """A run's row with the 1-minute load average at its end; a missing wrk run says so."""
    if run is None:
        return "wrk not installed: not measured"
    return f"{http_row(run)}   load {run['load']:.1f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = bench_parser(__doc__, "votesvc_bench_results")
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args(argv)
    instance = bench_environment(args.database_url)
    print(f"storing {args.voters} voters x 3 contests, then close, count, publish ...")
    counted = close_count_publish(args.voters)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    election = counted["election_id"]
    url = f"/api/v1/elections/{election}/results"
    runs: dict[str, Any] = {}
    server = start_gunicorn("wsgi:app", port := free_port(), args.workers, args.threads)
    try:
        probe = http.client.HTTPConnection("127.0.0.1", port)
        probe.request("GET", url)
        etag = probe.getresponse().getheader("ETag")
        probe.close()
        load(port, url, 2000, args.clients, args.processes, {})  # warm every worker's copy
        contest = f"{url}/contests/{counted['contest_id']}"
        load(port, contest, 2000, args.clients, args.processes, {})
        cases = {
            "fresh": (url, {}),
            "304": (url, {"If-None-Match": etag}),
            "contest": (contest, {}),
        }
        for name, (path, headers) in cases.items():
            runs[name] = load(port, path, args.requests, args.clients, args.processes, headers)
            runs[name]["load"] = os.getloadavg()[0]
        for name, (path, headers) in cases.items():
            run = wrk_load(port, path, args.wrk_seconds, args.clients, headers)
            if run is not None:
                run["load"] = os.getloadavg()[0]
            runs[f"wrk {name}"] = run
    finally:
        server.terminate()
        server.wait()
    shutil.rmtree(instance, ignore_errors=True)

    print(
        f"\n{args.voters} voters, {counted['rows']} ballot rows, "
        f"{counted['files']} published files, "
        f"results.json {counted['results_bytes'] / 1024:.0f} KiB; peak RSS {peak_mb:.0f} MB"
    )
    print(
        f"gunicorn gthread {args.workers} x {args.threads}, {args.clients} clients in "
        f"{args.processes} processes; load average {os.getloadavg()[0]:.1f}"
    )
    report(
        [
            ("store ballots (setup)", f"{counted['stored_s']:8.1f} s"),
            ("close", f"{counted['close']:8.2f} s"),
            ("count (3 contests)", f"{counted['count']:8.2f} s"),
            ("publish (files, digests)", f"{counted['publish']:8.2f} s"),
            ("close-count-publish", f"{counted['total']:8.2f} s"),
            ("GET results (200)", with_load(runs["fresh"])),
            ("GET results (304)", with_load(runs["304"])),
            ("GET contest results", with_load(runs["contest"])),
            ("wrk: GET results (200)", with_load(runs["wrk fresh"])),
            ("wrk: GET results (304)", with_load(runs["wrk 304"])),
            ("wrk: GET contest results", with_load(runs["wrk contest"])),
        ]
    )


if __name__ == "__main__":
    main()
