"""The result of counting one contest under an allocation rule, with its whole story.

Every value is JSON-friendly after ``to_dict``: exact numbers (``Fraction``) are written as
strings (``"2458488.22"`` style is not used; ``"122924411/50"`` or ``"400000"``), so an outcome
serialises to JSON and back without loss and a published result can be recomputed and compared
byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

Detail = str | int | bool | None | list[Any] | dict[str, Any]


def fraction_to_json(value: Fraction) -> str:
    """``Fraction(5, 1)`` -> ``"5"``, ``Fraction(1, 3)`` -> ``"1/3"``: exact and readable."""
    return str(value)


def fraction_from_json(text: str | int) -> Fraction:
    return Fraction(text)


@dataclass(frozen=True, slots=True)
class Tie:
    """A decision between equally good agendas, and how it was broken."""

    round: int
    candidates: tuple[str, ...]
    chosen: str
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "candidates": list(self.candidates),
            "chosen": self.chosen,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tie:
        return cls(data["round"], tuple(data["candidates"]), data["chosen"], data["method"])


@dataclass(frozen=True, slots=True)
class Round:
    """One step of a rule: ``action`` is e.g. ``select``, ``skip``, ``stop`` or ``completion``.

    ``details`` holds the rule's own figures for the step (for Equal Shares the price per
    supporter ρ as an exact string, for a completion the per-voter budget it tried), already in
    JSON-friendly form.
    """

    number: int
    action: str
    agenda: str | None = None
    details: Mapping[str, Detail] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "action": self.action,
            "agenda": self.agenda,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Round:
        return cls(data["number"], data["action"], data.get("agenda"), dict(data["details"]))


@dataclass(frozen=True, slots=True)
class Outcome:
    """Funded agendas in the order chosen, the spend, per-agenda support and every round.

    ``reserve`` is what money from outside the budget paid (Poznań's reserve), included in
    ``total_cost``; it is written only when some was used, so older outcomes read the same.
    """

    rule: str
    selected: tuple[str, ...]
    total_cost: Fraction
    budget: Fraction
    support: Mapping[str, Fraction]
    rounds: tuple[Round, ...] = ()
    ties: tuple[Tie, ...] = ()
    options: Mapping[str, Detail] = field(default_factory=dict)
    reserve: Fraction = Fraction(0)

    def to_dict(self) -> dict[str, Any]:
        reserve = {"reserve": fraction_to_json(self.reserve)} if self.reserve else {}
        return {
            "rule": self.rule,
            "options": dict(self.options),
            "selected": list(self.selected),
            "total_cost": fraction_to_json(self.total_cost),
            "budget": fraction_to_json(self.budget),
            **reserve,
            "support": {k: fraction_to_json(v) for k, v in self.support.items()},
            "rounds": [r.to_dict() for r in self.rounds],
            "ties": [t.to_dict() for t in self.ties],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            rule=data["rule"],
            selected=tuple(data["selected"]),
            total_cost=fraction_from_json(data["total_cost"]),
            budget=fraction_from_json(data["budget"]),
            support={k: fraction_from_json(v) for k, v in data["support"].items()},
            rounds=tuple(Round.from_dict(r) for r in data["rounds"]),
            ties=tuple(Tie.from_dict(t) for t in data["ties"]),
            options=dict(data["options"]),
            reserve=fraction_from_json(data.get("reserve", "0")),
        )

    def to_text(self, names: Mapping[str, str] | None = None) -> str:
        """A readable report: the funded agendas, then one line per round, then the ties.

        ``names`` maps agenda ids to titles where the caller has them (a file, a contest).
        """
        names = names or {}
        options = ", ".join(f"{k}={v}" for k, v in self.options.items())
        lines = [
            f"{self.rule}" + (f" ({options})" if options else ""),
            f"budget {self.budget}, spent {self.total_cost}, left "
            f"{self.budget - self.total_cost + self.reserve}"
            + (f" (the reserve paid {self.reserve})" if self.reserve else ""),
            f"funded ({len(self.selected)}): {', '.join(self.selected) or '(none)'}",
            "",
        ]
        rows = [("round", "action", "agenda", "details")]
        for r in self.rounds:
            details = "  ".join(f"{k}={v}" for k, v in r.details.items())
            title = names.get(r.agenda or "", "")
            agenda = f"{r.agenda} {title[:40]}".rstrip() if r.agenda else "-"
            rows.append((str(r.number), r.action, agenda, details))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            lines.append(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
                + "  "
                + row[3]
            )
        for tie in self.ties:
            lines.append(
                f"tie in round {tie.round} between {', '.join(tie.candidates)}: "
                f"{tie.chosen} by the {tie.method} order"
            )
        return "\n".join(line.rstrip() for line in lines)
