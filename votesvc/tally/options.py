"""The options each counting rule reads, declared once: names, types, ranges and choices.

A stored contest keeps its rule's options as one flat JSON object of scalars. This module is
the one place that says which keys a rule reads and which values each key takes, so that a
misspelt name or a bad value is refused when the contest is saved (the service calls
:func:`option_problems` on create, update, election import and ``.pb`` import alike) instead
of the count failing after the vote, when the rules are frozen. It also turns a ranked
contest's flat options into the RCTab rules the engine reads (:func:`ranked_rules`), so no
other layer needs to know the engine's vocabulary.

Checks that depend on more than one option or on the ballots' shape (a satisfaction measure
that cannot read points, batch elimination with several seats) stay with the rule engines;
the service dry-runs a count for those.

``tie_break`` exists for every rule; its value is a method, optionally followed by
``:SEED`` for the methods that draw lots. Without a seed, a lot is drawn from the count's own
seed, published with the results.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from votesvc.tally.catalog import ALLOCATION_RULES, RANKED_RULE_SETS, RANKED_RULES
from votesvc.tally.pb_count import ADD1_START_KEY, THRESHOLD_KEY
from votesvc.tally.pb_rules import RESERVE_KEY, PbRuleError, reserve_fraction
from votesvc.tally.ranked.rules import (
    METHODS,
    OVERVOTE_RULES,
    RankedRules,
    TieBreakRule,
)
from votesvc.tally.satisfaction import Satisfaction
from votesvc.tally.text import N_
from votesvc.tally.ties import SEEDLESS

TIE_BREAK = "tie_break"
RULE_SET = "rule_set"

SEEDS = {
    "text": (re.compile(r"^[A-Za-z0-9._-]{1,64}$"), "1-64 letters, digits, '.', '-' or '_'"),
    "integer": (re.compile(r"^-?[0-9]{1,18}$"), "an integer"),
}
"""Seed forms: allocation lots hash any text; RCTab draws from ``java.util.Random(seed)``,
whose seed is a (long) integer."""


@dataclass(frozen=True, slots=True)
class Option:
    """One option a rule reads: its JSON type and the values it takes.

    ``kind`` is ``choice`` (one of ``choices``), ``integer`` (from ``minimum`` to ``maximum``),
    ``boolean``, ``number`` (a JSON number or a decimal string, as pabulib META values come),
    ``fraction`` (a number or ``"4/5"``, above 0 and at most 1)
    or ``tie_break`` (one of ``choices``, the ``seeded`` ones optionally with ``:SEED``, a
    seed of the ``seed`` form in :data:`SEEDS`).
    """

    name: str
    kind: str
    description: str
    choices: tuple[str, ...] = ()
    seeded: tuple[str, ...] = ()
    seed: str = "text"
    minimum: int = 0
    maximum: int = 0
    required: bool = False

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not a value of this option, or None."""
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return None
            return N_("Must be one of: %(choices)s.") % {"choices": ", ".join(self.choices)}
        if self.kind == "integer":
            if type(value) is int and self.minimum <= value <= self.maximum:
                return None
            text = N_("Must be an integer from %(minimum)s to %(maximum)s.")
            return text % {"minimum": self.minimum, "maximum": self.maximum}
        if self.kind == "fraction":
            try:
                reserve_fraction(value)
            except PbRuleError as error:
                return f"{error}."
            return None
        if self.kind == "boolean":
            return None if isinstance(value, bool) else N_("Must be true or false.")
        if self.kind == "number":
            return None if _is_number(value) else N_("Must be a number.")
        return None if self.tie_break(value) is not None else self.tie_break_help()

    def tie_break(self, value: Any) -> tuple[str, str | None] | None:
        """A tie-break value as (method, seed or None), or None when it is not one."""
        if not isinstance(value, str):
            return None
        method, colon, seed = value.partition(":")
        if method not in self.choices:
            return None
        if not colon:
            return method, None
        if method not in self.seeded or not SEEDS[self.seed][0].match(seed):
            return None
        return method, seed

    def tie_break_help(self) -> str:
        forms = [*self.choices, *(f"{m}:SEED" for m in self.seeded)]
        text = N_("Must be one of: %(choices)s (SEED: %(seed)s).")
        return text % {"choices": ", ".join(forms), "seed": SEEDS[self.seed][1]}


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip()).is_finite()
        except InvalidOperation:
            return False
    return False


ALLOCATION_TIE_BREAK = Option(
    TIE_BREAK,
    "tie_break",
    "pabutools: agenda code as text; file: the agendas' own order (a .pb file's, or the "
    "ballot's); equalshares: lower cost, then more votes, then a lot; lot: SHA-256 of "
    "'SEED:agenda-code'.",
    choices=("pabutools", "file", "equalshares", "lot"),
    seeded=("equalshares", "lot"),
)
RCTAB_TIE_BREAK = Option(
    TIE_BREAK,
    "tie_break",
    "candidate_order: the agenda earlier on the ballot; random: RCTab's seeded draw; "
    "previous_rounds_then_random: fewer votes in the latest round where they differed, then "
    "the draw.",
    choices=("candidate_order", "random", "previous_rounds_then_random"),
    seeded=("random", "previous_rounds_then_random"),
    seed="integer",
)
PYRANKVOTE_TIE_BREAK = Option(
    TIE_BREAK,
    "tie_break",
    "pyrankvote: pyrankvote's own (later preferences, then Python's random, seeded).",
    choices=("pyrankvote",),
    seeded=("pyrankvote",),
    seed="integer",
)
DEFAULT_TIE_BREAK = {
    "allocation": "pabutools",
    "rctab": "candidate_order",
    "pyrankvote": "pyrankvote",
}
"""What a contest without a ``tie_break`` option is counted with, per family."""

_SATISFACTION = Option(
    "satisfaction",
    "choice",
    "What a voter gains from a funded agenda (see docs/allocation.md).",
    choices=tuple(s.value for s in Satisfaction),
)
_THRESHOLD = Option(THRESHOLD_KEY, "number", "The score an agenda must reach to be considered.")
_REQUIRED_THRESHOLD = replace(_THRESHOLD, required=True)
_RESERVE = Option(
    RESERVE_KEY,
    "fraction",
    "The share of the stopping agenda's cost the money left must cover for a reserve to "
    "fund it (above 0, at most 1; default 4/5).",
)
_ADD1_START = Option(
    ADD1_START_KEY, "choice", "Where Add1 starts raising budgets.", choices=("share", "integral")
)
_ADD1_RULES = frozenset(
    {
        "equalshares/add1",
        "equalshares/add1-exhaustive",
        "equalshares/add1-greedy",
        "equalshares/add1-comparison",
        "equalshares/swiecie",
    }
)
_NO_SATISFACTION = frozenset({"phragmen", "phragmen-exhaustive"})


def _allocation_options(rule: str) -> tuple[Option, ...]:
    options = [ALLOCATION_TIE_BREAK]
    if rule not in _NO_SATISFACTION:
        options.append(_SATISFACTION)
    if rule == "greedy-threshold":
        options.append(_REQUIRED_THRESHOLD)
    elif rule.startswith("greedy"):
        options.append(_THRESHOLD)  # pabulib: "not selected even if it fits", every greedy
    if rule == "greedy-reserve":
        options.append(_RESERVE)
    if rule in _ADD1_RULES:
        options.append(_ADD1_START)
    return tuple(options)


def _integer(name: str, description: str, minimum: int, maximum: int) -> Option:
    return Option(name, "integer", description, minimum=minimum, maximum=maximum)


def _boolean(name: str, description: str) -> Option:
    return Option(name, "boolean", description)


_SEATS = _integer("seats", "How many agendas win.", 1, 1000)
_MAX_SKIPPED = _integer(
    "max_skipped_ranks", "Skipped ranks in a row after which a ballot is exhausted.", 0, 1000
)
_OVERVOTE = Option(
    "overvote",
    "choice",
    "What an overvoted rank does (RCTab's overvote rule).",
    choices=OVERVOTE_RULES,
)
_STOP_AFTER = _integer("stop_after_round", "Stop the count after this round.", 1, 10_000)
_RANKED_ONLY = {
    "irv": (
        _MAX_SKIPPED,
        _OVERVOTE,
        _STOP_AFTER,
        _boolean("batch_elimination", "Eliminate together all who cannot catch up."),
        _boolean("continue_until_two", "Go on until two agendas remain."),
    ),
    "stv": (
        _SEATS,
        _MAX_SKIPPED,
        _OVERVOTE,
        _STOP_AFTER,
        _integer("decimal_places", "Decimal places of transferred votes.", 0, 20),
        _boolean("elect_one_per_round", "Elect one agenda per round."),
    ),
}
_RULE_SET = Option(RULE_SET, "choice", "Which implementation counts.", choices=RANKED_RULE_SETS)
_BLOCK_RULE_SET = Option(
    RULE_SET,
    "choice",
    "Block voting is counted by pyrankvote only.",
    choices=("pyrankvote",),
    required=True,
)


def rule_set_of(options: Mapping[str, Any]) -> str:
    """A ranked contest's rule set (``rctab`` unless the options say otherwise)."""
    return str(options.get(RULE_SET) or "rctab")


def declared_options(rule: str, options: Mapping[str, Any]) -> tuple[Option, ...]:
    """The options ``rule`` reads; a ranked rule's depend on its rule set."""
    if rule in ALLOCATION_RULES:
        return _allocation_options(rule)
    if rule == "block":
        return (_BLOCK_RULE_SET, _SEATS, PYRANKVOTE_TIE_BREAK)
    if rule_set_of(options) == "pyrankvote":
        seats = (_SEATS,) if rule == "stv" else ()
        return (_RULE_SET, *seats, PYRANKVOTE_TIE_BREAK)
    return (_RULE_SET, RCTAB_TIE_BREAK, *_RANKED_ONLY.get(rule, ()))


def option_problems(rule: str, options: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every problem with ``options`` for ``rule``, by option name (empty: all good).

    Unknown names are refused (a misspelt name would otherwise be stored and never read), as
    are values of the wrong type or out of range, and required options left out.
    """
    if rule not in ALLOCATION_RULES and rule not in RANKED_RULES:
        return {}  # the rule itself is refused by the caller's schema
    rule_set = options.get(RULE_SET)
    if rule in RANKED_RULES and rule_set is not None and rule_set not in RANKED_RULE_SETS:
        return {RULE_SET: [_RULE_SET.problem(rule_set) or ""]}
    declared = {option.name: option for option in declared_options(rule, options)}
    problems: dict[str, list[str]] = {}
    for name, value in options.items():
        option = declared.get(name)
        if option is None:
            known = ", ".join(sorted(declared))
            text = N_("Not an option of rule '%(rule)s'; its options are: %(options)s.")
            problems[name] = [text % {"rule": rule, "options": known}]
            continue
        problem = option.problem(value)
        if problem is not None:
            problems[name] = [problem]
    for option in declared.values():
        if option.required and option.name not in options:
            text = N_("Required by rule '%(rule)s'. %(description)s")
            problems[option.name] = [text % {"rule": rule, "description": option.description}]
    return problems


def tie_break_of(rule: str, options: Mapping[str, Any]) -> tuple[str, str | None]:
    """The contest's tie-break as (method, its own seed or None), the default if unset."""
    if rule in ALLOCATION_RULES:
        option, family = ALLOCATION_TIE_BREAK, "allocation"
    else:
        family = rule_set_of(options)
        option = PYRANKVOTE_TIE_BREAK if family == "pyrankvote" else RCTAB_TIE_BREAK
    parsed = option.tie_break(options.get(TIE_BREAK) or DEFAULT_TIE_BREAK[family])
    if parsed is None:
        raise ValueError(f"tie_break {options.get(TIE_BREAK)!r}: {option.tie_break_help()}")
    return parsed


def allocation_tie_break(options: Mapping[str, Any], count_seed: str) -> str:
    """The ``TieBreak`` text an allocation count uses; a lot without its own seed draws from
    the count's published seed."""
    method, seed = tie_break_of("greedy", options)
    if method in SEEDLESS:
        return method
    return f"{method}:{seed or count_seed}"


_RANKED_FIELDS = frozenset(
    option.name
    for declared in _RANKED_ONLY.values()
    for option in declared
    if option.name != TIE_BREAK
) | {"seats"}


def ranked_rules(
    rule: str, options: Mapping[str, Any], count_seed: int, candidates: tuple[str, ...]
) -> RankedRules:
    """The RCTab rules of a ranked contest from its flat options (checked beforehand by
    :func:`option_problems`). ``candidate_order`` follows ``candidates`` (the ballot's order);
    a drawn tie-break without its own seed uses ``count_seed``."""
    method, seed = tie_break_of(rule, options)
    if method == "candidate_order":
        tiebreak = TieBreakRule(method=method, order=candidates)
    else:  # pyrankvote's own tie-break reads the seed of a random one
        drawn = "random" if method == "pyrankvote" else method
        tiebreak = TieBreakRule(method=drawn, seed=int(seed) if seed else count_seed)
    given = {name: value for name, value in options.items() if name in _RANKED_FIELDS}
    return RankedRules(method=rule if rule in METHODS else "irv", tiebreak=tiebreak, **given)
