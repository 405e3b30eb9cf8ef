"""Checks on one ranked ballot before it is accepted: every problem, each with a stable code.

A ballot is checked whole, never stopping at the first problem, so a voter (or a kiosk syncing a
queued ballot) sees everything to fix at once. Codes are machine-stable; messages are for people.
The counting engine itself accepts overvotes, skipped ranks and repeats (RCTab's rules say what
they mean), so this is a policy for *casting* ballots, not a precondition for counting them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from votesvc.tally.ranked.rules import OVERVOTE_LABEL
from votesvc.tally.text import N_
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
        text = N_("At least %(least)s agendas must be ranked; the ballot ranks %(marked)s.")
        problems.append(Problem("too_few_choices", text % {"least": min_marked, "marked": marked}))
    if max_rankings is not None and len(ranking) > max_rankings:
        text = N_("The ballot has %(ranks)s ranks; at most %(most)s are allowed.")
        figures = {"ranks": len(ranking), "most": max_rankings}
        problems.append(Problem("too_many_choices", text % figures))
    first_rank: dict[str, int] = {}
    for number, names in enumerate(ranking, start=1):
        if not overvotes and (len(names) > 1 or OVERVOTE_LABEL in names):
            shown = ", ".join(n for n in names if n != OVERVOTE_LABEL)
            if shown:
                text = N_("Rank %(rank)s marks more than one candidate (%(names)s).")
            else:
                text = N_("Rank %(rank)s marks more than one candidate (several candidates).")
            problems.append(Problem("overvote", text % {"rank": number, "names": shown}))
        for name in names:
            if name == OVERVOTE_LABEL:
                continue
            if name not in candidates:
                text = N_("%(agenda)s is not on this ballot.") % {"agenda": name}
                problems.append(Problem("unknown_agenda", text, name))
            elif name in first_rank:
                text = N_("%(agenda)s is ranked both %(first)s and %(second)s.")
                figures = {"agenda": name, "first": first_rank[name], "second": number}
                problems.append(Problem("duplicate_agenda", text % figures, name))
            else:
                first_rank[name] = number
    return problems
