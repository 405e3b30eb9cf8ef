"""Counting a stored contest: ballots aggregated in the database, counted by the pure core.

Ballots are aggregated with one ``GROUP BY content`` per contest (their content is canonical
JSON, see :func:`votesvc.services.selections.canonical_content`), so 100 000 ballots arrive as a
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

from votesvc.models import Ballot, Contest
from votesvc.models.base import db
from votesvc.publication.results_document import summary
from votesvc.services.contests import core_contest
from votesvc.tally import model as core
from votesvc.tally.catalog import RANKED_RULES
from votesvc.tally.options import allocation_tie_break, ranked_rules, rule_set_of
from votesvc.tally.outcome import Outcome
from votesvc.tally.pb_count import count, count_options
from votesvc.tally.ranked.counting import count_ranked
from votesvc.tally.ranked.engine import rules_to_dict
from votesvc.tally.ranked.outcome import RankedOutcome
from votesvc.tally.ranked.rules import RankedContest, RankedGroup, Ranking

Progress = Callable[[float], None]

DRY_RUN_SEED = "0" * 32
"""The seed of the counts run before voting opens (:func:`count_problem`)."""


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
    """Stored ordinal contents (choices in rank order) as the RCTab rankings they are: a code
    is one name at its rank, ``null`` a skipped rank, a list an overvote."""
    return tuple(RankedGroup(ranking(json.loads(content)["choices"]), n) for content, n in groups)


def ranking(choices: list[str | list[str] | None]) -> Ranking:
    """One stored ranked ballot's choices as a ranking of names per rank."""
    return tuple(() if m is None else tuple(m) if isinstance(m, list) else (m,) for m in choices)


def ranked_contest(contest: Contest, groups: tuple[RankedGroup, ...], seed: str) -> RankedContest:
    """The core's ranked contest: candidates in ballot order (RCTab's candidate order, which
    ``candidate_order`` ties follow); a drawn tie-break without its own seed draws from the
    count's published seed."""
    options = contest.rule_options or {}
    candidates = tuple(agenda.code for agenda in contest.agendas)
    rules = ranked_rules(contest.rule, options, int(seed[:12], 16), candidates)
    return RankedContest(candidates, rules, groups)


def count_contest(
    contest: Contest, counted: Counted, seed: str, progress: Progress | None = None
) -> dict[str, Any]:
    """Count one stored contest: the method used, the outcome, and the funded agendas.

    ``funded`` is the outcome's selection, or a ranked count's winners; ``spent`` their cost.
    """
    options = contest.rule_options or {}
    costs = {agenda.code: agenda.cost for agenda in contest.agendas}
    outcome: Outcome | RankedOutcome
    if contest.rule in RANKED_RULES:
        rule_set = rule_set_of(options)
        ranked = ranked_contest(contest, ranked_groups(counted.groups), seed)
        outcome = count_ranked(ranked, rule_set, rule=contest.rule, progress=progress)
        method: dict[str, Any] = {
            "kind": "ranked",
            "rule": contest.rule,
            "rule_set": rule_set,
            "rules": rules_to_dict(ranked.rules),
        }
    else:
        tie_break = allocation_tie_break(options, seed)
        read = count_options(options)
        outcome = count(
            core_contest(contest),
            profile_of(counted.groups),
            contest.rule,
            read,
            tie_break,
            progress,
        )
        method = {
            "kind": "allocation",
            "rule": contest.rule,
            "options": read,
            "tie_break": tie_break,
        }
        if contest.exclusive_groups:
            method["exclusive"] = [list(group) for group in contest.exclusive_groups]
    return {
        **method,
        "outcome": outcome.to_dict(),
        **summary(outcome, costs),
        "budget": contest.budget,
        "ballots": counted.ballots,
        "channels": dict(counted.channels),
    }


def count_problem(contest: Contest) -> str | None:
    """Why ``contest`` could not be counted, or None: it is counted as it would be after the
    vote, once with no ballots and once with one ballot for its first agenda, so that an
    election whose rules the count refuses never opens (its rules freeze when it does).

    Any failure counts, not only the core's refusals: a count that fails here would fail
    after the vote too.
    """
    first = contest.agendas[0].code
    ballot: dict[str, Any] = {"choices": [first]}
    if contest.ballot_type in ("cumulative", "scoring"):
        ballot["points"] = [1]
    for groups in ((), ((json.dumps(ballot), 1),)):
        try:
            count_contest(contest, Counted(groups, {}), DRY_RUN_SEED)
        except Exception as error:  # see the docstring
            return str(error) or type(error).__name__
    return None
