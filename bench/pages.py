"""Ballot pages under gunicorn on PostgreSQL, beside the JSON API serving the same things.

    .venv/bin/pip install -e '.[bench]'   (and Chromium: apt-get install chromium)
    .venv/bin/python bench/pages.py [--casts 2000] [--views 4000] [--clients 16]

One run, one fresh database (``--database-url``, default ``votesvc_bench_pages``), the demo
election, and four figures, each with its reference measured in the same run:

- **ballot page**: ``GET /elections/<id>/ballot/city`` (the demo's largest contest, 11 agendas,
  a voter's session cookie, the Jinja render) against ``GET /api/v1/elections/<id>`` (the
  public election document, marshmallow); the two take turns (``--rounds``);
- **cast through the page**: ``POST /elections/<id>/review`` (the session's ballot, its CSRF
  token, a cast id, the redirect) against ``POST /api/v1/elections/<id>/ballots`` with the
  same ballot, taking turns; each page cast's session was filled beforehand (code, steps,
  review) in this process through the test client with the server's secret key;
- **first render on slow 4G**: Chromium (Debian's) with DevTools' "Slow 4G" profile (562.5 ms
  latency, 1.44 Mbit/s down, 675 kbit/s up), the ballot page's first contentful paint from the
  navigation's start, median of ``--renders`` loads with a cold cache;
- **page weight**: the ballot page's HTML, CSS and JavaScript, gzip-compressed, against the
  60 KB budget.

Prints rates, p50/p99 and ratios, and the load average: the machine is shared, so the figures
are comparable only within one run.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import flask_migrate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.casting import (
    Target,
    alternating,
    bench_environment,
    bench_parser,
    free_port,
    http_row,
    keep_alive_clients,
    report,
    start_gunicorn,
)
from votesvc import create_app
from votesvc.models.base import db
from votesvc.services import batches, demo

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CITY = ["C-01", "C-03", "C-05"]
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8 * 0.9,
    "uploadThroughput": 750 * 1024 / 8 * 0.9,
}
"""Chrome DevTools' "Slow 4G" preset (its figures, in bytes per second)."""
FIRST_PAINT = """() => new Promise(done => new PerformanceObserver(list => {
    const entry = list.getEntriesByName("first-contentful-paint")[0];
    if (entry) done(entry.startTime);
}).observe({type: "paint", buffered: true}))"""
"""The first contentful paint's time from the navigation's start, once there is one."""


def prepare(casts: int) -> dict[str, Any]:
    """The demo election, online tokens for the API and the page casts, and for each page
    cast a session cookie holding its ballot ready to cast, with its CSRF token."""
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade()
        election, _ = demo.load_demo()
        election_id = election.id
        api = batches.batch_tokens(batches.issue_batch(election_id, {"size": casts}))
        page = batches.batch_tokens(batches.issue_batch(election_id, {"size": casts + 1}))
        db.engine.dispose()
    sessions = [_ready_session(app, election_id, token.signed) for token in page]
    return {
        "election_id": election_id,
        "api": [token.signed for token in api],
        "view_cookie": sessions[0][0],
        "sessions": sessions[1:],
    }


def _ready_session(app: Any, election_id: int, token: str) -> tuple[str, str]:
    client = app.test_client()
    base = f"/elections/{election_id}"
    csrf = CSRF.search(client.get(f"{base}/vote").get_data(as_text=True)).group(1)
    client.post(f"{base}/vote", data={"csrf_token": csrf, "code": token})
    client.post(f"{base}/ballot/city", data={"csrf_token": csrf, "choice": CITY})
    client.get(f"{base}/review")
    cookie = client.get_cookie("votesvc_session")
    assert cookie is not None
    return cookie.value, csrf


def first_render(port: int, election_id: int, cookie: str, renders: int) -> dict[str, Any]:
    """First contentful paint of the ballot page under slow 4G, cold cache each time."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    paints = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for _ in range(renders):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.add_cookies(
                [{"name": "votesvc_session", "value": cookie, "url": f"http://127.0.0.1:{port}"}]
            )
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_4G)
            page.goto(f"http://127.0.0.1:{port}/elections/{election_id}/ballot/city")
            paint = page.evaluate(FIRST_PAINT)
            paints.append(paint / 1000)
            context.close()
        browser.close()
    return {"median_s": statistics.median(paints), "max_s": max(paints), "runs": len(paints)}


def page_weight(port: int, election_id: int, cookie: str) -> dict[str, int]:
    """The ballot page and every script and style it loads, raw and gzip-compressed."""

    def fetch(path: str, headers: dict[str, str]) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path, headers=headers)
        body = connection.getresponse().read()
        connection.close()
        return body

    html = fetch(f"/elections/{election_id}/ballot/city", {"Cookie": f"votesvc_session={cookie}"})
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)
    parts = [html, *(fetch(path.decode(), {}) for path in assets)]
    return {
        "files": len(parts),
        "raw": sum(len(part) for part in parts),
        "gzip": sum(len(gzip.compress(part, 6)) for part in parts),
    }


def main() -> None:
    parser = bench_parser(__doc__, "votesvc_bench_pages")
    parser.add_argument("--casts", type=int, default=2000)
    parser.add_argument("--views", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--renders", type=int, default=5)
    args = parser.parse_args()
    limits = {"VOTESVC_CAST_LIMIT": "100000000/minute", "VOTESVC_CODE_LIMIT": "100000000/minute"}
    instance = bench_environment(args.database_url, **limits)
    print(f"preparing: the demo election, {args.casts} API casts and {args.casts} page casts")
    data = prepare(args.casts)
    election = data["election_id"]
    port = free_port()
    server = start_gunicorn("wsgi:app", port, args.workers, args.threads)
    try:
        view_headers = {"Cookie": f"votesvc_session={data['view_cookie']}"}
        page_path = f"/elections/{election}/ballot/city"
        api_path = f"/api/v1/elections/{election}"
        for path in (page_path, api_path):  # warm both
            keep_alive_clients(port, "GET", path, [None] * 200, 4, view_headers)
        page_view, api_view = alternating(
            [
                Target(port, page_path, [None] * args.views, "GET"),
                Target(port, api_path, [None] * args.views, "GET"),
            ],
            args.rounds,
            args.clients,
            view_headers,
        )
        selections = json.dumps({"city": {"choices": CITY}})
        api_bodies = [f'{{"token": "{t}", "selections": {selections}}}' for t in data["api"]]
        page_bodies = [f"csrf_token={csrf}" for _, csrf in data["sessions"]]
        page_cookies = [
            {
                "Cookie": f"votesvc_session={cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            for cookie, _ in data["sessions"]
        ]
        page_cast, api_cast = alternating(
            [
                Target(port, f"/elections/{election}/review", page_bodies, "POST", page_cookies),
                Target(
                    port,
                    f"/api/v1/elections/{election}/ballots",
                    api_bodies,
                    "POST",
                    [{"Content-Type": "application/json"}] * len(api_bodies),
                ),
            ],
            args.rounds,
            args.clients,
            {},
        )
        weight = page_weight(port, election, data["view_cookie"])
        render = first_render(port, election, data["view_cookie"], args.renders)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(instance, ignore_errors=True)
    print(
        f"\ngunicorn gthread {args.workers} x {args.threads}, {args.clients} clients; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    report(
        [
            ("ballot page (GET)", http_row(page_view)),
            ("election JSON (GET)", http_row(api_view)),
            ("page / JSON", f"{page_view['rate'] / api_view['rate']:8.0%}   (target >= 50 %)"),
            ("cast through the page", http_row(page_cast)),
            ("cast through the API", http_row(api_cast)),
            ("page / API", f"{page_cast['rate'] / api_cast['rate']:8.0%}   (target >= 70 %)"),
            (
                "first render, slow 4G",
                f"{render['median_s']:8.2f} s median, {render['max_s']:.2f} s max of "
                f"{render['runs']}   (target < 2 s)",
            ),
            (
                "page weight",
                f"{weight['gzip'] / 1024:8.1f} KB gzip ({weight['raw'] / 1024:.1f} KB raw, "
                f"{weight['files']} files)   (budget 60 KB)",
            ),
        ]
    )


if __name__ == "__main__":
    main()
