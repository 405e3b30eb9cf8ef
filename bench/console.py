"""Console page speed with 100 000 ballots stored, beside the public JSON election document.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/console.py [--voters 100000] [--requests 200]

One run, one fresh database (``--database-url``, default ``votesvc_bench_console``): the
results bench's election (3 contests of 20 agendas, a booth) in the voting phase with
``--voters`` voters' ballots in each contest, stored as casting stores them
(:func:`results.store_ballots`), and a signed-in console session. Then every page of
:data:`PAGES` is fetched ``--requests`` times through the Flask test client (one process, no
network: the figures are the app's own time) taking turns with the reference,
``GET /api/v1/elections/<id>``, the public JSON election. Prints p50/p99 per page, each
page's p50 as a multiple of the reference's, the target (p99 under 100 ms) and the load
average: the machine is shared, so the figures compare only within one run.

A page that another part of the console adds joins :data:`PAGES`: a name and a path with
``{election}``, ``{contest}``, ``{agenda}`` or ``{booth}`` in it (``{draft}``: a copy of
the election still in the draft phase, whose phase page runs the opening checks, a dry-run
count of every contest, on each view).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import flask_migrate
from casting import bench_environment, bench_parser, report
from flask.testing import FlaskClient
from results import election_document, store_ballots

from votesvc import create_app
from votesvc.services import api_keys, importing

PAGES: list[tuple[str, str]] = [
    ("elections", "/admin/"),
    ("new election", "/admin/elections/new"),
    ("import election", "/admin/elections/import"),
    ("overview", "/admin/elections/{election}"),
    ("edit election", "/admin/elections/{election}/edit"),
    ("contests and agendas", "/admin/elections/{election}/contests"),
    ("import .pb", "/admin/elections/{election}/contests/import-pb"),
    ("booths", "/admin/elections/{election}/booths"),
    ("phase", "/admin/elections/{election}/phase"),
    ("edit contest", "/admin/contests/{contest}/edit"),
    ("new agenda", "/admin/contests/{contest}/agendas/new"),
    ("import CSV", "/admin/contests/{contest}/agendas/import-csv"),
    ("delete contest", "/admin/contests/{contest}/delete"),
    ("edit agenda", "/admin/agendas/{agenda}/edit"),
    ("delete agenda", "/admin/agendas/{agenda}/delete"),
    ("edit booth", "/admin/booths/{booth}/edit"),
    ("delete booth", "/admin/booths/{booth}/delete"),
    ("phase of a draft", "/admin/elections/{draft}/phase"),
    ("contests of a draft", "/admin/elections/{draft}/contests"),
    ("tokens", "/admin/elections/{election}/tokens"),
    ("kiosks and quarantine", "/admin/elections/{election}/kiosks"),
    ("voter roll", "/admin/elections/{election}/voter-roll"),
    ("participation", "/admin/elections/{election}/participation"),
    ("participation table", "/admin/elections/{election}/participation/table"),
    ("count and publish", "/admin/elections/{election}/count"),
    ("audit log", "/admin/elections/{election}/audit"),
]
"""Every console page timed (GET), by name."""
REFERENCE = "/api/v1/elections/{election}"
TARGET_P99_MS = 100.0


def prepare(voters: int) -> tuple[Any, dict[str, int], str]:
    """The app, the ids its pages name, and an admin key; ``voters`` voters' ballots stored."""
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade()
        election = importing.import_election(importing.parse_election_document(election_document()))
        store_ballots(election, voters, seed=15)
        draft_document = {**election_document(), "slug": "bench-console-draft", "phase": "draft"}
        draft = importing.import_election(importing.parse_election_document(draft_document))
        contest = election.contests[0]
        ids = {
            "election": election.id,
            "draft": draft.id,
            "contest": contest.id,
            "agenda": contest.agendas[0].id,
            "booth": election.booths[0].id,
        }
        key = api_keys.create_api_key(None, label="console bench")[1]
    return app, ids, key


def timed(client: FlaskClient, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path, headers={"Accept-Language": "ko"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def quantiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50": 1000 * statistics.median(ordered),
        "p99": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
    }


def main() -> None:
    parser = bench_parser(__doc__, "votesvc_bench_console")
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    bench_environment(args.database_url, VOTESVC_MIX_INTERVAL_SECONDS="0")
    print(f"storing {args.voters} voters x 3 contests ...")
    started = time.perf_counter()
    app, ids, key = prepare(args.voters)
    print(f"stored in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    signed = client.post("/admin/sign-in", data={"key": key})
    assert signed.status_code == 303, signed.status_code
    reference = REFERENCE.format(**ids)
    rows: list[tuple[str, str]] = []
    for name, template in PAGES:
        path = template.format(**ids)
        for _ in range(10):  # warm: templates compiled, caches filled
            timed(client, path)
            timed(client, reference)
        page, ref = [], []
        for _ in range(args.requests):  # taking turns, so both see the same machine
            page.append(timed(client, path))
            ref.append(timed(client, reference))
        got, base = quantiles(page), quantiles(ref)
        verdict = "ok" if got["p99"] < TARGET_P99_MS else "OVER 100 ms"
        rows.append(
            (
                name,
                f"p50 {got['p50']:6.2f} ms  p99 {got['p99']:6.2f} ms  "
                f"x{got['p50'] / base['p50']:.2f} of the JSON election "
                f"(p50 {base['p50']:.2f} ms)  {verdict}",
            )
        )
    report(rows)
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}; {args.requests} GETs a page")


if __name__ == "__main__":
    main()
