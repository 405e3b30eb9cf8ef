"""The booth kiosk's speed in Chromium, against votesvc under gunicorn on PostgreSQL.

    .venv/bin/pip install -e '.[bench,test]'
    .venv/bin/python bench/kiosk.py [--ballots 5000] [--checks 20000]

One run, one fresh database (``--database-url``, default ``votesvc_kiosk`` on the local
PostgreSQL, dropped and created again), gunicorn serving ``wsgi:app``, a kiosk provisioned in
headless Chromium (Debian's, at /usr/lib/chromium/chromium), then:

- **offline token checks**: the kiosk's own verifier (``static/js/kiosk.js``: Web Crypto
  HMAC-SHA256, the rules of ``KioskVerifier``) on real booth tokens, one at a time as a scanner
  feeds them, and all at once (the ceiling); the target is at least 5 000 a second;
- **IndexedDB write of one ballot**: the kiosk's cast transaction (queue and used-code mark,
  ``strict`` durability), one at a time, p50 and p99;
- **sync of a queue**: ``--ballots`` real ballots queued in the kiosk, then the kiosk's own sync
  (batches of 500 to ``POST .../booths/<id>/sync``) until the queue is empty; the target is
  under 5 s for 5 000. Every ballot must come back accepted.

Prints each figure with the load average (the machine is shared: compare within a run).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import flask_migrate
from casting import (
    ELECTION,
    SELECTION,
    bench_environment,
    free_port,
    start_gunicorn,
)
from playwright.sync_api import sync_playwright

from votesvc import create_app
from votesvc.models.base import db
from votesvc.services import batches, importing, kiosks

CHROMIUM = "/usr/lib/chromium/chromium"
PIN = "135790"

CHECKS = """async ([channel, election, keys, tokens, rounds]) => {
  const verify = window.VotesvcKiosk.makeVerifier(channel, election, keys);
  await verify(tokens[0]);
  const texts = Array.from({length: rounds}, (_, i) => tokens[i % tokens.length]);
  let start = performance.now();
  for (const text of texts) { const r = await verify(text); if (r.error) throw r.error; }
  const serial = performance.now() - start;
  start = performance.now();
  const all = await Promise.all(texts.map(verify));
  const parallel = performance.now() - start;
  if (all.some(r => r.error)) throw "refused";
  return {serial: serial, parallel: parallel};
}"""

WRITES = """async ([tokens, selection]) => {
  const times = [];
  for (const token of tokens) {
    const ballot = {id: window.VotesvcKiosk.receiptId(), token: token,
                    cast_at: new Date(Date.now() - 60000).toISOString(), selections: selection};
    const start = performance.now();
    await window.VotesvcKiosk.store(ballot, null);
    times.push(performance.now() - start);
  }
  return times;
}"""


def prepare(ballots: int) -> dict[str, Any]:
    """Migrate, load the bench election, issue the booth's tokens, provision a kiosk."""
    app = create_app()
    now = datetime.now(UTC)
    document = {
        **ELECTION,
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    with app.app_context():
        flask_migrate.upgrade()
        election = importing.import_election(importing.parse_election_document(document))
        election_id, booth_id = election.id, election.booths[0].id
        issued = batches.batch_tokens(
            batches.issue_batch(election_id, {"size": ballots, "booth_id": booth_id})
        )
        kiosk = kiosks.provision_kiosk(election_id, booth_id, "bench")
        db.engine.dispose()
    return {"kiosk": kiosk, "tokens": [token.signed for token in issued]}


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "VOTESVC_BENCH_DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/votesvc_kiosk",
        ),
    )
    parser.add_argument("--ballots", type=int, default=5000)
    parser.add_argument("--checks", type=int, default=20000)
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    bench_environment(args.database_url)
    data = prepare(args.ballots + args.writes)
    kiosk, signed = data["kiosk"], data["tokens"]
    port = free_port()
    server = start_gunicorn("wsgi:app", port, args.workers, args.threads)
    rows: list[tuple[str, str]] = []
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/kiosk/")
            page.fill("#provision-code", kiosk["provisioning_code"])
            page.fill("#pin-new", PIN)
            page.fill("#pin-again", PIN)
            page.click("#provision-form button[type=submit]")
            page.wait_for_selector("[data-screen=start] h1", timeout=30_000)
            checks = page.evaluate(
                CHECKS,
                [kiosk["channel"], kiosk["election"], kiosk["channel_keys"], signed, args.checks],
            )
            for label, key in (("one at a time", "serial"), ("all at once", "parallel")):
                rate = args.checks / (checks[key] / 1000)
                rows.append((f"offline token checks, {label}", f"{rate:,.0f} /s"))
            writes = page.evaluate(WRITES, [signed[args.ballots :], SELECTION])
            rows.append(
                (
                    f"IndexedDB write of one ballot ({args.writes})",
                    f"p50 {percentile(writes, 0.5):.2f} ms, p99 {percentile(writes, 0.99):.2f} ms",
                )
            )
            page.evaluate("window.VotesvcKiosk.sync()")  # settle the written ones first
            page.evaluate(WRITES, [signed[: args.ballots], SELECTION])
            start = time.perf_counter()
            page.evaluate("window.VotesvcKiosk.sync()")
            wall = time.perf_counter() - start
            left = page.evaluate("window.VotesvcKiosk.queue().then(q => q.length)")
            refused = page.evaluate("window.VotesvcKiosk.refused().then(r => r.length)")
            rows.append(
                (
                    f"sync of a {args.ballots}-ballot queue",
                    f"{wall:.2f} s ({args.ballots / wall:,.0f} ballots/s; "
                    f"{left} left, {refused} refused)",
                )
            )
            browser.close()
    finally:
        server.terminate()
        server.wait()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(
        f"\ngunicorn gthread {args.workers} x {args.threads}, PostgreSQL; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
