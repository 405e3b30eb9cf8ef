"""The result of a ranked count, round by round, in a form that serialises without loss.

Both rule sets (``rctab`` and ``pyrankvote``) produce this type, and the rule set is recorded in
it, so a published result says which rules counted it. Vote values are ``Decimal``: RCTab counts
whole ballots and truncated decimal fractions of ballots, both exact in decimal. In ``to_dict``
they are written as decimal strings (``"4.7777"``), which JSON carries exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

INACTIVE_REASONS = (
    "overvotes",
    "skipped_rankings",
    "exhausted_choices",
    "repeated_rankings",
    "final_round_surplus",
)
"""Why a ballot stopped counting; RCTab's report buckets, in its order."""


def decimal_to_json(value: Decimal) -> str:
    """``Decimal("8.0000")`` -> ``"8"``; never an exponent, so any reader parses it."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _votes_to_json(values: Mapping[str, Decimal]) -> dict[str, str]:
    return {k: decimal_to_json(v) for k, v in values.items()}


def _votes_from_json(values: Mapping[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in values.items()}


@dataclass(frozen=True, slots=True)
class Transfer:
    """Votes that left ``source`` after a round: to a candidate, or inactive for a reason."""

    source: str
    votes: Decimal
    to: str | None = None
    inactive_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "to": self.to,
            "inactive_reason": self.inactive_reason,
            "votes": decimal_to_json(self.votes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transfer:
        return cls(data["source"], Decimal(data["votes"]), data["to"], data["inactive_reason"])


@dataclass(frozen=True, slots=True)
class RankedRound:
    """One round: the tally before its decisions, the decisions, and what moved afterwards.

    ``inactive`` holds running totals by reason as of this round; ``residual_surplus`` is the
    part of elected candidates' votes above the threshold that RCTab neither shows nor moves, so
    that tallies + inactive + residual surplus always equals the ballots counted.
    ``transfers`` are the moves caused by this round's eliminations and elections.
    """

    number: int
    tally: Mapping[str, Decimal]
    eliminated: tuple[str, ...] = ()
    elected: tuple[str, ...] = ()
    threshold: Decimal | None = None
    inactive: Mapping[str, Decimal] = field(default_factory=dict)
    transfers: tuple[Transfer, ...] = ()
    residual_surplus: Decimal = Decimal(0)
    pass_number: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "pass": self.pass_number,
            "round": self.number,
            "tally": _votes_to_json(self.tally),
            "eliminated": list(self.eliminated),
            "elected": list(self.elected),
            "threshold": None if self.threshold is None else decimal_to_json(self.threshold),
            "inactive": _votes_to_json(self.inactive),
            "residual_surplus": decimal_to_json(self.residual_surplus),
            "transfers": [t.to_dict() for t in self.transfers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankedRound:
        threshold = data["threshold"]
        return cls(
            number=data["round"],
            tally=_votes_from_json(data["tally"]),
            eliminated=tuple(data["eliminated"]),
            elected=tuple(data["elected"]),
            threshold=None if threshold is None else Decimal(threshold),
            inactive=_votes_from_json(data["inactive"]),
            transfers=tuple(Transfer.from_dict(t) for t in data["transfers"]),
            residual_surplus=Decimal(data["residual_surplus"]),
            pass_number=data["pass"],
        )


@dataclass(frozen=True, slots=True)
class RankedTie:
    """A tie that decided something, and how it was broken (``method``)."""

    round: int
    kind: str
    tied: tuple[str, ...]
    selected: str
    method: str
    pass_number: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "pass": self.pass_number,
            "round": self.round,
            "kind": self.kind,
            "tied": list(self.tied),
            "selected": self.selected,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankedTie:
        return cls(
            data["round"],
            data["kind"],
            tuple(data["tied"]),
            data["selected"],
            data["method"],
            data["pass"],
        )


@dataclass(frozen=True, slots=True)
class RankedPass:
    """One pass of a multi-pass count (a single-pass count has exactly one)."""

    number: int
    excluded_before: tuple[str, ...]
    winners: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pass": self.number,
            "excluded_before": list(self.excluded_before),
            "winners": list(self.winners),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankedPass:
        return cls(data["pass"], tuple(data["excluded_before"]), tuple(data["winners"]))


@dataclass(frozen=True, slots=True)
class RankedOutcome:
    """Winners in order of election, every round of every pass, every tie, and the rules used.

    ``rule_set`` is ``rctab`` or ``pyrankvote``; ``rule`` is the method (``irv``, ``stv``, ...);
    ``options`` records the counting options as given, so the outcome says how it was counted.
    """

    rule_set: str
    rule: str
    winners: tuple[str, ...]
    rounds: tuple[RankedRound, ...]
    ties: tuple[RankedTie, ...] = ()
    passes: tuple[RankedPass, ...] = ()
    total_ballots: int = 0
    undervotes: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "rule": self.rule,
            "options": dict(self.options),
            "winners": list(self.winners),
            "total_ballots": self.total_ballots,
            "undervotes": self.undervotes,
            "passes": [p.to_dict() for p in self.passes],
            "rounds": [r.to_dict() for r in self.rounds],
            "ties": [t.to_dict() for t in self.ties],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankedOutcome:
        return cls(
            rule_set=data["rule_set"],
            rule=data["rule"],
            winners=tuple(data["winners"]),
            rounds=tuple(RankedRound.from_dict(r) for r in data["rounds"]),
            ties=tuple(RankedTie.from_dict(t) for t in data["ties"]),
            passes=tuple(RankedPass.from_dict(p) for p in data["passes"]),
            total_ballots=data["total_ballots"],
            undervotes=data["undervotes"],
            options=dict(data["options"]),
        )

    def to_text(self) -> str:
        """A readable report: one block per round, candidates by votes."""
        lines = [
            f"{self.rule} ({self.rule_set} rules): {self.total_ballots} ballots, "
            f"{self.undervotes} blank",
            f"winners: {', '.join(self.winners) or '(none)'}",
        ]
        for r in self.rounds:
            head = f"pass {r.pass_number} round {r.number}" if len(self.passes) > 1 else ""
            head = head or f"round {r.number}"
            if r.threshold is not None:
                head += f" (threshold {decimal_to_json(r.threshold)})"
            lines.append("")
            lines.append(head)
            width = max((len(name) for name in r.tally), default=0)
            for name, votes in r.tally.items():
                lines.append(f"  {name:<{width}}  {decimal_to_json(votes):>12}")
            spent = {k: v for k, v in r.inactive.items() if v}
            if spent:
                lines.append(
                    "  inactive: "
                    + ", ".join(f"{k} {decimal_to_json(v)}" for k, v in spent.items())
                )
            if r.elected:
                lines.append("  elected: " + ", ".join(r.elected))
            if r.eliminated:
                lines.append("  eliminated: " + ", ".join(r.eliminated))
        for tie in self.ties:
            lines.append(
                f"tie in round {tie.round} ({tie.kind}) between {', '.join(tie.tied)}: "
                f"{tie.selected} by {tie.method}"
            )
        return "\n".join(lines)
