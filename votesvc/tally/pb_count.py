"""One dispatch from a rule name (``catalog.ALLOCATION_RULES``) to the code that counts it.

``count`` is what the service calls with a stored contest; ``count_pb_file`` reads a pabulib file
and counts it with the rule its META names unless told otherwise (the ``votesvc tally``
command). Equal Shares lives in ``votesvc.tally.mes.equal_shares`` and is imported only when asked
for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from votesvc.tally.catalog import ALLOCATION_RULES
from votesvc.tally.greedy import greedy
from votesvc.tally.model import BallotType, Contest, Profile
from votesvc.tally.official import Comparison, compare
from votesvc.tally.outcome import Outcome
from votesvc.tally.pabulib import read_pb_file
from votesvc.tally.pb_rules import DEFAULT_RESERVE, RESERVE_KEY, meta_rule, reserve_fraction
from votesvc.tally.phragmen import phragmen
from votesvc.tally.satisfaction import Satisfaction, default_satisfaction, parse_satisfaction
from votesvc.tally.ties import TieBreak
from votesvc.tally.welfare import max_welfare

Progress = Callable[[float], None]

THRESHOLD_KEY = "min_project_score_threshold"
"""The pabulib META key (and ``count`` option): the least published score a funded agenda has,
under every greedy variant (``greedy-threshold`` requires it)."""

ADD1_START_KEY = "add1_start"
"""The ``count`` option that says where Equal Shares' Add1 starts (``share`` or ``integral``)."""

COUNT_OPTIONS = ("satisfaction", THRESHOLD_KEY, ADD1_START_KEY, RESERVE_KEY)
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


def _threshold(rule: str, contest: Contest, options: Mapping[str, Any]) -> Fraction | None:
    """The option's threshold, else the contest's META one; only ``greedy-threshold`` needs one."""
    text = options.get(THRESHOLD_KEY, contest.meta.get(THRESHOLD_KEY))
    if text is None:
        if rule == "greedy-threshold":
            raise CountError(f"greedy-threshold needs {THRESHOLD_KEY} (an option or META key)")
        return None
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

    ``options``: ``satisfaction`` (a ``Satisfaction`` name; not for Phragmén); for every
    greedy, ``min_project_score_threshold`` (default: the contest's META value; required by
    ``greedy-threshold``); for ``greedy-reserve``, ``reserve_fraction`` (default 0.8);
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
    if RESERVE_KEY in options and rule != "greedy-reserve":
        raise CountError(f"{rule} takes no {RESERVE_KEY}")
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
            skip=rule not in ("greedy-no-skip", "greedy-reserve"),
            threshold=_threshold(rule, contest, options),
            reserve_fraction=(
                reserve_fraction(options.get(RESERVE_KEY, DEFAULT_RESERVE))
                if rule == "greedy-reserve"
                else None
            ),
            rule=rule,
        )
    mes = importlib.import_module("votesvc.tally.mes.equal_shares")
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
    against_official: Comparison | None = None

    def to_dict(self) -> dict[str, Any]:
        """The outcome's JSON form (``selected`` in the order funded, ``rounds``, ...)."""
        data = {"file": self.file, **self.outcome.to_dict(), "repairs": list(self.repairs)}
        if self.against_official is not None:
            data["against_official"] = self.against_official.to_dict()
        return data

    def to_text(self) -> str:
        lines = [f"{self.file}: {self.outcome.to_text(self.names)}"]
        lines.extend(f"repaired: {repair}" for repair in self.repairs)
        if self.against_official is not None:
            lines.append(self.against_official.to_text())
        return "\n".join(lines)


def count_pb_file(
    path: str | Path,
    rule: str | None = None,
    tie_break: str | None = None,
    progress: Progress | None = None,
    satisfaction: str | None = None,
    add1_start: str | None = None,
    reserve_fraction: str | None = None,
    exclusive: Sequence[Sequence[str]] | None = None,
    against_official: bool = False,
) -> CountResult:
    """Read a ``.pb`` file and count it under ``rule``, by default the rule its META names.

    Counted by its META rule, a file is counted as the city counted it: ``greedy-custom`` and
    ``greedy-exclusive`` as their comments explain (``pb_rules.meta_rule``), and ties in the
    file's own project order (``file``) unless ``tie_break`` says otherwise. ``exclusive``
    groups replace any the comment names. ``against_official`` compares the outcome with the
    file's ``selected`` column and looks for the smallest change that explains a difference
    (``official.compare``).
    """
    pb = read_pb_file(path)
    contest = pb.contest
    options: dict[str, Any] = {}
    if rule is None:
        named = contest.meta.get("rule")
        if named not in ALLOCATION_RULES and named != "greedy-custom":
            raise CountError(
                f"{Path(path).name}: META rule {named!r} is not one we count; "
                f"choose one with --rule: {', '.join(ALLOCATION_RULES)}"
            )
        try:
            read = meta_rule(contest, read_groups=exclusive is None)
        except ValueError as error:
            raise CountError(f"{Path(path).name}: {error}") from None
        rule, options = read.rule, dict(read.options)
        contest = replace(contest, exclusive=read.exclusive)
        tie_break = tie_break or "file"
    if exclusive is not None:
        try:
            contest = replace(contest, exclusive=tuple(tuple(group) for group in exclusive))
        except ValueError as error:
            raise CountError(f"{Path(path).name}: {error}") from None
    given = {
        "satisfaction": satisfaction,
        ADD1_START_KEY: add1_start,
        RESERVE_KEY: reserve_fraction,
    }
    options.update({key: value for key, value in given.items() if value})
    outcome = count(contest, pb.profile, rule, options, tie_break, progress)
    names = {a.id: a.name for a in contest.agendas}
    comparison = None
    if against_official:
        if "selected" not in pb.project_columns:
            raise CountError(f"{Path(path).name} has no selected column to compare with")
        marks = {a.id: pb.projects_extra[a.id].get("selected", "") for a in contest.agendas}

        def recount(
            changed: Contest | None, extra: Mapping[str, str], order: str | None
        ) -> Outcome:
            return count(
                changed or contest, pb.profile, str(rule), {**options, **extra}, order or tie_break
            )

        comparison = compare(contest, pb.profile, outcome, marks, recount)
    return CountResult(Path(path).name, outcome, names, pb.repairs, comparison)
