"""Tie-breaking orders: an explicit, published choice, recorded with every outcome.

A tie-break here is a *total order* of a contest's agendas fixed before counting starts; when a
rule meets several equally good agendas it takes the one earliest in that order. Fixing the order
up front makes every tie decision reproducible from the published ballots and the order's name.

- ``pabutools``: agenda id compared as a string (the reference library's lexicographic default).
- ``equalshares``: lower cost first, then more votes, then the seeded lot (equalshares.net).
- ``file``: the agendas' own order, as the city published them (a ``.pb`` file's PROJECTS
  order, a stored contest's ballot order). Cities that break ties by hand follow their list;
  in 10 corpus files where the official result breaks a tie differently from ``pabutools``,
  this order reproduced all 10, so a ``.pb`` file counted by its META rule uses it.
- ``lot:SEED``: a lot drawn from a published seed. The draw is SHA-256 of ``"SEED:agenda-id"``,
  so anyone can redraw it in any language without our random-number generator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from votesvc.tally.model import Contest, Profile
from votesvc.tally.satisfaction import supporters

KINDS = ("pabutools", "equalshares", "file", "lot")
SEEDLESS = frozenset({"pabutools", "file"})
"""Orders fixed by the contest alone: they take no seed."""


class TieBreakError(ValueError):
    """An unknown tie-break name or a malformed seed."""


@dataclass(frozen=True, slots=True)
class TieBreak:
    kind: str = "pabutools"
    seed: str = "0"

    @classmethod
    def parse(cls, text: str | None) -> TieBreak:
        """``None`` -> pabutools; ``"file"``, ``"equalshares[:SEED]"``, ``"lot:SEED"``."""
        if not text:
            return cls()
        kind, _, seed = text.partition(":")
        if kind not in KINDS:
            raise TieBreakError(f"unknown tie-break {text!r}; use one of {', '.join(KINDS)}")
        if kind in SEEDLESS and seed:
            raise TieBreakError(f"the {kind} order takes no seed")
        return cls(kind, seed or "0")

    def __str__(self) -> str:
        return self.kind if self.kind in SEEDLESS else f"{self.kind}:{self.seed}"

    def lot(self, agenda_id: str) -> bytes:
        return hashlib.sha256(f"{self.seed}:{agenda_id}".encode()).digest()

    def order(self, contest: Contest, votes: Mapping[str, Fraction | int]) -> dict[str, int]:
        """Rank of every agenda in this order (0 wins every tie it is in).

        ``votes`` is each agenda's support (supporters, points or Borda score); only the
        ``equalshares`` order reads it.
        """
        if self.kind == "pabutools":
            ordered = sorted(contest.agendas, key=lambda a: a.id)
        elif self.kind == "file":
            ordered = list(contest.agendas)
        elif self.kind == "equalshares":
            ordered = sorted(
                contest.agendas, key=lambda a: (a.cost, -votes.get(a.id, 0), self.lot(a.id))
            )
        else:
            ordered = sorted(contest.agendas, key=lambda a: self.lot(a.id))
        return {agenda.id: rank for rank, agenda in enumerate(ordered)}

    def ranks(self, contest: Contest, profile: Profile) -> dict[str, int]:
        """``order``, counting each agenda's votes from ``profile`` where the order needs them."""
        votes = supporters(contest, profile) if self.kind == "equalshares" else {}
        return self.order(contest, votes)
