"""RCTab's tie-break modes, reproduced draw for draw.

A tie that RCTab broke "at random" was broken by ``java.util.Random(seed)``; to publish a count
that anyone can check against RCTab we must draw the same numbers in the same order. The
generator below is the linear congruential generator that the Java platform specifies for
``java.util.Random`` (its constants are part of the Java API contract), and the orders the draws
index into are RCTab's: the tied names sorted by UTF-16 code units, or, after comparing previous
rounds, the iteration order of a ``java.util.HashSet`` of the survivors.

``manual`` ties take the operator's recorded choices; a tie with no recorded choice stops the
count with ``TieUnresolved`` rather than guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from votesvc.tally.ranked.rules import TieBreakRule

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1


class TieUnresolved(RuntimeError):
    """A manual tie-break met a tie no recorded decision covers."""


class JavaRandom:
    """``java.util.Random``: the 48-bit generator the Java specification defines."""

    def __init__(self, seed: int) -> None:
        self._state = (seed ^ _MULTIPLIER) & _MASK

    def _next(self, bits: int) -> int:
        self._state = (self._state * _MULTIPLIER + _ADDEND) & _MASK
        return self._state >> (48 - bits)

    def next_double(self) -> float:
        """53 random bits scaled to [0, 1), exactly as Java builds ``nextDouble``."""
        return ((self._next(26) << 27) + self._next(27)) * (1.0 / (1 << 53))

    def pick(self, count: int) -> int:
        """RCTab's index ``floor(nextDouble() * count)``, in the same double arithmetic."""
        return int(self.next_double() * count)


def java_string_hash(text: str) -> int:
    """``String.hashCode``: 31-polynomial over UTF-16 code units, as a signed 32-bit int."""
    value = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        value = (31 * value + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def java_hash_set_order(names: Sequence[str]) -> list[str]:
    """The iteration order of ``new HashSet<>(names)`` (names inserted in the given order).

    Buckets are ``(h ^ (h >>> 16)) & (capacity - 1)`` with the capacity Java picks for a copy
    constructor; entries of one bucket keep insertion order (tie sets are far too small to be
    turned into trees).
    """
    wanted = max(int(len(names) / 0.75) + 1, 16)
    capacity = 16
    while capacity < wanted:
        capacity *= 2

    def bucket(name: str) -> int:
        h = java_string_hash(name) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(names, key=bucket)


def utf16_order(names: Sequence[str]) -> list[str]:
    """Java's ``String.compareTo`` order (UTF-16 code units, not code points)."""
    return sorted(names, key=lambda name: name.encode("utf-16-be"))


class TieBreaker:
    """Breaks one count's ties; holds the count's single random stream.

    ``decided`` maps ``(pass, round, kind, frozenset(tied))`` to a recorded choice; it serves the
    ``manual`` mode (an operator's decisions, as a case records them) and, for any mode, lets a
    recount reproduce a published tie decision exactly.
    """

    def __init__(
        self,
        rule: TieBreakRule,
        decided: Mapping[tuple[int, int, str, frozenset[str]], str] | None = None,
        pass_number: int = 1,
    ) -> None:
        self.rule = rule
        self.pass_number = pass_number
        self._decided = dict(decided or {})
        self._rank = {name: i for i, name in enumerate(rule.order)}
        self._random = JavaRandom(rule.seed) if rule.seed is not None else None

    def choose(
        self,
        round_number: int,
        kind: str,
        tied: Sequence[str],
        history: Sequence[Mapping[str, int]],
    ) -> tuple[str, str]:
        """The candidate to eliminate (``kind="eliminate"``) or elect, and how it was chosen.

        ``history`` holds the earlier rounds' tallies, round 1 first, for the
        previous-rounds mode.
        """
        key = (self.pass_number, round_number, kind, frozenset(tied))
        if key in self._decided:
            return self._decided[key], "recorded"
        method = self.rule.method
        if method == "candidate_order":
            ranked = sorted(tied, key=lambda name: self._rank.get(name, len(self._rank)))
            return (ranked[-1] if kind == "eliminate" else ranked[0]), method
        if method == "random":
            return self._draw(utf16_order(tied)), method
        if method == "previous_rounds_then_random":
            survivors = java_hash_set_order(utf16_order(tied))
            for tally in reversed(history):
                best = (min if kind == "eliminate" else max)(tally[name] for name in survivors)
                survivors = java_hash_set_order([n for n in survivors if tally[n] == best])
                if len(survivors) == 1:
                    return survivors[0], "previous_rounds"
            return self._draw(survivors), method
        raise TieUnresolved(
            f"round {round_number}: a tie to {kind} among {', '.join(sorted(tied))} "
            "needs a recorded decision"
        )

    def _draw(self, ordered: list[str]) -> str:
        assert self._random is not None, "RankedRules.check requires a seed for random modes"
        return ordered[self._random.pick(len(ordered))]
