"""A count against a file's official result, and the smallest change that would explain a gap.

pabulib files carry the city's own result in the ``selected`` column. When a count differs, the
cause is usually one small thing the file does not say: an agenda the city left out (withdrawn
after the vote, ruled ineligible), a tie the city broke another way, or a score threshold. Each
candidate change is tried by counting again, and only those that reproduce the official result
exactly are reported, smallest first; none may be the answer (then the file alone cannot
explain the result, as with Budapest 2024's missing paper ballots).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from votesvc.tally.model import Contest, Profile
from votesvc.tally.outcome import Outcome
from votesvc.tally.satisfaction import Satisfaction, support
from votesvc.tally.ties import KINDS, TieBreak

Recount = Callable[[Contest | None, Mapping[str, str], str | None], Outcome]
"""Counts again under the same rule: a changed contest (None: the same), extra options, another
tie-break order (None: the same)."""

FUNDED_MARKS = ("1", "2")
"""``selected`` values that mean funded by the rule: 1, and 2 where the comment gives it a rule
(Poznań's reserve). 3 (funded with money the file does not describe) is reported apart."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Where a count and the official result differ, and the changes that explain it."""

    official: tuple[str, ...]
    only_here: tuple[str, ...]
    only_official: tuple[str, ...]
    explanations: tuple[str, ...] = ()
    outside: tuple[str, ...] = field(default=())
    """Agendas marked ``3``: funded officially with money outside the rule."""

    @property
    def same(self) -> bool:
        return not self.only_here and not self.only_official

    def to_dict(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "official": list(self.official),
            "only_here": list(self.only_here),
            "only_official": list(self.only_official),
            "explanations": list(self.explanations),
            "outside_the_rule": list(self.outside),
        }

    def to_text(self) -> str:
        if self.same:
            lines = ["against the official result: the same"]
        else:
            lines = [
                "against the official result: different",
                f"  funded here, not officially: {', '.join(self.only_here) or '(none)'}",
                f"  funded officially, not here: {', '.join(self.only_official) or '(none)'}",
            ]
            if self.explanations:
                lines += [f"  explained by: {text}" for text in self.explanations]
            else:
                lines.append(
                    "  explained by: no single excluded agenda, tie-break order or threshold"
                )
        if self.outside:
            lines.append(f"  funded officially outside the rule (3): {', '.join(self.outside)}")
        return "\n".join(lines)


def compare(
    contest: Contest,
    profile: Profile,
    outcome: Outcome,
    marks: Mapping[str, str],
    recount: Recount,
) -> Comparison:
    """Compare ``outcome`` with ``marks`` (each agenda's ``selected``); ``recount(contest,
    options, tie_break)`` counts again under the same rule with a change."""
    official = tuple(a.id for a in contest.agendas if marks.get(a.id) in FUNDED_MARKS)
    outside = tuple(a.id for a in contest.agendas if marks.get(a.id) == "3")
    here = set(outcome.selected)
    only_here = tuple(a.id for a in contest.agendas if a.id in here and a.id not in official)
    only_official = tuple(a.id for a in contest.agendas if a.id in official and a.id not in here)
    found = Comparison(official, only_here, only_official, outside=outside)
    if found.same:
        return found
    target = set(official)
    explanations = _ties(outcome, recount, target, only_here, only_official)
    explanations += _exclusions(contest, only_here, recount, target)
    if outcome.rule.startswith("greedy"):
        explanations += _thresholds(contest, profile, recount, target)
    return replace(found, explanations=tuple(explanations))


def _ties(
    outcome: Outcome,
    recount: Recount,
    target: set[str],
    only_here: Sequence[str],
    only_official: Sequence[str],
) -> list[str]:
    out = []
    used = str(outcome.options.get("tie_break", "pabutools"))
    for kind in KINDS:
        order = str(TieBreak.parse(kind if kind != "lot" else "lot:0"))
        if order == used or kind == "lot":
            continue
        if set(recount(None, {}, order).selected) == target:
            out.append(f"a tie broken in the {order} order instead of {used}")
    for tie in outcome.ties:
        if tie.chosen in only_here and any(c in only_official for c in tie.candidates):
            others = ", ".join(c for c in tie.candidates if c in only_official)
            out.append(
                f"the tie in round {tie.round} between {', '.join(tie.candidates)}: "
                f"{tie.chosen} here by the {tie.method} order, {others} officially"
            )
    return out


def _exclusions(
    contest: Contest, only_here: Sequence[str], recount: Recount, target: set[str]
) -> list[str]:
    """Agendas funded here, not officially, whose absence reproduces the official result. An
    agenda is left out as pabulib marks a withdrawn one: priced above the whole budget."""
    out = []
    unreachable = contest.budget * 2 + 1
    for agenda_id in only_here:
        priced_out = tuple(
            replace(a, cost=unreachable) if a.id == agenda_id else a for a in contest.agendas
        )
        if set(recount(replace(contest, agendas=priced_out), {}, None).selected) == target:
            out.append(f"{agenda_id} left out of the count (withdrawn or ineligible)")
    return out


def _thresholds(
    contest: Contest, profile: Profile, recount: Recount, target: set[str]
) -> list[str]:
    """The least score threshold (META ``min_project_score_threshold``) that reproduces it."""
    scores = support(contest, profile, Satisfaction.SCORE)
    for value in sorted(set(scores.values())):
        threshold = Fraction(value)
        counted = recount(None, {"min_project_score_threshold": str(threshold)}, None)
        if set(counted.selected) == target:
            below = sorted(v for v in set(scores.values()) if v < value)
            low = below[-1] if below else 0
            return [f"a score threshold above {low}, at most {value} (agendas below it unfunded)"]
    return []
