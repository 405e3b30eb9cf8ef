"""One dispatch from a rule name (``catalog.ALLOCATION_RULES``) to the code that counts it.

``count`` is what the service calls with a stored contest; ``count_pb_file`` reads a pabulib file
and counts it with the rule its META names unless told otherwise (the ``votesvc tally``
command). Equal Shares lives in ``votesvc.tally.mes`` and is imported only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from votesvc.tally.catalog import ALLOCATION_RULES
from votesvc.tally.greedy import greedy
from votesvc.tally.model import BallotType, Contest, Profile
from votesvc.tally.outcome import Outcome
from votesvc.tally.pabulib import read_pb_file
from votesvc.tally.phragmen import phragmen
from votesvc.tally.satisfaction import Satisfaction, default_satisfaction, parse_satisfaction
from votesvc.tally.ties import TieBreak
from votesvc.tally.welfare import max_welfare

Progress = Callable[[float], None]

THRESHOLD_KEY = "min_project_score_threshold"
"""The pabulib META key (and ``count`` option) for ``greedy-threshold``."""

ADD1_START_KEY = "add1_start"
"""The ``count`` option that says where Equal Shares' Add1 starts (``share`` or ``integral``)."""

COUNT_OPTIONS = ("satisfaction", THRESHOLD_KEY, ADD1_START_KEY)
"""The options ``count`` reads (a contest's other rule options are only recorded)."""

_NO_SATISFACTION = frozenset({"phragmen", "phragmen-exhaustive"})


class CountError(ValueError):
    """A rule, option or tie-break that cannot count this contest (message says why)."""


def _satisfaction(rule: str, contest: Contest, options: Mapping[str, Any]) -> Satisfaction:
    """The option's measure, else the rule's default for the ballot type.

    Greedy and max-welfare default to counting by votes as cities do (``cost`` for approval,
    ``score`` for points and ranks); Equal Shares to ``cost``, or ``points`` on points ballots.
    """
    name = options.get("satisfaction")
    if name is not None:
        return parse_satisfaction(name, contest.ballot_type)
    if rule.startswith("equalshares"):
        if contest.ballot_type in (BallotType.CUMULATIVE, BallotType.SCORING):
            return Satisfaction.POINTS
        return Satisfaction.COST
    return default_satisfaction(contest.ballot_type)


def _threshold(contest: Contest, options: Mapping[str, Any]) -> Fraction:
    text = options.get(THRESHOLD_KEY, contest.meta.get(THRESHOLD_KEY))
    if text is None:
        raise CountError(f"greedy-threshold needs {THRESHOLD_KEY} (an option or META key)")
    try:
        return Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        raise CountError(f"{THRESHOLD_KEY} {text!r} is not a number") from None


def count(
    contest: Contest,
    profile: Profile,
    rule: str,
    options: Mapping[str, Any] | None = None,
    tie_break: TieBreak | str | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Count ``profile`` for ``contest`` under ``rule``.

    ``options``: ``satisfaction`` (a ``Satisfaction`` name; not for Phragmén); for
    ``greedy-threshold``, ``min_project_score_threshold`` (default: the contest's META value);
    for Equal Shares with an Add1 completion, ``add1_start`` (default: the rule's own).
    ``tie_break``: a ``TieBreak`` or its name (default ``pabutools``). ``progress`` receives the
    fraction done on long counts (Equal Shares with a completion).
    """
    options = options or {}
    if rule not in ALLOCATION_RULES:
        raise CountError(f"unknown rule {rule!r}; use one of {', '.join(ALLOCATION_RULES)}")
    order = tie_break if isinstance(tie_break, TieBreak) else TieBreak.parse(tie_break)
    if ADD1_START_KEY in options and not rule.startswith("equalshares"):
        raise CountError(f"{rule} takes no {ADD1_START_KEY}")
    if rule in _NO_SATISFACTION:
        if "satisfaction" in options:
            raise CountError(f"{rule} takes no satisfaction measure")
        return phragmen(contest, profile, tie_break=order, exhaustive=rule != "phragmen")
    measure = _satisfaction(rule, contest, options)
    if rule == "max-welfare":
        return max_welfare(contest, profile, satisfaction=measure, tie_break=order)
    if rule.startswith("greedy"):
        return greedy(
            contest,
            profile,
            satisfaction=measure,
            tie_break=order,
            skip=rule != "greedy-no-skip",
            threshold=_threshold(contest, options) if rule == "greedy-threshold" else None,
            rule=rule,
        )
    mes = importlib.import_module("votesvc.tally.mes")
    completion = rule.partition("/")[2] or None
    return mes.equal_shares(
        contest,
        profile,
        satisfaction=measure,
        completion=completion,
        tie_break=order,
        progress=progress,
        add1_start=options.get(ADD1_START_KEY),
    )


def count_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options among a contest's rule options that ``count`` reads."""
    return {key: options[key] for key in COUNT_OPTIONS if key in options}


def option_problem(contest: Contest, rule: str, options: Mapping[str, Any]) -> str | None:
    """Why ``rule`` with ``options`` cannot count ``contest``, or None if it can.

    A count with no ballots: every rule and option check runs, so an admin hears of a bad
    option when saving the contest rather than from a failed count after the vote.
    """
    try:
        count(contest, Profile(()), rule, count_options(options))
    except ValueError as error:
        return str(error)
    return None


@dataclass(frozen=True, slots=True)
class CountResult:
    """A counted file: the outcome, with the file's name, titles and repairs for the report."""

    file: str
    outcome: Outcome
    names: Mapping[str, str]
    repairs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The outcome's JSON form (``selected`` in the order funded, ``rounds``, ...)."""
        return {"file": self.file, **self.outcome.to_dict(), "repairs": list(self.repairs)}

    def to_text(self) -> str:
        lines = [f"{self.file}: {self.outcome.to_text(self.names)}"]
        lines.extend(f"repaired: {repair}" for repair in self.repairs)
        return "\n".join(lines)


def count_pb_file(
    path: str | Path,
    rule: str | None = None,
    tie_break: str | None = None,
    progress: Progress | None = None,
    satisfaction: str | None = None,
    add1_start: str | None = None,
) -> CountResult:
    """Read a ``.pb`` file and count it under ``rule``, by default the rule its META names."""
    pb = read_pb_file(path)
    if rule is None and pb.meta.get("rule") not in ALLOCATION_RULES:
        rule = pb.meta.get("rule")
        raise CountError(
            f"{Path(path).name}: META rule {rule!r} is not one we count; "
            f"choose one with --rule: {', '.join(ALLOCATION_RULES)}"
        )
    given = {"satisfaction": satisfaction, ADD1_START_KEY: add1_start}
    options = {key: value for key, value in given.items() if value}
    rule = rule or pb.meta["rule"]
    outcome = count(pb.contest, pb.profile, rule, options, tie_break, progress)
    names = {a.id: a.name for a in pb.contest.agendas}
    return CountResult(Path(path).name, outcome, names, pb.repairs)
