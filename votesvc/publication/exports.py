"""Anonymised ballot files of a contest: pabulib ``.pb``, CSV, and RCV JSON for ranked contests.

**What the files hold.** Each ballot's content and nothing else: no ballot id, no time, no
receipt and no channel. Per-channel counts are published as totals in the results; a channel
on each ballot would let anyone single out the few ballots of a small booth (and, with a
booth's opening hours, their voters). The ``.pb`` voter ids are sequence numbers in the
shuffled order, as the format requires one.

**Order.** Ballots are listed in an order drawn by the operating system's CSPRNG when the
files are rendered, at publication; the files are then frozen, so their SHA-256 digests match
the bytes served. The stored order (by random ballot id) is never exposed, and the shuffle
leaves nothing to re-derive it from.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from votesvc.tally import model as core
from votesvc.tally.pabulib import PbFile, write_pb
from votesvc.tally.ranked.case import RcvCase, case_to_dict, dumps_exact
from votesvc.tally.ranked.rules import RankedContest, RankedGroup

Ballots = tuple[tuple[str, int], ...]
"""Stored contents (canonical JSON) with their counts, as :mod:`votesvc.services.counting`
gathers them."""


def shuffled(groups: Ballots) -> list[dict[str, list]]:
    """One parsed content per ballot, in a fresh CSPRNG order."""
    parsed = [json.loads(content) for content, _ in groups]
    ballots = [data for data, (_, n) in zip(parsed, groups, strict=True) for _ in range(n)]
    random.SystemRandom().shuffle(ballots)
    return ballots


def pb_text(
    contest: core.Contest,
    ballots: Sequence[Mapping[str, list]],
    funded: Sequence[str],
    meta: Mapping[str, str],
) -> str:
    """The contest as a pabulib file with the official ``selected`` column (1 = funded)."""
    listed = [_listed(ballot["choices"]) for ballot in ballots]
    votes = Counter(choice for choices in listed for choice in choices)
    extra = {
        a.id: {"votes": str(votes[a.id]), "selected": "1" if a.id in funded else "0"}
        for a in contest.agendas
    }
    full_meta = {
        **meta,
        **contest.meta,
        "num_projects": str(len(contest.agendas)),
        "num_votes": str(len(ballots)),
    }
    profile = core.Profile(
        tuple(
            core.BallotGroup(choices, 1, tuple(b.get("points", ())))
            for choices, b in zip(listed, ballots, strict=True)
        )
    )
    pb = PbFile(
        contest=replace(contest, meta=full_meta),
        profile=profile,
        project_columns=("project_id", "cost", "votes", "name", "selected"),
        projects_extra=extra,
    )
    return write_pb(pb)


def _listed(choices: Sequence[str | list[str] | None]) -> tuple[str, ...]:
    """A ballot's agendas as a pabulib vote lists them. pabulib has no empty rank and no
    several agendas at one rank: a ranked ballot's skipped ranks are closed up and an
    overvoted rank's agendas listed in code order at its place. The exact ranks are in the
    contest's ``ballots.rcv.json`` and ``ballots.csv``."""
    out: list[str] = []
    for mark in choices:
        if isinstance(mark, list):
            out.extend(mark)
        elif mark is not None:
            out.append(mark)
    return tuple(out)


def _cell(mark: str | list[str] | None) -> str:
    """One rank in the CSV: empty when skipped, an overvote's codes joined by ``=``."""
    if isinstance(mark, list):
        return "=".join(mark)
    return mark or ""


def csv_text(ballots: Sequence[Mapping[str, list]]) -> str:
    """One row per ballot: the chosen agenda ids (rank order for ordinal ballots: an empty
    item is a skipped rank, ``A=B`` two agendas at one rank) and, for points ballots, the
    points beside them, each list joined by commas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["choices", "points"])
    for ballot in ballots:
        points = ",".join(str(p) for p in ballot.get("points", ()))
        writer.writerow([",".join(_cell(mark) for mark in ballot["choices"]), points])
    return out.getvalue()


def rcv_text(name: str, contest: RankedContest, winners: Sequence[str]) -> str:
    """The ranked contest in the RCV case format (ballots aggregated, most frequent first, as
    the format says; aggregation carries no order to shuffle)."""
    groups = sorted(contest.groups, key=lambda g: (-g.count, json.dumps(g.ranking)))
    case = RcvCase(
        name=name,
        contest=replace(contest, groups=tuple(RankedGroup(g.ranking, g.count) for g in groups)),
        description="Published ballots of a votesvc contest.",
        source="votesvc publication",
        expected={"winners": list(winners)},
    )
    return dumps_exact(case_to_dict(case)) + "\n"
