"""What residents read about a contest, rendered from its count: one implementation for the
service that publishes it and for ``votesvc verify``, which renders it again from a recount
and compares it with the published ``results.json``.

Pure: plain data in, plain data out (no database, no web stack), so a citizen's recount can
use it with ``votesvc.tally`` alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from votesvc.publication import explain
from votesvc.tally.model import Profile
from votesvc.tally.outcome import Outcome
from votesvc.tally.ranked.outcome import RankedOutcome
from votesvc.tally.ranked.rules import RankedGroup

METHOD_KEYS = ("kind", "rule", "options", "tie_break", "exclusive", "rule_set", "rules")
"""What a count records about how it counted (a ranked count has ``rule_set`` and ``rules``,
an allocation count ``options``, ``tie_break`` and, with exclusive groups, ``exclusive``)."""


def summary(outcome: Outcome | RankedOutcome, costs: Mapping[str, int]) -> dict[str, Any]:
    """The funded agendas (an allocation's selection, or a ranked count's winners), their
    cost, and each agenda's support (a ranked count's first-round votes), as text."""
    if isinstance(outcome, RankedOutcome):
        funded = list(outcome.winners)
        first = outcome.rounds[0].tally.items() if outcome.rounds else ()
        support = {name: str(votes) for name, votes in first}
    else:
        funded = list(outcome.selected)
        support = {k: str(v) for k, v in outcome.support.items()}
    spent = sum((costs[code] for code in funded), 0)
    return {"funded": funded, "support": support, "spent": spent}


def fared(ballots: Profile | Sequence[RankedGroup], funded: Sequence[str]) -> list[int]:
    """How voters fared: item ``n`` is the number of ballots with exactly ``n`` of their
    agendas funded (for a ranked ballot, elected at any rank), up to the most any ballot got.

    Computed from the ballots the count read (the service's stored groups, or a recount's
    published files), so ``votesvc verify`` recomputes it from the ``.pb`` / RCV file like
    every other figure of the results document; it names no voter, only group sizes."""
    won = set(funded)
    marked = (
        ((group.choices, group.count) for group in ballots.groups)
        if isinstance(ballots, Profile)
        else (({name for rank in g.ranking for name in rank}, g.count) for g in ballots)
    )
    out: list[int] = []
    for choices, count in marked:
        hits = len(won.intersection(choices))
        out.extend([0] * (hits + 1 - len(out)))
        out[hits] += count
    return out


def _reserve(result: Mapping[str, Any]) -> int:
    """What a reserve outside the budget paid (``greedy-reserve``): part of ``spent``, not of
    the budget, so ``remaining`` never goes below 0."""
    return int(Fraction(result["outcome"].get("reserve", "0")))


def contest_document(
    contest: Mapping[str, Any],
    agendas: Sequence[Mapping[str, Any]],
    result: Mapping[str, Any],
    channels: Sequence[Mapping[str, Any]],
    digests: Mapping[str, str],
) -> dict[str, Any]:
    """A contest's results document.

    ``contest``: ``contest_id``, ``code``, ``title_ko``, ``title_en``, ``ballot_type`` and
    ``currency``; ``agendas``: ``code``, ``title_ko``, ``title_en`` and ``cost``, in ballot
    order; ``result``: the count (method, outcome, funded, support, spent, budget, ballots);
    ``channels``: ballots per channel as published; ``digests``: every published file's.
    """
    costs = {agenda["code"]: agenda["cost"] for agenda in agendas}
    currency = contest["currency"]
    if result["kind"] == "ranked":
        why = explain.ranked(result, list(costs))
    else:
        why = explain.allocation(result, costs, currency)
    support = result["support"]
    ordered = sorted(costs, key=lambda code: -float(support.get(code, 0)))
    prefix = f"contests/{contest['contest_id']}/"
    return {
        **{key: contest[key] for key in ("contest_id", "code", "title_ko", "title_en")},
        "ballot_type": contest["ballot_type"],
        "currency": currency,
        "method": {k: result[k] for k in METHOD_KEYS if k in result},
        "budget": result["budget"],
        "spent": result["spent"],
        "remaining": result["budget"] - result["spent"] + _reserve(result),
        "funded": result["funded"],
        "ballots": result["ballots"],
        "fared": result["fared"],
        "channels": list(channels),
        "agendas": [
            {
                "code": agenda["code"],
                "title_ko": agenda["title_ko"],
                "title_en": agenda["title_en"],
                "cost": agenda["cost"],
                "funded": agenda["code"] in result["funded"],
                "support": support.get(agenda["code"], "0"),
                "rank": ordered.index(agenda["code"]) + 1,
                "explanation": why[agenda["code"]],
            }
            for agenda in agendas
        ],
        "rounds": result["outcome"]["rounds"],
        "ties": result["outcome"]["ties"],
        "outcome": result["outcome"],
        "files": {name: sha for name, sha in digests.items() if name.startswith(prefix)},
    }
