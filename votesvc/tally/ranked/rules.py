"""A ranked contest and the counting options RCTab exposes, as plain immutable data.

The option names and values are those of the RCV case format (``shared/data/rcv/FORMAT.md``),
which in turn name RCTab's contest-configuration settings, so a case file, an API request and an
outcome all speak one vocabulary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

OVERVOTE_LABEL = "$OVERVOTE"
"""A rank marked as overvoted by the vendor without saying which candidates were marked."""

Rank = tuple[str, ...]
"""Names marked at one rank: none (skipped), one (normal) or several (an overvote)."""
Ranking = tuple[Rank, ...]

METHODS = ("irv", "stv", "bottoms_up", "bottoms_up_percentage", "multi_pass_irv")
OVERVOTE_RULES = ("exhaust", "skip", "exhaust_if_multiple_continuing")
DUPLICATE_RULES = ("skip", "exhaust")
THRESHOLD_TYPES = ("droop", "hare", "percentage")
THRESHOLD_BASES = ("current_round", "first_round", "current_round_until_first_winner")
TIEBREAK_METHODS = ("candidate_order", "random", "previous_rounds_then_random", "manual")


class RulesError(ValueError):
    """Counting options that do not make a countable contest."""


@dataclass(frozen=True, slots=True)
class Threshold:
    """How the winning threshold is computed (see ``engine.threshold_units``)."""

    type: str = "droop"
    integer: bool = True
    basis: str = "current_round"
    percentage: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TieBreakRule:
    """RCTab's tie-break modes.

    ``order`` serves ``candidate_order`` (RCTab's config order, or the permutation its
    ``generatePermutation`` mode wrote out); ``seed`` serves the two random modes;
    ``rctab_mode`` keeps RCTab's own name for the mode so a case file round-trips.
    """

    method: str = "candidate_order"
    order: tuple[str, ...] = ()
    seed: int | None = None
    rctab_mode: str | None = None


@dataclass(frozen=True, slots=True)
class RankedRules:
    """Every option a count reads. Defaults are a plain single-winner instant runoff."""

    method: str = "irv"
    seats: int = 1
    threshold: Threshold | None = field(default_factory=Threshold)
    decimal_places: int = 4
    overvote: str = "exhaust"
    max_skipped_ranks: int | None = None
    max_rankings: int | None = None
    duplicate_candidate: str = "skip"
    batch_elimination: bool = False
    continue_until_two: bool = False
    stop_after_round: int | None = None
    excluded: tuple[str, ...] = ()
    undeclared_write_in: str | None = None
    tiebreak: TieBreakRule = field(default_factory=TieBreakRule)
    elect_one_per_round: bool = False
    surplus_transfer: str | None = None
    cutoff_elimination: bool = False

    def check(self, candidates: tuple[str, ...]) -> None:
        """Refuse options the engine cannot honour, before any ballot is read."""
        if self.method not in METHODS:
            raise RulesError(f"unknown method {self.method!r}; use one of {', '.join(METHODS)}")
        if self.overvote not in OVERVOTE_RULES:
            raise RulesError(f"unknown overvote rule {self.overvote!r}")
        if self.duplicate_candidate not in DUPLICATE_RULES:
            raise RulesError(f"unknown duplicate rule {self.duplicate_candidate!r}")
        if self.tiebreak.method not in TIEBREAK_METHODS:
            raise RulesError(f"unknown tie-break method {self.tiebreak.method!r}")
        if self.tiebreak.method in ("random", "previous_rounds_then_random") and (
            self.tiebreak.seed is None
        ):
            raise RulesError("a random tie-break needs a published seed")
        if self.threshold is not None:
            if self.threshold.type not in THRESHOLD_TYPES:
                raise RulesError(f"unknown threshold type {self.threshold.type!r}")
            if self.threshold.basis not in THRESHOLD_BASES:
                raise RulesError(f"unknown threshold basis {self.threshold.basis!r}")
        if self.method == "bottoms_up_percentage":
            if self.threshold is None or self.threshold.percentage is None:
                raise RulesError("bottoms_up_percentage needs a percentage threshold")
        elif self.seats < 1:
            raise RulesError("at least one seat is needed")
        if self.batch_elimination and self.seats > 1 and self.method != "multi_pass_irv":
            # A batch could leave fewer candidates than seats (RCTab batches single-winner counts).
            raise RulesError("batch elimination applies only to single-winner counts")
        if self.surplus_transfer not in (None, "fractional_truncated"):
            raise RulesError(f"unsupported surplus transfer {self.surplus_transfer!r}")
        if self.decimal_places < 0:
            raise RulesError("decimal_places must not be negative")
        unknown = [c for c in (*self.excluded, *self.tiebreak.order) if c not in candidates]
        if self.undeclared_write_in is not None and self.undeclared_write_in not in candidates:
            unknown.append(self.undeclared_write_in)
        if unknown:
            raise RulesError(f"rules name unknown candidates: {', '.join(sorted(set(unknown)))}")


@dataclass(frozen=True, slots=True)
class RankedGroup:
    """``count`` identical ranked ballots."""

    ranking: Ranking
    count: int = 1


@dataclass(frozen=True, slots=True)
class RankedContest:
    """Candidates in configuration order, the counting rules and the aggregated ballots."""

    candidates: tuple[str, ...]
    rules: RankedRules
    groups: tuple[RankedGroup, ...]

    @property
    def total_ballots(self) -> int:
        return sum(group.count for group in self.groups)


def aggregate(rankings: Iterable[Ranking]) -> tuple[RankedGroup, ...]:
    """Fold one ranking per ballot (the way a database hands them over) into counted groups.

    Identical rankings are counted once, so the count's work scales with distinct rankings: a
    city's million ballots are a few thousand groups. Groups come most common first, ties in
    first-seen order, so the result does not depend on hash seeds.
    """
    return groups_from_counts(Counter(rankings))


def groups_from_counts(counts: Counter[Ranking]) -> tuple[RankedGroup, ...]:
    """Counted rankings as groups, most common first (ties in first-counted order)."""
    return tuple(RankedGroup(r, n) for r, n in counts.most_common())
