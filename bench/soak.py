"""Soak: casts at a fixed rate through the deployment kit's nginx, for minutes, on PostgreSQL.

    .venv/bin/pip install -e '.[bench,redis,test]'    # gunicorn, redis; nginx from Debian
    .venv/bin/python bench/soak.py [--rate 500] [--duration 600] [--nodes 1] [--interval 60]

One run, one fresh database, production settings with the rate limits in Redis
(``--redis-url``, default database 15 of the local Redis, emptied before and after). The database
is a PostgreSQL server of the soak's own, started in a temporary folder with the kit's settings
(``deploy/postgresql/votesvc.conf``) but checkpoints every ``--checkpoint-timeout`` (5 minutes, so
that ten minutes pass through two), and removed afterwards; ``--database-url`` (or
``VOTESVC_BENCH_DATABASE_URL``) names an existing server's database to drop and create instead.
The nodes are gunicorn with ``deploy/gunicorn.conf.py`` and the template's worker count, and
nginx runs the kit's files, started as the tests start them (``tests/deploy_support.py``), so the
bench measures what the tests check.

The load is open: cast ``i`` is due at ``start + i / rate`` whatever happened before, and its
latency runs from when it was due, so a server that falls behind shows it in the percentiles
instead of slowing the load down. ``--clients`` keep-alive connections share the schedule, in
one event loop (:func:`open_load`).

Printed:

- a **reference** first: the same rate straight to gunicorn for ``--reference`` seconds, and
  the soak's percentiles as ratios of it (what nginx adds, on this machine in this run);
- per interval (``--interval``, a minute): casts answered, the rate, p50/p99/max latency, the
  longest spell in which no answer came (``quiet_ms``: a pause of everything, not queueing),
  how late the load generator's own loop ran at worst (``load_lag_ms``: the measuring tool
  falling behind), anything that was not a 201;
- the workers' resident memory (RSS, summed over every node's workers) sampled every 5 s:
  after the warm-up (``--warmup`` seconds) and at the end, and the growth between them;
- the load average at the start and the end (the machine is shared: compare within one run);
- the CPU each group of processes spent per cast during the soak (:data:`CPU_GROUPS`): what
  the two cores' budget went on;
- correctness: every accepted cast is one stored ballot per contest, every receipt distinct and
  stored, no token spent without a ballot (with ``--nodes 2``, the two-node correctness run).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa
from casting import ELECTION, SELECTION, fresh_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the kit's launchers, shared with the tests

from deploy_support import KIT_THREADS, KIT_WORKERS, MISSING, Nginx, Node, free_port  # noqa: E402

from votesvc import create_app  # noqa: E402
from votesvc.models.base import db  # noqa: E402
from votesvc.services import batches, importing  # noqa: E402
from votesvc.services.deployment import POSTGRESQL_DROP_IN, postgresql_settings  # noqa: E402

SECRET = "bench-soak-secret-" + "x" * 40
BATCH = 100_000
"""The largest token batch the service issues at once."""


def _postgres_bin(program: str) -> str:
    """A PostgreSQL server program: on PATH, or Debian's newest under /usr/lib/postgresql."""
    found = shutil.which(program) or max(
        (str(p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{program}")),
        key=lambda p: tuple(int(n) for n in Path(p).parts[-3].split(".")),  # 15, 9.6
        default=None,
    )
    if found is None:
        raise SystemExit(f"{program} not found: install PostgreSQL or pass --database-url")
    return found


class PrivatePostgres:
    """A PostgreSQL server of the soak's own, started with the kit's settings
    (``deploy/postgresql/votesvc.conf``) and ``changes``, so that a run measures the database
    the README deploys and leaves the machine's server as it found it. As root the server runs
    as the ``postgres`` user (PostgreSQL refuses root)."""

    def __init__(self, changes: dict[str, str]) -> None:
        folder = self.folder = Path(tempfile.mkdtemp(prefix="votesvc-soak-postgresql-"))
        self.port = free_port()
        self.settings = {**postgresql_settings(ROOT / POSTGRESQL_DROP_IN), **changes}
        self.log = folder / "postgresql.log"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(folder, "postgres")
        initdb = [_postgres_bin("initdb"), "-D", str(folder / "data"), "-U", "postgres"]
        options = ["--auth=trust", "--encoding=UTF8", "--no-sync"]
        subprocess.run([*self.as_user, *initdb, *options], check=True, capture_output=True)
        flags = {
            **self.settings,
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(folder),
            "log_checkpoints": "on",
            "log_autovacuum_min_duration": "0",
            "log_timezone": "UTC",  # what maintenance_since reads
        }
        options = " ".join(f"-c {name}={value}" for name, value in flags.items())
        self._pg_ctl("start", "-l", str(self.log), "-o", options)

    def _pg_ctl(self, action: str, *arguments: str) -> None:
        data = str(self.folder / "data")
        command = [*self.as_user, _postgres_bin("pg_ctl"), "-D", data, "-w", *arguments, action]
        subprocess.run(command, check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/votesvc_bench_soak"

    def preallocate_wal(self) -> int:
        """Make the WAL files ``min_wal_size`` keeps, as a server in service has them: fill
        and switch that many segments, then checkpoint, which keeps the old ones for reuse.
        A new cluster has none, and each segment the casts then fill first is created and
        zero-filled (16 MB) under the lock every commit waits for: a stall of all casts every
        half a minute at 300 /s. Returns the number of segments made."""
        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        segments: int
        try:
            with engine.connect() as connection:
                size = self.settings.get("min_wal_size", "80MB")
                segments = connection.scalar(
                    sa.text(
                        "SELECT pg_size_bytes(:size)"
                        " / pg_size_bytes(current_setting('wal_segment_size'))"
                    ),
                    {"size": size},
                )
                connection.execute(sa.text("CREATE TABLE soak_wal (n int)"))
                for n in range(segments):
                    connection.execute(sa.text("INSERT INTO soak_wal VALUES (:n)"), {"n": n})
                    connection.execute(sa.text("SELECT pg_switch_wal()"))
                connection.execute(sa.text("DROP TABLE soak_wal"))
                connection.execute(sa.text("CHECKPOINT"))
        finally:
            engine.dispose()
        return segments

    def maintenance_since(self, start: datetime) -> dict[str, list[Any]]:
        """What the server's log says it did on its own after ``start``, in seconds from it:
        the checkpoints begun, and the autovacuum runs ended (``vacuum token``, ``analyze
        ballot``), either of which competes with the casts for the two cores."""
        log = self.log.read_text()
        stamp = r"^(\S+ \S+) UTC \[\d+\] LOG:  "

        def seconds(text: str) -> float:
            return round((datetime.fromisoformat(f"{text}+00:00") - start).total_seconds(), 1)

        checkpoints = [seconds(t) for t in re.findall(stamp + "checkpoint starting", log, re.M)]
        autovacuum = [
            {"ended_at_s": seconds(t), "what": f"{kind} {table}"}
            for t, kind, table in re.findall(
                stamp + r'automatic (vacuum|analyze) of table "[^"]*\.(\w+)"', log, re.M
            )
        ]
        return {
            "checkpoints_at_s": [c for c in checkpoints if c >= 0],
            "autovacuum": [run for run in autovacuum if run["ended_at_s"] >= 0],
        }

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")
        shutil.rmtree(self.folder, ignore_errors=True)


def prepare(tokens: int) -> tuple[int, list[str]]:
    """Migrate, load the election and sign ``tokens`` online tokens (in the environment's
    database)."""
    app = create_app()
    now = datetime.now(UTC)
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=2)}
    document = {**ELECTION, **{k: v.isoformat() for k, v in window.items()}}
    signed: list[str] = []
    with app.app_context():
        flask_migrate.upgrade()
        election_id = importing.import_election(importing.parse_election_document(document)).id
        while len(signed) < tokens:
            size = min(BATCH, tokens - len(signed))
            batch = batches.issue_batch(election_id, {"size": size})
            signed.extend(token.signed for token in batches.batch_tokens(batch))
        db.engine.dispose()
    return election_id, signed


@dataclass
class Results:
    """Every cast's (due time, latency, status), and the receipts of the accepted ones."""

    due: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    lags: list[tuple[float, float]] = field(default_factory=list)
    """(moment, seconds late) of each tick of the load generator's own loop that ran late."""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    """The wall-clock moment the first cast was due: ``due`` and ``lags`` count from it, and so
    do the server's checkpoints and autovacuum runs (``PrivatePostgres.maintenance_since``)."""


TICK_SECONDS = 0.01
"""How often the load generator checks that its own loop keeps time."""
GRACE_SECONDS = 30.0
"""How long past its last cast's due time a run may go on before the casts not sent yet are
given up (counted as ``not_sent``): a server that cannot keep the rate ends the run on time."""


def cast_requests(election_id: int, tokens: list[str]) -> list[bytes]:
    """Each token's cast as the bytes of a whole HTTP/1.1 request, built before the clock
    starts so that the load costs the shared cores as little as it can while it runs."""
    path = f"/api/v1/elections/{election_id}/ballots"
    requests = []
    for token in tokens:
        body = json.dumps({"token": token, "selections": SELECTION}).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """One response's status, body (the service always sends Content-Length) and whether the
    server closes the connection after it (nginx does after ``keepalive_requests``, 1 000)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length, closing = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closing = value.strip().lower() == b"close"
    return int(lines[0].split()[1]), await reader.readexactly(length), closing


def open_load(port: int, requests: list[bytes], rate: float, clients: int) -> tuple[Results, float]:
    """Send every request at ``rate`` per second over ``clients`` keep-alive connections,
    until :data:`GRACE_SECONDS` past the last one's due time.

    One thread and one event loop: the earlier generator, a thread per connection on
    ``http.client``, took 0.5 ms of CPU a cast (a sixth of the node's own), so at 500 casts a
    second it took a quarter of a core from the server it measured, and its threads' wait
    for the interpreter lock showed up in the latencies it reported. A connection takes the
    next cast, waits for its due time, sends it and reads the answer; when every connection
    is busy, due casts wait, and that wait is in their latency."""
    return asyncio.run(_open_load(port, requests, rate, clients))


async def _open_load(
    port: int, requests: list[bytes], rate: float, clients: int
) -> tuple[Results, float]:
    loop = asyncio.get_running_loop()
    results = Results()
    order = iter(range(len(requests)))
    start = loop.time() + 0.5
    results.started_at = datetime.now(UTC) + timedelta(seconds=start - loop.time())
    give_up = start + len(requests) / rate + GRACE_SECONDS

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for index in order:
            if loop.time() > give_up:
                break
            due = start + index / rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            closing = True
            try:
                writer.write(requests[index])
                async with asyncio.timeout(60):
                    status, data, closing = await _answer(reader)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                status, data = 0, b""
            if closing:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            results.due.append(due - start)
            results.latency.append(loop.time() - due)
            results.status.append(status)
            if status == 201:
                accepted.append(data)
        writer.close()

    async def watch() -> None:
        """Ticks every 10 ms: a tick that runs late shows the generator itself falling behind
        (its own CPU, garbage collection, or the cores busy elsewhere), not the service."""
        while loop.time() < give_up and not done.is_set():
            expected = loop.time() + TICK_SECONDS
            await asyncio.sleep(TICK_SECONDS)
            late = loop.time() - expected
            if late > TICK_SECONDS:
                results.lags.append((expected - start, late))

    accepted: list[bytes] = []
    done = asyncio.Event()
    watcher = asyncio.create_task(watch())
    try:
        await asyncio.gather(*(client() for _ in range(clients)))
    finally:  # a connection that fails to open ends the run: the watcher ends with it
        done.set()
        await watcher
    wall = loop.time() - start
    results.receipts = [json.loads(data)["receipt"] for data in accepted]  # after the clock
    return results, wall


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
        "max_ms": 1000 * ordered[-1],
    }


def longest_quiet(answered: list[float], start: float, end: float) -> float:
    """The longest time between ``start`` and ``end`` in which no answer arrived (``answered``:
    the moments answers arrived, sorted). Queueing delays some casts and not others; a pause of
    the whole machine or the database (a stall of every worker at once) leaves a quiet spell."""
    inside = answered[bisect.bisect_left(answered, start) : bisect.bisect_right(answered, end)]
    moments = [start, *inside, end]
    return max(b - a for a, b in itertools.pairwise(moments))


def per_interval(results: Results, rate: float, seconds: float) -> list[dict[str, Any]]:
    """The run cut into ``seconds``-long intervals by when each cast was due."""
    answered = sorted(due + took for due, took in zip(results.due, results.latency, strict=True))
    intervals: dict[int, list[int]] = {}
    for index, due in enumerate(results.due):
        intervals.setdefault(int(due // seconds), []).append(index)
    rows = []
    for interval, indexes in sorted(intervals.items()):
        begins = interval * seconds
        ends = min((interval + 1) * seconds, answered[-1])  # not past the last answer
        errors: dict[int, int] = {}
        for index in indexes:
            if results.status[index] != 201:
                errors[results.status[index]] = errors.get(results.status[index], 0) + 1
        rows.append(
            {
                "from_s": round(interval * seconds),
                "casts": len(indexes),
                "target_rate": rate,
                **percentiles([results.latency[i] for i in indexes]),
                "quiet_ms": round(1000 * longest_quiet(answered, begins, ends), 1),
                "load_lag_ms": round(
                    1000
                    * max((late for at, late in results.lags if begins <= at < ends), default=0),
                    1,
                ),
                "errors": errors,
            }
        )
    return rows


class MemorySampler(threading.Thread):
    """Every 5 s, the summed RSS (kB) of the nodes' gunicorn workers."""

    def __init__(self, nodes: list[Node]) -> None:
        super().__init__(daemon=True)
        self.nodes = nodes
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()
        self.started_at = time.perf_counter()

    @staticmethod
    def rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while not self.stopped.wait(5.0):
            pids = [pid for node in self.nodes for pid in node.worker_pids()]
            total = sum(self.rss(pid) for pid in pids)
            self.samples.append((time.perf_counter() - self.started_at, total))

    def growth(self, warmup: float) -> dict[str, Any]:
        after = [kb for at, kb in self.samples if at >= warmup]
        if len(after) < 2:
            return {"samples": len(self.samples)}
        first, last = after[0], after[-1]
        return {
            "samples": len(self.samples),
            "rss_after_warmup_mb": round(first / 1024, 1),
            "rss_end_mb": round(last / 1024, 1),
            "rss_max_mb": round(max(after) / 1024, 1),
            "growth_pct": round(100 * (last - first) / first, 1),
        }


CPU_GROUPS = ("gunicorn", "postgres", "nginx", "redis", "load")
"""Whose CPU time the soak reports per cast: the nodes' workers; every postgres, nginx and
redis-server process on the machine (other work on a shared server counts too); and the load
generator, this process."""


def cpu_seconds(nodes: list[Node]) -> dict[str, float]:
    """User and system CPU seconds used so far by each of :data:`CPU_GROUPS` (processes that
    exited in between are missed, so take both readings while the nodes run)."""
    tick = os.sysconf("SC_CLK_TCK")
    workers = {pid for node in nodes for pid in node.worker_pids()}
    totals = dict.fromkeys(CPU_GROUPS, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        pid = int(entry.name)
        if pid in workers:
            totals["gunicorn"] += used
        elif pid == os.getpid():
            totals["load"] += used
        elif name.startswith("postgres"):
            totals["postgres"] += used
        elif name.startswith("nginx"):
            totals["nginx"] += used
        elif name.startswith("redis-server"):
            totals["redis"] += used
    return totals


def check_stored(election_id: int, receipts: list[str]) -> dict[str, Any]:
    """What the database holds against what the clients were told."""
    from votesvc.models import Ballot, Receipt, Token
    from votesvc.services import keys

    app = create_app()
    with app.app_context():
        stored = set(db.session.scalars(sa.select(Receipt.code_hash)))
        ballots = db.session.scalar(sa.select(sa.func.count(Ballot.id)))
        spent = db.session.scalar(
            sa.select(sa.func.count()).where(
                Token.status == "spent", Token.election_id == election_id
            )
        )
        told = {keys.receipt_hash(code) for code in receipts}
        db.engine.dispose()
    return {
        "accepted": len(receipts),
        "distinct_receipts": len(set(receipts)),
        "receipts_stored": len(stored),
        "every_receipt_stored": told == stored,
        "ballots_stored": ballots,
        "tokens_spent": spent,
        "correct": told == stored and spent == len(receipts) == ballots,
    }


def flush_redis(url: str) -> None:
    from redis import Redis

    client = Redis.from_url(url)
    client.flushdb()
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500.0, help="casts per second")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of soak")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before RSS counts")
    parser.add_argument(
        "--reference", type=float, default=20.0, help="seconds straight to gunicorn"
    )
    parser.add_argument(
        "--interval", type=float, default=60.0, help="seconds per row of the time series"
    )
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=KIT_WORKERS, help="gunicorn workers per node (the kit's)"
    )
    parser.add_argument("--threads", type=int, default=KIT_THREADS, help="per worker (the kit's)")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("VOTESVC_BENCH_DATABASE_URL"),
        help="an existing server's database to drop, create and use, instead of a private server",
    )
    parser.add_argument(
        "--checkpoint-timeout",
        default="5min",
        help="the private server's, in place of the kit's 15min: a 10-minute soak then passes "
        "through two timed checkpoints, as a surge in production passes through them",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    if MISSING:
        raise SystemExit(MISSING)

    flush_redis(args.redis_url)
    scratch = Path(tempfile.mkdtemp(prefix="votesvc-soak-"))
    server = None
    try:
        if args.database_url is None:
            changes = {"checkpoint_timeout": args.checkpoint_timeout}
            server = PrivatePostgres(changes)
            args.database_url = server.url
            print(f"private PostgreSQL on port {server.port}: {server.settings}", flush=True)
        report = soak(args, scratch, server)
    finally:
        if server is not None:
            server.stop()
        flush_redis(args.redis_url)
        shutil.rmtree(scratch, ignore_errors=True)
    if not report["stored"]["correct"]:
        raise SystemExit("stored ballots do not match the accepted casts")


def soak(args: argparse.Namespace, scratch: Path, server: PrivatePostgres | None) -> dict[str, Any]:
    """One reference and one soak against ``args.database_url``; prints and returns the
    report."""
    soak_casts = int(args.rate * args.duration)
    reference_casts = int(args.rate * args.reference)
    fresh_database(args.database_url)
    environ = {
        "VOTESVC_ENV": "production",
        "VOTESVC_DATABASE_URL": args.database_url,
        "VOTESVC_SECRET_KEY": SECRET,
        "VOTESVC_TOKEN_HASH_KEY": SECRET[::-1],
        "VOTESVC_INSTANCE_PATH": str(scratch / "instance"),
        "VOTESVC_REDIS_URL": args.redis_url,
        "VOTESVC_PROXY_HOPS": "1",
        "VOTESVC_MIX_INTERVAL_SECONDS": "0",
        "VOTESVC_CAST_LIMIT": "100000000 per minute",
        "VOTESVC_DB_POOL_SIZE": str(args.threads),
    }
    os.environ.update(environ)
    started = time.perf_counter()
    election_id, tokens = prepare(soak_casts + reference_casts)
    if server is not None:
        print(f"{server.preallocate_wal()} WAL segments made and kept", flush=True)
    requests = cast_requests(election_id, tokens)
    print(f"prepared {len(tokens)} tokens in {time.perf_counter() - started:.0f} s", flush=True)

    nodes = [Node(environ, workers=args.workers, threads=args.threads) for _ in range(args.nodes)]
    nginx = Nginx(scratch / "nginx", [node.port for node in nodes], workers=1)
    sampler = MemorySampler(nodes)
    try:
        for node in nodes:
            node.wait_ready()
        nginx.start()
        load_start = os.getloadavg()
        reference, reference_wall = open_load(
            nodes[0].port, requests[:reference_casts], args.rate, args.clients
        )
        ref = percentiles(reference.latency)
        ref_rate = len(reference.latency) / reference_wall
        print(f"reference, straight to gunicorn: {ref_rate:.1f} casts/s, {ref}", flush=True)
        sampler.start()
        cpu_before = cpu_seconds(nodes)
        measured, wall = open_load(nginx.port, requests[reference_casts:], args.rate, args.clients)
        cpu_after = cpu_seconds(nodes)
        sampler.stopped.set()
        load_end = os.getloadavg()
    finally:
        nginx.stop()
        for node in nodes:
            node.stop()
    errors = {s: measured.status.count(s) for s in set(measured.status) if s != 201}
    summary = percentiles(measured.latency)
    report = {
        "nodes": args.nodes,
        "workers_per_node": args.workers,
        "threads": args.threads,
        "clients": args.clients,
        "target_rate": args.rate,
        "achieved_rate": round(len(measured.latency) / wall, 1),
        "casts": len(measured.latency),
        "not_sent": soak_casts - len(measured.latency),
        **{k: round(v, 1) for k, v in summary.items()},
        "errors": errors,
        "reference_rate": round(ref_rate, 1),
        "reference_p99_ms": round(ref["p99_ms"], 1),
        "p50_vs_reference": round(summary["p50_ms"] / ref["p50_ms"], 2),
        "p99_vs_reference": round(summary["p99_ms"] / ref["p99_ms"], 2),
        "memory": sampler.growth(args.warmup),
        "cpu_ms_per_cast": {
            group: round(1000 * (cpu_after[group] - cpu_before[group]) / len(measured.latency), 2)
            for group in CPU_GROUPS
        },
        "loadavg_start": load_start,
        "loadavg_end": load_end,
        "cpus": os.cpu_count(),
    }
    if server is not None:
        report.update(server.maintenance_since(measured.started_at))
    for row in per_interval(measured, args.rate, args.interval):
        print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}))
    report["stored"] = check_stored(election_id, reference.receipts + measured.receipts)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
