"""RCV case files (``shared/data/rcv/FORMAT.md``): read, write, and count with their own rules.

A case carries a contest (candidates, rules, aggregated ballots) and RCTab's expected report.
Numbers are read as ``Decimal`` and written back as the same JSON numbers, so a case survives a
read/write round trip unchanged.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from votesvc.tally.ranked.engine import Decisions, count, rules_to_dict
from votesvc.tally.ranked.outcome import RankedOutcome
from votesvc.tally.ranked.rules import (
    RankedContest,
    RankedGroup,
    RankedRules,
    Ranking,
    Threshold,
    TieBreakRule,
    groups_from_counts,
)

_NUMBER = "\x00number:"
_NUMBER_TOKEN = re.compile(r'"\\u0000number:([-0-9.]+)"')


@dataclass(frozen=True, slots=True)
class RcvCase:
    """A case file: the contest, where it came from, and RCTab's expected report (as read)."""

    name: str
    contest: RankedContest
    description: str = ""
    source: str = ""
    source_files: tuple[str, ...] = ()
    license: str = ""
    expected: Mapping[str, Any] = field(default_factory=dict)

    def recorded_decisions(self) -> Decisions:
        """The tie decisions the expected report records, keyed as ``engine.count`` takes them."""
        passes = self.expected.get("passes") or [
            {"pass": 1, "tiebreaks": self.expected.get("tiebreaks", [])}
        ]
        return {
            (p["pass"], t["round"], t["kind"], frozenset(t["tied"])): t["selected"]
            for p in passes
            for t in p.get("tiebreaks", [])
        }


def read_case(path: Path) -> RcvCase:
    with path.open(encoding="utf-8") as f:
        return case_from_dict(json.load(f, parse_float=Decimal))


def case_from_dict(data: Mapping[str, Any]) -> RcvCase:
    candidates = tuple(data["candidates"])
    contest = RankedContest(
        candidates=candidates,
        rules=rules_from_dict(data["rules"]),
        groups=tuple(
            RankedGroup(tuple(tuple(rank) for rank in b["ranking"]), b["count"])
            for b in data["ballots"]
        ),
    )
    return RcvCase(
        name=data["name"],
        contest=contest,
        description=data.get("description", ""),
        source=data.get("source", ""),
        source_files=tuple(data.get("source_files", ())),
        license=data.get("license", ""),
        expected=data.get("expected", {}),
    )


def rules_from_dict(data: Mapping[str, Any]) -> RankedRules:
    threshold = data.get("threshold")
    tiebreak = data.get("tiebreak") or {}
    percentage = None if threshold is None else threshold.get("percentage")
    return RankedRules(
        method=data["method"],
        seats=data["seats"],
        threshold=None
        if threshold is None
        else Threshold(
            type=threshold["type"],
            integer=threshold.get("integer", True),
            basis=threshold.get("basis", "current_round"),
            percentage=None if percentage is None else Decimal(percentage),
        ),
        decimal_places=data.get("decimal_places", 4),
        overvote=data.get("overvote", "exhaust"),
        max_skipped_ranks=data.get("max_skipped_ranks"),
        max_rankings=data.get("max_rankings"),
        duplicate_candidate=data.get("duplicate_candidate", "skip"),
        batch_elimination=data.get("batch_elimination", False),
        continue_until_two=data.get("continue_until_two", False),
        stop_after_round=data.get("stop_after_round"),
        excluded=tuple(data.get("excluded", ())),
        undeclared_write_in=data.get("undeclared_write_in"),
        tiebreak=TieBreakRule(
            method=tiebreak.get("method", "candidate_order"),
            order=tuple(tiebreak.get("order", ())),
            seed=tiebreak.get("seed"),
            rctab_mode=tiebreak.get("rctab_mode"),
        ),
        elect_one_per_round=data.get("elect_one_per_round", False),
        surplus_transfer=data.get("surplus_transfer"),
        cutoff_elimination=data.get("cutoff_elimination", False),
    )


def _rules_for_file(rules: RankedRules) -> dict[str, Any]:
    """The rules as a case file writes them: optional keys only where the method uses them."""
    data = rules_to_dict(rules)
    if rules.threshold is not None:
        data["threshold"] = {
            k: v
            for k, v in data["threshold"].items()
            if not (k == "percentage" and v is None)
            and not (rules.threshold.type == "percentage" and k == "integer")
        }
        if rules.threshold.percentage is not None:
            data["threshold"]["percentage"] = rules.threshold.percentage
    tiebreak = {"rctab_mode": rules.tiebreak.rctab_mode, "method": rules.tiebreak.method}
    if rules.tiebreak.order:
        tiebreak["order"] = list(rules.tiebreak.order)
    if rules.tiebreak.seed is not None:
        tiebreak["seed"] = rules.tiebreak.seed
    data["tiebreak"] = tiebreak
    if rules.method not in ("stv",):
        data.pop("elect_one_per_round")
        data.pop("surplus_transfer")
    if rules.method != "bottoms_up_percentage":
        data.pop("cutoff_elimination")
    return data


def case_to_dict(case: RcvCase) -> dict[str, Any]:
    contest = case.contest
    return {
        "name": case.name,
        "description": case.description,
        "source": case.source,
        "source_files": list(case.source_files),
        "license": case.license,
        "rules": _rules_for_file(contest.rules),
        "candidates": list(contest.candidates),
        "ballots": [
            {"ranking": [list(rank) for rank in g.ranking], "count": g.count}
            for g in contest.groups
        ],
        "expected": case.expected,
    }


def write_case(case: RcvCase, path: Path) -> None:
    path.write_text(dumps_exact(case_to_dict(case)) + "\n", encoding="utf-8")


def dumps_exact(data: Any) -> str:
    """JSON with every ``Decimal`` written as the number it is (``json`` has no such option)."""

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            return _NUMBER + str(value)
        if isinstance(value, Mapping):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [mark(v) for v in value]
        return value

    return _NUMBER_TOKEN.sub(r"\1", json.dumps(mark(data), ensure_ascii=False))


def groups_from_lines(lines: Iterable[str]) -> tuple[RankedGroup, ...]:
    """Ballots given one per line as a JSON ranking (``[["A"], [], ["B", "C"]]``), aggregated.

    Identical lines are counted before any is parsed, so a million ballots cost a million
    hash lookups and a few thousand JSON parses; rankings written differently but equal
    (spacing) are merged after parsing. Blank lines are skipped.
    """
    merged: Counter[Ranking] = Counter()
    for line, n in Counter(lines).items():
        if line.strip():
            merged[tuple(tuple(rank) for rank in json.loads(line))] += n
    return groups_from_counts(merged)


def count_case_file(
    path: Path, *, progress: Callable[[float], None] | None = None
) -> RankedOutcome:
    """Count a case file with the rules it carries (the ``votesvc tally CASE.json`` command).

    A ``manual`` tie-break takes the decisions the case records, as an operator would make
    them; every other mode decides its ties itself, as RCTab does.
    """
    case = read_case(path)
    manual = case.contest.rules.tiebreak.method == "manual"
    return count(
        case.contest, decided=case.recorded_decisions() if manual else None, progress=progress
    )
