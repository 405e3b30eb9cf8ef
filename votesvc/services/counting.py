"""Counting a stored contest: ballots aggregated in the database, counted by the pure core.

Ballots are aggregated with one ``GROUP BY content`` per contest (their content is canonical
JSON, see :func:`votesvc.services.casting.canonical_content`), so 100 000 ballots arrive as a
few hundred rows. Allocation rules go through :func:`votesvc.tally.pb_count.count`; ranked
rules (``irv``, ``stv``, ``block``) through :func:`votesvc.tally.ranked.counting.count_ranked`.
What each count used (rule, options, tie-break) is returned beside its outcome, so that
``votesvc verify`` can count the published ballots the same way with ``votesvc.tally`` alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from votesvc.extensions import db
from votesvc.models import Contest
from votesvc.models_voting import Ballot
from votesvc.services.contests import core_contest
from votesvc.tally import model as core
from votesvc.tally.catalog import RANKED_RULES
from votesvc.tally.pb_count import count, count_options
from votesvc.tally.ranked.case import rules_from_dict
from votesvc.tally.ranked.counting import count_ranked
from votesvc.tally.ranked.engine import rules_to_dict
from votesvc.tally.ranked.rules import METHODS, RankedContest, RankedGroup, RankedRules

NOT_RANKED_RULES = ("rule_set", "tie_break")
"""Rule options of ranked contests that are not RCTab counting rules."""

Progress = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Counted:
    """A contest's ballots as stored groups (content → count) and per channel."""

    groups: tuple[tuple[str, int], ...]
    channels: Mapping[str, int]

    @property
    def ballots(self) -> int:
        return sum(n for _, n in self.groups)


def gather(contest_id: int) -> Counted:
    """The contest's ballots grouped by content (sorted, so every count sees one order)."""
    rows = db.session.execute(
        select(Ballot.content, func.count())
        .where(Ballot.contest_id == contest_id)
        .group_by(Ballot.content)
        .order_by(Ballot.content)
    )
    channels = db.session.execute(
        select(Ballot.channel, func.count())
        .where(Ballot.contest_id == contest_id)
        .group_by(Ballot.channel)
        .order_by(Ballot.channel)
    )
    return Counted(tuple((content, n) for content, n in rows), dict(channels.all()))


def profile_of(groups: tuple[tuple[str, int], ...]) -> core.Profile:
    """Stored contents as the allocation core's aggregated ballots."""
    out = []
    for content, n in groups:
        data = json.loads(content)
        out.append(core.BallotGroup(tuple(data["choices"]), n, tuple(data.get("points", ()))))
    return core.Profile(tuple(out))


def ranked_groups(groups: tuple[tuple[str, int], ...]) -> tuple[RankedGroup, ...]:
    """Stored ordinal contents (choices in rank order) as rankings of one name per rank."""
    return tuple(
        RankedGroup(tuple((name,) for name in json.loads(content)["choices"]), n)
        for content, n in groups
    )


def tie_break_of(options: Mapping[str, Any], seed: str) -> str:
    """The contest's tie-break; a bare ``lot`` draws from the count's published seed."""
    text = str(options.get("tie_break") or "pabutools")
    return f"lot:{seed}" if text == "lot" else text


def ranked_rules(rule: str, options: Mapping[str, Any], seed: str) -> RankedRules:
    """RCTab rules from a ranked contest's options; a random tie-break without its own seed
    uses the count's published seed."""
    base = rules_to_dict(RankedRules(method=rule if rule in METHODS else "irv"))
    given = {k: v for k, v in options.items() if k not in NOT_RANKED_RULES}
    data = {**base, **given}
    tiebreak = dict(data.get("tiebreak") or {})
    if tiebreak.get("method") in ("random", "previous_rounds_then_random"):
        tiebreak.setdefault("seed", int(seed[:12], 16))
    data["tiebreak"] = tiebreak
    return rules_from_dict(data)


def ranked_contest(contest: Contest, groups: tuple[RankedGroup, ...], seed: str) -> RankedContest:
    options = contest.rule_options or {}
    candidates = tuple(agenda.code for agenda in contest.agendas)
    return RankedContest(candidates, ranked_rules(contest.rule, options, seed), groups)


def count_contest(
    contest: Contest, counted: Counted, seed: str, progress: Progress | None = None
) -> dict[str, Any]:
    """Count one stored contest: the method used, the outcome, and the funded agendas.

    ``funded`` is the outcome's selection, or a ranked count's winners; ``spent`` their cost.
    """
    options = contest.rule_options or {}
    costs = {agenda.code: agenda.cost for agenda in contest.agendas}
    if contest.rule in RANKED_RULES:
        rule_set = str(options.get("rule_set", "rctab"))
        ranked = ranked_contest(contest, ranked_groups(counted.groups), seed)
        outcome = count_ranked(ranked, rule_set, rule=contest.rule, progress=progress)
        method: dict[str, Any] = {
            "kind": "ranked",
            "rule": contest.rule,
            "rule_set": rule_set,
            "rules": rules_to_dict(ranked.rules),
        }
        funded = list(outcome.winners)
        support = {
            name: str(votes)
            for name, votes in (outcome.rounds[0].tally.items() if outcome.rounds else ())
        }
    else:
        tie_break = tie_break_of(options, seed)
        read = count_options(options)
        core_outcome = count(
            core_contest(contest),
            profile_of(counted.groups),
            contest.rule,
            read,
            tie_break,
            progress,
        )
        outcome = core_outcome
        method = {
            "kind": "allocation",
            "rule": contest.rule,
            "options": read,
            "tie_break": tie_break,
        }
        if contest.exclusive_groups:
            method["exclusive"] = [list(group) for group in contest.exclusive_groups]
        funded = list(core_outcome.selected)
        support = {k: str(v) for k, v in core_outcome.support.items()}
    spent = sum((costs[code] for code in funded), 0)
    return {
        **method,
        "outcome": outcome.to_dict(),
        "funded": funded,
        "support": support,
        "spent": spent,
        "budget": contest.budget,
        "ballots": counted.ballots,
        "channels": dict(counted.channels),
    }
