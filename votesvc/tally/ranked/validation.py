"""Checks on one ranked ballot before it is accepted: every problem, each with a stable code.

A ballot is checked whole, never stopping at the first problem, so a voter (or a kiosk syncing a
queued ballot) sees everything to fix at once. Codes are machine-stable; messages are for people.
The counting engine itself accepts overvotes, skipped ranks and repeats (RCTab's rules say what
they mean), so this is a policy for *casting* ballots, not a precondition for counting them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from votesvc.tally.ranked.rules import OVERVOTE_LABEL
from votesvc.tally.validation import Problem


def validate_ranking(
    ranking: Sequence[Sequence[str]],
    candidates: Collection[str],
    *,
    max_rankings: int | None = None,
    min_marked: int | None = None,
    overvotes: bool = False,
) -> list[Problem]:
    """Every problem with ``ranking`` (ranks in order, each the names marked at that rank;
    an empty rank is a skipped one, which the count's skipped-rank rule reads).

    Codes are the allocation validator's where the idea is the same (``too_many_choices``:
    more ranks than ``max_rankings``, skipped ones included; ``too_few_choices``: fewer
    names marked than ``min_marked``; ``unknown_agenda``; ``duplicate_agenda``: a name at a
    second rank) plus ``overvote`` (several names, or a vendor overvote mark, at one rank),
    unless ``overvotes`` says the count's overvote rule takes them.
    """
    problems: list[Problem] = []
    marked = sum(1 for names in ranking if names)
    if min_marked is not None and marked < min_marked:
        problems.append(
            Problem(
                "too_few_choices",
                f"At least {min_marked} agendas must be ranked; the ballot ranks {marked}.",
            )
        )
    if max_rankings is not None and len(ranking) > max_rankings:
        problems.append(
            Problem(
                "too_many_choices",
                f"The ballot has {len(ranking)} ranks; at most {max_rankings} are allowed.",
            )
        )
    first_rank: dict[str, int] = {}
    for number, names in enumerate(ranking, start=1):
        if not overvotes and (len(names) > 1 or OVERVOTE_LABEL in names):
            shown = ", ".join(n for n in names if n != OVERVOTE_LABEL) or "several candidates"
            problems.append(
                Problem("overvote", f"Rank {number} marks more than one candidate ({shown}).")
            )
        for name in names:
            if name == OVERVOTE_LABEL:
                continue
            if name not in candidates:
                problems.append(Problem("unknown_agenda", f"{name} is not on this ballot.", name))
            elif name in first_rank:
                problems.append(
                    Problem(
                        "duplicate_agenda",
                        f"{name} is ranked both {first_rank[name]} and {number}.",
                        name,
                    )
                )
            else:
                first_rank[name] = number
    return problems
