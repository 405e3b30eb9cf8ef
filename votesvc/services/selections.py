"""Selections: what a valid vote in each contest is, and the canonical form a ballot is stored in.

Online casting (:mod:`votesvc.services.casting`) and a kiosk's sync
(:mod:`votesvc.services.kiosks`) check selections here, the same way, before anything is
spent; validation runs in memory against each election's contests, which are built once per
app once voting has started (:func:`contests_of`), so the usual cast reads nothing to
validate. The stored ``content`` is canonical JSON, so identical ballots are identical strings
(the count aggregates them as such, :mod:`votesvc.services.counting`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from votesvc.i18n import N_
from votesvc.models import Election, Phase
from votesvc.models.base import db
from votesvc.services.common import fetch
from votesvc.services.contests import core_contest
from votesvc.services.counting import ranking
from votesvc.services.errors import Invalid
from votesvc.tally import model as core
from votesvc.tally.catalog import RANKED_RULES
from votesvc.tally.options import rule_set_of
from votesvc.tally.ranked.validation import validate_ranking
from votesvc.tally.validation import Problem, validate_ballot


@dataclass(frozen=True, slots=True)
class ContestBallot:
    """A checked selection, ready to store: the contest's row id and canonical content."""

    contest_id: int
    code: str
    content: str


Mark = str | None | list[str]
"""One entry of ``choices``: an agenda code; in a ranked contest also ``None`` (a skipped
rank) or a list of codes (an overvote: several agendas at one rank)."""


def canonical_content(contest: core.Contest, choices: Sequence[Mark], points: Sequence[int]) -> str:
    """The stored form of a valid selection: rank order for ordinal ballots, otherwise choices
    sorted by id (points kept beside their agenda), as the counting core aggregates them; JSON
    with sorted keys and no spaces, so identical ballots are identical strings. In a ranked
    ballot an overvote's codes are sorted, and skipped ranks after the last marked one are
    dropped: RCTab reads them as the end of the ballot either way."""
    if contest.ballot_type is core.BallotType.ORDINAL:
        marks = [sorted(mark) if isinstance(mark, list) else mark for mark in choices]
        while marks and marks[-1] is None:
            marks.pop()
        return _CANONICAL_JSON.encode({"choices": marks})
    pairs = list(zip(choices, points or [None] * len(choices), strict=True))
    pairs.sort(key=lambda pair: pair[0])
    content: dict[str, Any] = {"choices": [choice for choice, _ in pairs]}
    if points:
        content["points"] = [value for _, value in pairs]
    return _CANONICAL_JSON.encode(content)


def selection_problems(
    contest: core.Contest, choices: Sequence[Mark], points: Sequence[int]
) -> list[Problem]:
    """Every problem with one contest's selection, each with its stable code (pages place
    each next to its agenda). A ranked contest (``irv``, ``stv``, ``block``) takes skipped
    ranks, and overvotes where its rule set has an overvote rule (``rctab``), so that the
    count's skipped-rank and overvote options apply to cast ballots exactly; every other
    contest takes agenda codes only."""
    rule = contest.meta.get("rule")
    if rule in RANKED_RULES:
        found = validate_ranking(
            ranking(choices),
            contest.by_id,
            max_rankings=contest.rules.max_length,
            min_marked=contest.rules.min_length,
            overvotes=rule_set_of(contest.meta) == "rctab",
        )
        if points:
            found.append(Problem("unexpected_points", N_("ordinal ballots carry no points.")))
        return found
    if not all(isinstance(choice, str) for choice in choices):
        return [
            Problem(
                "not_ranked_contest",
                N_(
                    "Only agenda codes can be marked here: a skipped rank (null) or several"
                    " agendas at one rank (a list) can be cast only in ranked contests (irv,"
                    " stv, block)."
                ),
            )
        ]
    return validate_ballot(contest, choices, points)


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""Built once: ``json.dumps`` with options builds an encoder per call (every ballot)."""


ContestMap = dict[str, tuple[int, core.Contest]]
"""Each contest's code → (its row id, the counting core's Contest)."""


def _contest_cache() -> dict[int, ContestMap]:
    return current_app.extensions.setdefault("votesvc.contests", {})


def contests_of(election: Election) -> ContestMap:
    """The election's contests for validation. Rules are frozen once voting starts and phases
    only move forward, so once an election has left the draft phase its mapping is built once
    per app and reused without reading the election again (:func:`known_contests`)."""
    cache = _contest_cache()
    if election.id in cache:
        return cache[election.id]
    mapping = {contest.code: (contest.id, core_contest(contest)) for contest in election.contests}
    if election.phase != Phase.DRAFT.value:
        cache[election.id] = mapping
    return mapping


def known_contests(election_id: int) -> ContestMap:
    """The election's contests for :func:`cast`, from the cache when they are there. On a miss
    the election is read through the session, whose transaction then ends: the cast's own
    (:func:`~votesvc.services.transaction.core_transaction`) takes another pool connection,
    and one request should never hold two. The map holds no ORM objects."""
    cached = _contest_cache().get(election_id)
    if cached is not None:
        return cached
    mapping = contests_of(fetch(Election, election_id))
    db.session.close()
    return mapping


def check_selections(
    contests: ContestMap, selections: Mapping[str, Mapping[str, Any]]
) -> list[ContestBallot]:
    """The ballots to store, or ``ballot_invalid`` listing every problem of every contest.

    ``selections`` maps contest codes to ``{"choices": [...], "points": [...]}``; a contest
    left out is an abstention, but at least one contest must be voted.
    """
    problems: dict[str, list[str]] = {}
    ballots = []
    for code, selection in selections.items():
        if code not in contests:
            problems[code] = [N_("Not a contest of this election.")]
            continue
        contest_id, contest = contests[code]
        choices, points = selection.get("choices", []), selection.get("points", [])
        found = selection_problems(contest, choices, points)
        if found:
            problems[code] = [problem.message for problem in found]
        else:
            content = canonical_content(contest, choices, points)
            ballots.append(ContestBallot(contest_id, code, content))
    if not selections:
        raise Invalid(
            "ballot_invalid", fields={"selections": [N_("Vote in at least one contest.")]}
        )
    if problems:
        raise Invalid("ballot_invalid", fields={"selections": problems})
    return ballots
