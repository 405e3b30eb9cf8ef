"""What a pabulib file's META ``rule`` means when it names a city's own rule.

pabulib records rules it has no standard name for as ``greedy-custom`` (Poznań, explained in the
file's ``comment``) and ``greedy-exclusive`` (Warsaw: projects that cannot all be built, named
in the comment when at all). The comment is free text, so it is read only where it says
something the program can recognise; otherwise the file is refused with the choices, never
counted by a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from votesvc.tally.model import Contest

RESERVE_KEY = "reserve_fraction"
"""The ``greedy-reserve`` option: the least share of the stopping agenda's cost the money left
must cover for the reserve to fund it (Poznań: 80 %)."""

DEFAULT_RESERVE = Fraction(4, 5)

_POZNAN = re.compile(
    r"until the next project on the list does not fit.*?"
    r"at least (?P<percent>\d+(?:[.,]\d+)?)\s*% of (?:that|this|the) project",
    re.IGNORECASE | re.DOTALL,
)
"""Poznań's explanation: stop at the first project that does not fit; fund it from the reserve
when the money left covers at least the stated share of it."""

_EXCLUSIVE_WORDS = re.compile(
    r"simultaneous|at the same time|mutually exclusive|exclude each other|incompatible|"
    r"(?:can ?not|could not) (?:both|all) be",
    re.IGNORECASE,
)
_PROJECT_LIST = re.compile(
    r"projects?\s+(?P<ids>[\w./-]+(?:\s*(?:,|and|&)\s*[\w./-]+)+)", re.IGNORECASE
)
_NOTE = re.compile(r"#\d+:\s*")
"""pabulib numbers a comment's notes ``#1: ... #2: ...``; a note is read as one statement
(sentences are not split: ``ul. Konarskiego`` would split one)."""


class PbRuleError(ValueError):
    """A META rule whose meaning the file does not say clearly enough to count it."""


@dataclass(frozen=True, slots=True)
class MetaRule:
    """The rule we count a file's META rule with, its options and the exclusive groups read."""

    rule: str
    options: Mapping[str, str]
    exclusive: tuple[tuple[str, ...], ...] = ()


def reserve_fraction(value: object) -> Fraction:
    """The ``reserve_fraction`` option: a number in (0, 1] (``0.8``, ``"4/5"``)."""
    try:
        fraction = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise PbRuleError(f"{RESERVE_KEY} {value!r} is not a number") from None
    if not 0 < fraction <= 1:
        raise PbRuleError(f"{RESERVE_KEY} must be above 0 and at most 1, not {value}")
    return fraction


def exclusive_groups(contest: Contest, comment: str) -> tuple[tuple[str, ...], ...]:
    """Groups of agendas a comment says cannot all be built, one per note that says so.

    A note counts when it names two or more of the file's projects as a list ("projects
    773 and 153") and uses a word of incompatibility ("could not be implemented
    simultaneously"). A note with such a word and no such list is refused: the comment
    names a conflict the program cannot read, and counting without it would be a guess.
    """
    groups: list[tuple[str, ...]] = []
    for note in _NOTE.split(comment):
        if not _EXCLUSIVE_WORDS.search(note):
            continue
        found = []
        for match in _PROJECT_LIST.finditer(note):
            ids = re.split(r"\s*(?:,|and|&)\s*", match["ids"])
            found.extend(i for i in ids if i in contest.by_id and i not in found)
        if len(found) < 2:
            raise PbRuleError(
                f"the comment names projects that exclude each other in words the program "
                f"cannot read ({note.strip()!r}); give the groups with --exclusive"
            )
        groups.append(tuple(found))
    return tuple(groups)


def meta_rule(contest: Contest, *, read_groups: bool = True) -> MetaRule:
    """The rule, options and exclusive groups that count a file as its META rule says.

    ``greedy-custom`` is Poznań's reserve rule when the comment explains it (the comment's
    percentage becomes ``reserve_fraction``) and is refused otherwise; ``greedy-exclusive``
    takes the groups its comment names (none: plain greedy) unless ``read_groups`` is false (the
    caller has the groups). Other rules are taken as named.
    """
    meta = contest.meta
    rule = meta.get("rule", "")
    comment = meta.get("comment", "")
    if rule == "greedy-custom":
        match = _POZNAN.search(comment)
        if match is None:
            raise PbRuleError(
                "META rule 'greedy-custom': the file's comment does not describe a variant the "
                "program can tell; choose one with --rule: greedy-reserve (Poznań: stop at the "
                f"first agenda that does not fit, fund it from a reserve if the money left "
                f"covers {RESERVE_KEY} of it), greedy, greedy-no-skip or greedy-threshold"
            )
        percent = Fraction(match["percent"].replace(",", "."))
        return MetaRule("greedy-reserve", {RESERVE_KEY: str(percent / 100)})
    if rule == "greedy-exclusive":
        groups = exclusive_groups(contest, comment) if read_groups else contest.exclusive
        return MetaRule(rule, {}, groups)
    return MetaRule(rule, {}, contest.exclusive)
