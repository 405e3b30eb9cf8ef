"""Greedy, Phragmén and max-welfare on every shared pabulib file, beside pabutools.

Run: ``.venv/bin/python bench/allocation_simple.py [--live-limit SECONDS] [--files SUBSTRING]``

Every measurement runs in a fresh child process, so its time covers reading the file and
counting, and its peak memory (``ru_maxrss``) is its own. pabutools (exact fractions, multiprofile)
runs live where ``expected.json`` says it took under ``--live-limit`` seconds (default 60);
slower ones are quoted from ``expected.json``. "same" compares our funded set with pabutools'
stored one (and with the live one when it ran). pabutools' greedy has no score threshold, so
ours runs with ``min_project_score_threshold`` 0 (by default votesvc applies a file's META
threshold under every greedy, which changes Warsaw 2026's and Łódź 2024's outcomes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PABULIB = ROOT / ".." / "shared" / "data" / "pabulib"

CASES = {
    # expected.json key: (our rule, our satisfaction, pabutools rule, pabutools satisfaction)
    "greedy_cost": ("greedy", "cost", "greedy", "Cost_Sat"),
    "greedy_card": ("greedy", "cardinality", "greedy", "Cardinality_Sat"),
    "greedy_points": ("greedy", "points", "greedy", "Additive_Cardinal_Sat"),
    "greedy_borda": ("greedy", "borda", "greedy", "Additive_Borda_Sat"),
    "seq_phragmen": ("phragmen", None, "phragmen", None),
}
OURS_ONLY = {"phragmen-exhaustive": None, "max-welfare": "cost"}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(path: str, rule: str, satisfaction: str | None) -> dict:
    from votesvc.tally.pabulib import read_pb_file
    from votesvc.tally.pb_count import count

    start, cpu = time.perf_counter(), time.process_time()
    pb = read_pb_file(path)
    options: dict[str, object] = {"satisfaction": satisfaction} if satisfaction else {}
    if rule == "greedy":
        options["min_project_score_threshold"] = 0  # as pabutools: no threshold
    outcome = count(pb.contest, pb.profile, rule, options)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "selected": sorted(outcome.selected),
        "peak_mb": _peak_mb(),
    }


def run_pabutools(path: str, rule: str, satisfaction: str | None) -> dict:
    from pabutools import election
    from pabutools.election.pabulib import parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare, sequential_phragmen

    start = time.perf_counter()
    instance, profile = parse_pabulib(path)
    profile = profile.as_multiprofile()
    if rule == "phragmen":
        outcome = sequential_phragmen(instance, profile)
    else:
        sat = getattr(election, satisfaction)
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
    seconds = time.perf_counter() - start
    selected = sorted(p.name for p in outcome)
    return {"seconds": seconds, "selected": selected, "peak_mb": _peak_mb()}


def child(kind: str, path: Path, rule: str, satisfaction: str | None, timeout: float) -> dict:
    """Run one measurement in a fresh interpreter; ``None`` on timeout."""
    args = [sys.executable, __file__, "--child", kind, str(path), rule, satisfaction or "-"]
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, check=True, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live-limit", type=float, default=60.0)
    parser.add_argument("--files", default="", help="only files whose name contains this")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, rule, satisfaction = args.child
        run = run_ours if kind == "ours" else run_pabutools
        print(json.dumps(run(path, rule, None if satisfaction == "-" else satisfaction)))
        return
    if not PABULIB.is_dir():
        sys.exit(f"no shared data at {PABULIB}")
    expected = json.loads((PABULIB / "expected.json").read_text(encoding="utf-8"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (other work slows both sides)\n")
    header = (
        f"{'instance':<34} {'rule':<20} {'ours s':>7} {'cpu s':>6} {'pabutools s':>13} "
        f"{'ratio':>7} "
        f"{'same':>5} {'ours MB':>8} {'ref MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for name in sorted(expected):
        if args.files not in name:
            continue
        path = PABULIB / name
        stored = expected[name]["rules"]
        for key, (rule, sat, ref_rule, ref_sat) in CASES.items():
            if key not in stored:
                continue
            ours = child("ours", path, rule, sat, 600)
            quoted = stored[key].get("pabutools_seconds")
            ref: dict = {}
            if quoted is not None and quoted < args.live_limit:
                ref = child("pabutools", path, ref_rule, ref_sat, args.live_limit * 3)
            same = ours["selected"] == stored[key]["selected"]
            if ref:
                same = same and ours["selected"] == ref["selected"]
            ref_seconds = ref.get("seconds", quoted)
            shown = f"{ref_seconds:.3f}" + ("" if ref else " q") if ref_seconds else "-"
            ratio = f"{ref_seconds / ours['seconds']:.1f}x" if ref_seconds else "-"
            ref_mb = f"{ref['peak_mb']:.0f}" if ref else "-"
            print(
                f"{name[:34]:<34} {key:<20} {ours['seconds']:>7.3f} {ours['cpu']:>6.3f} "
                f"{shown:>13} {ratio:>7} "
                f"{'yes' if same else 'NO':>5} {ours['peak_mb']:>8.0f} {ref_mb:>7}",
                flush=True,
            )
        for rule, sat in OURS_ONLY.items():
            ours = child("ours", path, rule, sat, 600)
            print(
                f"{name[:34]:<34} {rule:<20} {ours['seconds']:>7.3f} {ours['cpu']:>6.3f} "
                f"{'-':>13} {'-':>7} "
                f"{'-':>5} {ours['peak_mb']:>8.0f} {'-':>7}",
                flush=True,
            )
    print(
        "\nours s: wall time to read the file and count (cpu s: CPU time of the same); q: pabutools"
        "\nseconds quoted from expected.json (not run live); ratio = pabutools s / ours s."
    )


if __name__ == "__main__":
    main()
