"""Ranked counting speed and memory beside pyrankvote, measured in the same run.

    .venv/bin/python bench/ranked.py            # the speed table
    .venv/bin/python bench/ranked.py --corpus   # pyrankvote vs RCTab on every corpus case

Every measurement runs in a fresh interpreter so its peak RSS (``ru_maxrss``) is its own.
Times are taken inside the worker after imports: reading the input and counting. "rounds = RCTab"
checks every round (tallies, decisions, thresholds, inactive ballots) against the case's
expected RCTab report.

Inputs (from ``<project root>/../shared/data/rcv``):
- a case file as published (aggregated JSON);
- one million unaggregated ballots, one JSON ranking per line in a temporary file, the way a
  database export hands them over (the scale case's ballots, expanded and shuffled);
- the same million as in-memory rows (tuples), as a database driver returns them; building the
  rows is not timed, only aggregating and counting them.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RCV = ROOT / ".." / "shared" / "data" / "rcv"
SCALE = "2013_minneapolis_mayor_scale"
CASES = (SCALE, "2013_minneapolis_mayor", "2013_minneapolis_park", "dominion_no_precinct_data")
MILLION = 1_000_000


def _peak_mb() -> float:
    """This interpreter's peak resident memory.

    ``VmHWM`` rather than ``ru_maxrss``: Linux carries ``ru_maxrss`` over from the parent
    through fork and exec, so a worker would report the parent's peak if that were higher.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rounds_match(outcome, expected) -> bool:
    passes = expected.get("passes") or [{"pass": 1, "rounds": expected["rounds"]}]
    for p in passes:
        ours = [r for r in outcome.rounds if r.pass_number == p["pass"]]
        if len(ours) != len(p["rounds"]):
            return False
        for theirs, mine in zip(p["rounds"], ours, strict=True):
            inactive = set(theirs["inactive"]) | set(mine.inactive)
            if (
                dict(mine.tally) != theirs["tally"]
                or set(mine.elected) != set(theirs["elected"])
                or set(mine.eliminated) != set(theirs["eliminated"])
                or mine.threshold != theirs["threshold"]
                or any(mine.inactive.get(k, 0) != theirs["inactive"].get(k, 0) for k in inactive)
            ):
                return False
    return True


def _expected(name: str) -> dict:
    with (RCV / f"{name}.json").open() as f:
        return json.load(f, parse_float=Decimal)["expected"]


def _write_lines(path: Path) -> None:
    """The scale case's ballots, one JSON ranking per line, shuffled, first million kept."""
    with (RCV / f"{SCALE}.json").open() as f:
        case = json.load(f)
    lines = [
        json.dumps(b["ranking"], ensure_ascii=False) + "\n"
        for b in case["ballots"]
        for _ in range(b["count"])
    ]
    random.Random(7).shuffle(lines)
    path.write_text("".join(lines[:MILLION]), encoding="utf-8")


# -- workers (each in its own interpreter) ---------------------------------------------------


def _measure(task) -> tuple[object, dict]:
    """Run ``task``; its result and the wall time, CPU time and peak memory it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = task()
    figures = {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak_mb": _peak_mb(),
    }
    return result, figures


def work(kind: str, arg: str) -> dict:
    if kind == "write-lines":
        _write_lines(Path(arg))
        return {}
    from votesvc.tally.ranked.case import count_case_file, groups_from_lines, read_case
    from votesvc.tally.ranked.engine import count
    from votesvc.tally.ranked.pyrankvote_rules import count_pyrankvote
    from votesvc.tally.ranked.rules import RankedContest, aggregate

    extra: dict = {}
    if kind == "ours-case":
        outcome, figures = _measure(lambda: count_case_file(RCV / f"{arg}.json"))
        extra["rounds_match"] = _rounds_match(outcome, _expected(arg))
    elif kind == "pyrankvote-case":
        case = read_case(RCV / f"{arg}.json")
        outcome, figures = _measure(lambda: count_pyrankvote(case.contest))
    else:
        scale = read_case(RCV / f"{SCALE}.json").contest
        counter = count_pyrankvote if kind == "pyrankvote-lines" else count
        if kind in ("ours-lines", "pyrankvote-lines"):

            def from_lines():
                with open(arg, encoding="utf-8") as f:
                    groups = groups_from_lines(f)
                return counter(RankedContest(scale.candidates, scale.rules, groups))

            outcome, figures = _measure(from_lines)
        elif kind == "ours-rows":
            with open(arg, encoding="utf-8") as f:
                rows = [tuple(tuple(rank) for rank in json.loads(line)) for line in f]
            extra["rows_mb"] = _peak_mb()
            outcome, figures = _measure(
                lambda: count(RankedContest(scale.candidates, scale.rules, aggregate(rows)))
            )
        else:
            raise SystemExit(f"unknown worker {kind}")
    return {
        **figures,
        **extra,
        "winners": list(outcome.winners),
        "ballots": outcome.total_ballots,
    }


def run(kind: str, arg: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, arg],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)


# -- reports ---------------------------------------------------------------------------------


def speed_table() -> None:
    rows: list[tuple[str, dict, dict | None, set[str], str]] = []
    for name in CASES:
        ours = run("ours-case", name)
        theirs = run("pyrankvote-case", name)
        rounds = "yes" if ours["rounds_match"] else "NO"
        rows.append((f"{name}.json", ours, theirs, set(_expected(name)["winners"]), rounds))
    expected = set(_expected(SCALE)["winners"])
    with tempfile.TemporaryDirectory() as tmp:
        lines = str(Path(tmp) / "million.jsonl")
        run("write-lines", lines)
        ours, theirs = run("ours-lines", lines), run("pyrankvote-lines", lines)
        rows.append(("1M lines, one JSON ranking each", ours, theirs, expected, "n/a"))
        in_memory = run("ours-rows", lines)
        rows.append(("1M rows already in memory", in_memory, None, expected, "n/a"))
    print(
        "| input | ballots | ours s (cpu) | pyrankvote s (cpu) | ratio (cpu) "
        "| winners = RCTab: ours / pyrankvote | every round = RCTab | peak MB: ours / pyrankvote |"
    )
    print("|" + "---|" * 8)
    for label, ours, theirs, winners, rounds in rows:
        ours_ok = "yes" if set(ours["winners"]) == winners else "NO"
        if theirs is None:
            theirs_time = ratio = theirs_ok = theirs_mb = "-"
        else:
            theirs_time = f"{theirs['seconds']:.2f} ({theirs['cpu']:.2f})"
            ratio = f"{theirs['cpu'] / ours['cpu']:.0f}x"
            theirs_ok = "yes" if set(theirs["winners"]) == winners else "no"
            theirs_mb = f"{theirs['peak_mb']:.0f}"
        print(
            f"| {label} | {ours['ballots']:,} | {ours['seconds']:.3f} ({ours['cpu']:.3f}) "
            f"| {theirs_time} | {ratio} | {ours_ok} / {theirs_ok} | {rounds} "
            f"| {ours['peak_mb']:.0f} / {theirs_mb} |"
        )
    print(
        "\nTimes: reading the input and counting, in a fresh interpreter after imports; cpu is "
        "process time (the wall clock also shows other load on the machine).\n"
        "pyrankvote on the 1M lines is given our aggregation of them (it has none of its own).\n"
        "1M rows already in memory: the peak includes the million row tuples themselves "
        f"({in_memory['rows_mb']:.0f} MB before aggregating)."
    )


def corpus_table(seeds: int) -> None:
    """pyrankvote's winners against RCTab's on every case, over several tie-break seeds.

    The scale case is the Minneapolis mayor case with every count x13 (same rankings, same
    rounds), so it is left out here; the speed table counts it once.
    """
    from votesvc.tally.ranked.case import read_case
    from votesvc.tally.ranked.pyrankvote_rules import count_pyrankvote

    tallies = {"same": 0, "different": 0, "crash": 0, "not applicable": 0, "seed-dependent": 0}
    print("| case | method | pyrankvote | winners |")
    print("|---|---|---|---|")
    for path in sorted(RCV.glob("*.json")):
        if path.stem == SCALE:
            continue
        case = read_case(path)
        expected = set(case.expected["winners"])
        results = []
        for seed in range(seeds):
            try:
                results.append(frozenset(count_pyrankvote(case.contest, seed=seed).winners))
            except Exception as error:  # measuring pyrankvote's failures is the point
                results.append(f"{type(error).__name__}: {error}")
        first = results[0]
        if isinstance(first, str) and first.startswith("RulesError"):
            verdict = "not applicable"
        elif isinstance(first, str):
            verdict = "crash"
        else:
            verdict = "same" if first == expected else "different"
        tallies[verdict] += 1
        seed_dependent = len(set(results)) > 1
        tallies["seed-dependent"] += seed_dependent
        shown = first if isinstance(first, str) else ", ".join(sorted(first))
        note = " (seed-dependent)" if seed_dependent else ""
        print(f"| {path.stem} | {case.contest.rules.method} | {shown}{note} | {verdict} |")
    print()
    print(", ".join(f"{k}: {v}" for k, v in tallies.items()), f"(seeds 0..{seeds - 1})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", action="store_true", help="pyrankvote vs RCTab per case")
    parser.add_argument("--seeds", type=int, default=5, help="tie-break seeds for --corpus")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not RCV.is_dir():
        raise SystemExit(f"no RCV corpus at {RCV}")
    if args.worker:
        print(json.dumps(work(*args.worker)))
    elif args.corpus:
        corpus_table(args.seeds)
    else:
        speed_table()


if __name__ == "__main__":
    main()
