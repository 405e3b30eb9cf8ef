"""Equal Shares speed: ours against pabutools on every shared pabulib file, one command.

    .venv/bin/python bench/allocation_mes.py [--no-live] [FILE-SUBSTRING ...]

Every count runs in a fresh interpreter and is timed whole (start-up, reading the file, counting),
with its peak resident memory (``getrusage`` of children). pabutools runs live the same way where
``expected.json`` says it finishes within a minute; otherwise its stored time is quoted (marked
``*``) and our outcome is compared with its stored selection. Rows: plain MES (``mes_cost``) and
MES with Add1 stopping at exhaustive outcomes (``mes_cost_add1``, pabutools'
``voter_budget_increment=1``; Budapest's reference is equalshares.net's tool, integral start).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "pabulib"
LIVE_LIMIT = 60.0
OUR_LIMIT = 900.0
"""Seconds after which a count of ours is stopped and reported as not finished."""

OURS = """
import json, sys
from votesvc.tally.mes.equal_shares import equal_shares
from votesvc.tally.pabulib import read_pb_file
pb = read_pb_file(sys.argv[1])
out = equal_shares(pb.contest, pb.profile, completion=sys.argv[2], add1_start=sys.argv[3] or None)
print(json.dumps(sorted(out.selected)))
"""

THEIRS = """
import json, sys
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares
instance, profile = parse_pabulib(sys.argv[1])
increment = 1 if sys.argv[2] == "add1-exhaustive" else None
out = method_of_equal_shares(instance, profile.as_multiprofile(), sat_class=Cost_Sat,
                             voter_budget_increment=increment)
print(json.dumps(sorted(p.name for p in out)))
"""

RULES = {"mes_cost": "none", "mes_cost_add1": "add1-exhaustive"}


MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
try:
    done = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]))
    code, out = done.returncode, done.stdout
except subprocess.TimeoutExpired:
    code, out = "timeout", "null"
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"seconds": seconds, "peak": peak, "code": code, "out": out}))
"""
"""Runs one count as its only child: the whole child process is timed, and the children's peak
resident memory (``getrusage``) is that count's own."""


def timed(script: str, *args: str, limit: float = OUR_LIMIT) -> tuple[float, int, list[str] | None]:
    """Seconds, peak memory (MB) and the printed selection of one fresh interpreter."""
    command = [sys.executable, "-c", MEASURE, str(limit), sys.executable, "-c", script, *args]
    result = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout)
    if result["code"] not in (0, "timeout"):
        raise RuntimeError(f"count failed: {args}")
    return result["seconds"], result["peak"], json.loads(result["out"])


def main(argv: list[str]) -> int:
    live = "--no-live" not in argv
    wanted = [a for a in argv if not a.startswith("--")]
    if not DATA.is_dir():
        print(f"no shared data at {DATA}")
        return 1
    stored = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
    header = (
        f"{'instance':42} {'rule':14} {'ours s':>7} {'ref s':>9} {'ratio':>7} {'same':>5} {'MB':>5}"
    )
    print(header)
    print("-" * len(header))
    for name in sorted(stored):
        if wanted and not any(w in name for w in wanted):
            continue
        for key, completion in RULES.items():
            reference = stored[name]["rules"].get(key)
            if reference is None:
                continue
            start = "integral" if reference.get("source") else ""
            ours_s, peak, ours = timed(OURS, str(DATA / name), completion, start)
            ref_s = reference.get("pabutools_seconds")
            mark = "*"
            expected = reference["selected"]
            if live and ref_s is not None and ref_s < LIVE_LIMIT:
                ref_s, _, expected = timed(THEIRS, str(DATA / name), completion, limit=120)
                mark = " "
            ref_text = f"{ref_s:8.2f}{mark}" if ref_s is not None else "   (tool)"
            if ours is None:
                print(f"{name[:42]:42} {key:14} > {OUR_LIMIT:.0f} s: stopped", flush=True)
                continue
            ratio = f"{ref_s / ours_s:6.1f}x" if ref_s is not None else "      -"
            same = "yes" if ours == expected else "NO"
            print(
                f"{name[:42]:42} {key:14} {ours_s:7.2f} {ref_text:>9} {ratio:>7} {same:>5} "
                f"{peak:5d}",
                flush=True,
            )
    print("* pabutools time quoted from expected.json (longer than a minute, or --no-live)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
