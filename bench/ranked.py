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


def _lines_file(directory: Path) -> Path:
    """The scale case's ballots, one JSON ranking per line, shuffled, first million kept."""
    with (RCV / f"{SCALE}.json").open() as f:
        case = json.load(f)
    lines = [
        json.dumps(b["ranking"], ensure_ascii=False) + "\n"
        for b in case["ballots"]
        for _ in range(b["count"])
    ]
    random.Random(7).shuffle(lines)
    path = directory / "million.jsonl"
    path.write_text("".join(lines[:MILLION]), encoding="utf-8")
    return path


# -- workers (each in its own interpreter) ---------------------------------------------------


def work(kind: str, arg: str) -> dict:
    from votesvc.tally.ranked.case import count_case_file, groups_from_lines, read_case
    from votesvc.tally.ranked.engine import count
    from votesvc.tally.ranked.pyrankvote_rules import count_pyrankvote
    from votesvc.tally.ranked.rules import RankedContest, aggregate

    if kind == "ours-case":
        start = time.perf_counter()
        outcome = count_case_file(RCV / f"{arg}.json")
        seconds = time.perf_counter() - start
        peak = _peak_mb()
        return {
            "seconds": seconds,
            "winners": list(outcome.winners),
            "rounds_match": _rounds_match(outcome, _expected(arg)),
            "ballots": outcome.total_ballots,
            "peak_mb": peak,
        }
    if kind == "pyrankvote-case":
        case = read_case(RCV / f"{arg}.json")
        start = time.perf_counter()
        outcome = count_pyrankvote(case.contest)
        return {
            "seconds": time.perf_counter() - start,
            "winners": list(outcome.winners),
            "peak_mb": _peak_mb(),
        }
    scale_case = read_case(RCV / f"{SCALE}.json")
    if kind in ("ours-lines", "pyrankvote-lines"):
        start = time.perf_counter()
        with open(arg, encoding="utf-8") as f:
            groups = groups_from_lines(f)
        contest = RankedContest(scale_case.contest.candidates, scale_case.contest.rules, groups)
        outcome = count(contest) if kind == "ours-lines" else count_pyrankvote(contest)
        return {
            "seconds": time.perf_counter() - start,
            "winners": list(outcome.winners),
            "ballots": outcome.total_ballots,
            "peak_mb": _peak_mb(),
        }
    if kind == "ours-rows":
        with open(arg, encoding="utf-8") as f:
            rows = [tuple(tuple(rank) for rank in json.loads(line)) for line in f]
        before = _peak_mb()
        start = time.perf_counter()
        contest = RankedContest(
            scale_case.contest.candidates, scale_case.contest.rules, aggregate(rows)
        )
        outcome = count(contest)
        return {
            "seconds": time.perf_counter() - start,
            "winners": list(outcome.winners),
            "ballots": outcome.total_ballots,
            "peak_mb": _peak_mb(),
            "rows_mb": before,
        }
    raise SystemExit(f"unknown worker {kind}")


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
    rows = []
    for name in CASES:
        ours = run("ours-case", name)
        theirs = run("pyrankvote-case", name)
        expected = _expected(name)["winners"]
        rows.append(
            (
                f"{name}.json",
                ours["ballots"],
                ours["seconds"],
                theirs["seconds"],
                set(ours["winners"]) == set(expected),
                set(theirs["winners"]) == set(expected),
                "yes" if ours["rounds_match"] else "NO",
                ours["peak_mb"],
                theirs["peak_mb"],
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        lines = _lines_file(Path(tmp))
        ours = run("ours-lines", str(lines))
        theirs = run("pyrankvote-lines", str(lines))
        expected = set(_expected(SCALE)["winners"])
        rows.append(
            (
                "1M lines (JSON per ballot)",
                ours["ballots"],
                ours["seconds"],
                theirs["seconds"],
                set(ours["winners"]) == expected,
                set(theirs["winners"]) == expected,
                "n/a",
                ours["peak_mb"],
                theirs["peak_mb"],
            )
        )
        mem = run("ours-rows", str(lines))
        rows.append(
            (
                "1M rows in memory",
                mem["ballots"],
                mem["seconds"],
                None,
                set(mem["winners"]) == expected,
                None,
                "n/a",
                mem["peak_mb"],
                None,
            )
        )
    head = (
        "| input | ballots | ours s | pyrankvote s | ratio | winners = RCTab (ours / pyrankvote)"
        " | rounds = RCTab | peak MB ours | peak MB pyrankvote |"
    )
    print(head)
    print("|" + "---|" * 9)
    for name, ballots, ours_s, theirs_s, ok, their_ok, rounds, ours_mb, theirs_mb in rows:
        ratio = f"{theirs_s / ours_s:.0f}x" if theirs_s else "-"
        theirs_text = f"{theirs_s:.2f}" if theirs_s else "-"
        their_ok_text = "-" if their_ok is None else ("yes" if their_ok else "no")
        theirs_mb_text = f"{theirs_mb:.0f}" if theirs_mb else "-"
        print(
            f"| {name} | {ballots:,} | {ours_s:.3f} | {theirs_text} | {ratio} "
            f"| {'yes' if ok else 'no'} / {their_ok_text} | {rounds} | {ours_mb:.0f} "
            f"| {theirs_mb_text} |"
        )
    print(
        "\n1M rows in memory: the peak includes the million row tuples themselves "
        f"({mem['rows_mb']:.0f} MB before aggregating)."
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
