"""Whole-process time of ``votesvc tally FILE`` beside the counting core alone.

Run: ``.venv/bin/python bench/cli_startup.py [--repeat N] [--before CHECKOUT]``

For Warsaw 2026 (61 668 voters) and a small file (Wrocław 2017, 3 agendas), each measured
``--repeat`` times (default 5) in fresh processes, medians printed:

- ``python -c pass``: the interpreter alone;
- ``votesvc tally``: the console script as installed (``votesvc.cli.console``: no Flask);
- ``via Flask group``: the same command through the Flask command group (``votesvc.cli.commands``),
  which is how ``votesvc tally`` started before ``votesvc.cli.console``;
- ``core only``: reading the file and counting, timed inside the process (no start-up);
- with ``--before CHECKOUT`` (a checkout of an older commit), its ``votesvc.cli.commands`` on
  the same
  file, run from that checkout with ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
FILES = {
    "Warsaw 2026": SHARED / "pabulib" / "Poland_Warszawa_2026.pb",
    "Wrocław 2017 (small)": SHARED / "pabulib-cities" / "Poland_Wroclaw_2017_Rejon_nr_11_750.pb",
}
SCRIPT = Path(sys.executable).with_name("votesvc")

VIA_GROUP = (
    "import sys; from votesvc.cli.commands import main; "
    "sys.argv = ['votesvc', 'tally', sys.argv[1]]; main()"
)
CORE = (
    "import sys, time; from votesvc.tally.pb_count import count_pb_file\n"
    "start = time.perf_counter(); count_pb_file(sys.argv[1])\n"
    "print(time.perf_counter() - start)"
)


def wall(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    """Seconds the command takes; ``cwd`` first on ``sys.path`` for ``python -c``."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=cwd)
    return time.perf_counter() - start


def inside(command: list[str]) -> float:
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    args = parser.parse_args()
    py = sys.executable
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeat} runs, seconds")
    for label, path in FILES.items():
        if not path.is_file():
            print(f"{label}: {path} not found, skipped")
            continue
        file = str(path)
        rows = {
            "python -c pass": lambda: wall([py, "-c", "pass"]),
            "votesvc tally": lambda file=file: wall([str(SCRIPT), "tally", file]),
            "via Flask group": lambda file=file: wall([py, "-c", VIA_GROUP, file]),
            "core only": lambda file=file: inside([py, "-c", CORE, file]),
        }
        if args.before is not None:
            env = {**os.environ, "PYTHONPATH": str(args.before.resolve())}
            rows["before (its votesvc.cli.commands)"] = lambda file=file, env=env: wall(
                [py, "-c", VIA_GROUP, file], env, args.before
            )
        print(f"\n{label}")
        for name, measure in rows.items():
            times = [measure() for _ in range(args.repeat)]
            spread = f"{min(times):.3f}-{max(times):.3f}"
            print(f"  {name:28} {statistics.median(times):7.3f}   ({spread})")


if __name__ == "__main__":
    main()
