"""Equal Shares with Add1 where the currency unit is small: the demo election in won.

Run: ``.venv/bin/python bench/add1_currency.py [--before CHECKOUT] [--timeout SECONDS]``

The demo's city-wide contest (``votesvc/data/demo_election.json``: ₩1 000 000 000, 11 agendas,
``equalshares/add1``) with 12 and with 1 000 seeded random ballots, and Warsaw 2026, Bemowo
2023 and Budapest 2024 with Add1 (integral start, as ``equalshares/add1`` counts), each in a
fresh process: wall time of reading and counting, the Add1 runs and the funded agendas. With
``--before CHECKOUT`` (an older checkout) the same counts run from it too; a count that does
not finish within ``--timeout`` (default 120 s) is shown as such. ``runs`` is the number of MES
runs Add1 took (0: it kept plain MES).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PABULIB = ROOT / ".." / "shared" / "data" / "pabulib"
FILES = {
    "Warsaw 2026": "Poland_Warszawa_2026.pb",
    "Bemowo 2023": "Poland_Warszawa_2023_Bemowo.pb",
    "Budapest 2024": "Hungary_Budapest_2024.pb",
}

CHILD = """
import json, random, sys, time
from fractions import Fraction
from votesvc.tally.model import Agenda, BallotGroup, Contest, Profile
from votesvc.tally.pabulib import read_pb_file
from votesvc.tally.pb_count import count

start, cpu = time.perf_counter(), time.process_time()
if sys.argv[1] == "demo":
    data = json.load(open(sys.argv[3], encoding="utf-8"))["contests"][0]
    agendas = tuple(Agenda(a["code"], Fraction(a["cost"])) for a in data["agendas"])
    contest = Contest(agendas, Fraction(data["budget"]))
    lot = random.Random(0)
    ids = [a.id for a in agendas]
    groups = tuple(
        BallotGroup(tuple(sorted(lot.sample(ids, lot.randint(1, 4)))))
        for _ in range(int(sys.argv[2]))
    )
    profile = Profile(groups)
else:
    pb = read_pb_file(sys.argv[1])
    contest, profile = pb.contest, pb.profile
outcome = count(contest, profile, "equalshares/add1")
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
runs = [r.details["runs"] for r in outcome.rounds if r.action == "stop"] or [0]
selected = sorted(outcome.selected)
print(json.dumps({"seconds": seconds, "cpu": cpu, "runs": runs[-1], "selected": selected}))
"""


def measure(args: list[str], code: Path | None, timeout: float) -> dict | None:
    env = {**os.environ, "PYTHONPATH": str(code.resolve())} if code is not None else None
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            env=env,
            cwd=code,  # ``-c`` puts the working directory first on sys.path
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    demo = str(ROOT / "votesvc" / "data" / "demo_election.json")
    cases = {
        "demo city-wide, 12 ballots": ["demo", "12", demo],
        "demo city-wide, 1000 ballots": ["demo", "1000", demo],
    }
    cases.update({label: [str(PABULIB / name)] for label, name in FILES.items()})
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("wall and CPU seconds of reading and counting, in a fresh process")
    header = f"{'now s':>8} {'cpu':>6} {'runs':>5} {'before s':>9} {'cpu':>6} {'runs':>5}"
    print(f"{'case':32} {header}  same")
    for label, case in cases.items():
        now = measure(case, None, args.timeout)
        then = measure(case, args.before, args.timeout) if args.before else None
        row = f"{label:32} "
        row += (
            f"{now['seconds']:8.2f} {now['cpu']:6.2f} {now['runs']:5}"
            if now
            else f"{'>' + str(args.timeout):>8} {'':6} {'':5}"
        )
        if args.before is not None:
            row += (
                f" {then['seconds']:9.2f} {then['cpu']:6.2f} {then['runs']:5}"
                if then
                else f" {'>' + str(args.timeout):>9} {'':6} {'':5}"
            )
            same = "yes" if now and then and now["selected"] == then["selected"] else "-"
            row += f"  {same}"
        print(row)


if __name__ == "__main__":
    main()
