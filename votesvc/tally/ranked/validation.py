"""Checks on one ranked ballot before it is accepted: every problem, each with a stable code.

A ballot is checked whole, never stopping at the first problem, so a voter (or a kiosk syncing a
queued ballot) sees everything to fix at once. Codes are machine-stable; messages are for people.
The counting engine itself accepts overvotes, skipped ranks and repeats (RCTab's rules say what
they mean), so this is a policy for *casting* ballots, not a precondition for counting them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from votesvc.tally.ranked.rules import OVERVOTE_LABEL


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a ballot; ``agenda`` names the candidate concerned, if any.

    Same shape as the allocation validator's problems, so the API reports both alike.
    """

    code: str
    message: str
    agenda: str | None = None


def validate_ranking(
    ranking: Sequence[Sequence[str]],
    candidates: Collection[str],
    *,
    max_rankings: int | None = None,
) -> list[Problem]:
    """Every problem with ``ranking`` (ranks in order, each the names marked at that rank).

    Codes: ``too_many_rankings``, ``overvote`` (several names, or a vendor overvote mark, at one
    rank), ``duplicate_candidate`` (a name at a second rank), ``unknown_candidate``.
    """
    problems: list[Problem] = []
    if max_rankings is not None and len(ranking) > max_rankings:
        problems.append(
            Problem(
                "too_many_rankings",
                f"The ballot has {len(ranking)} ranks; at most {max_rankings} are allowed.",
            )
        )
    first_rank: dict[str, int] = {}
    for number, names in enumerate(ranking, start=1):
        if len(names) > 1 or OVERVOTE_LABEL in names:
            shown = ", ".join(n for n in names if n != OVERVOTE_LABEL) or "several candidates"
            problems.append(
                Problem("overvote", f"Rank {number} marks more than one candidate ({shown}).")
            )
        for name in names:
            if name == OVERVOTE_LABEL:
                continue
            if name not in candidates:
                problems.append(
                    Problem("unknown_candidate", f"Rank {number} names an unknown candidate.", name)
                )
            elif name in first_rank:
                problems.append(
                    Problem(
                        "duplicate_candidate",
                        f"{name} is ranked both {first_rank[name]} and {number}.",
                        name,
                    )
                )
            else:
                first_rank[name] = number
    return problems
