"""The ``pyrankvote`` rule set: instant-runoff, STV and preferential block voting by pyrankvote.

A contest may choose pyrankvote's rules instead of RCTab's; the outcome then says
``rule_set="pyrankvote"``. The rules differ from RCTab's, so the RCTab engine stays the default
for official counts:

- candidates who cannot catch up are rejected together, always (RCTab: only with batch
  elimination), including candidates tied on votes;
- STV surplus is split evenly over the ballots a winner holds, ignoring what each ballot is
  already worth (RCTab: each ballot passes on its own value times the surplus fraction);
- the STV quota is a float, votes/(seats+1), fixed before round 1, and votes are floats (RCTab:
  a truncated decimal Droop or Hare quota, exact decimal votes);
- IRV and block voting elect only above ceil(votes/2) (the limit less a 1e-6 allowance is
  compared with ``>=``), so with an odd number of votes a bare majority does not end the count
  (RCTab: floor(votes/2) + 1 ends it); block voting elects everyone above it, even more
  candidates than seats;
- ties go to later-preference counts, then to Python's unseeded ``random.choice`` (RCTab:
  candidate order or ``java.util.Random(seed)``);
- more seats than it can fill stops it with ``RuntimeError('Illegal state')``
  (raised here as ``PyrankvoteError``);
- no overvote, skipped-rank, repeated-candidate or undeclared write-in rules and no
  continue-until-two: ballots are reduced as described below.

Made deterministic: pyrankvote breaks final ties with Python's global ``random``; we seed it
with the contest's published seed for the count and restore the interpreter's random state
afterwards, so a count is repeatable and does not disturb anyone else's randomness.

pyrankvote knows neither overvotes, skipped ranks nor repeated candidates (it refuses a ballot
that repeats one), so a ranking is reduced first: skipped ranks are closed up, a repeated name
is dropped after its first mark, and an overvoted rank ends the ballot (as RCTab's default
``exhaust`` rule does). Excluded candidates are left out of the contest and the ballots.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pyrankvote
from pyrankvote.helpers import CandidateStatus, ElectionResults
from pyrankvote.models import Ballot, Candidate

from votesvc.tally.catalog import RANKED_RULES
from votesvc.tally.ranked.engine import rules_to_dict
from votesvc.tally.ranked.outcome import RankedOutcome, RankedRound
from votesvc.tally.ranked.rules import OVERVOTE_LABEL, RankedContest, Ranking, RulesError

_RCTAB_EQUIVALENT = {
    "irv": "irv",
    "multi_pass_irv": "block",
    "stv": "stv",
    "bottoms_up": "block",
}
"""The pyrankvote rule nearest to each RCTab method (majoritarian multi-seat methods map to
preferential block voting)."""


class PyrankvoteError(RulesError):
    """pyrankvote gave up on a contest (its ``RuntimeError('Illegal state')``)."""


def default_rule(method: str) -> str:
    """The pyrankvote rule nearest to RCTab ``method``."""
    try:
        return _RCTAB_EQUIVALENT[method]
    except KeyError:
        raise RulesError(f"pyrankvote has no rule like RCTab's {method!r}") from None


def reduce_ranking(ranking: Ranking, excluded: frozenset[str]) -> tuple[str, ...]:
    """A ranking as pyrankvote can take it (see the module docstring)."""
    names: list[str] = []
    for rank in ranking:
        if len(rank) > 1 or OVERVOTE_LABEL in rank:
            break
        if rank and rank[0] not in excluded and rank[0] not in names:
            names.append(rank[0])
    return tuple(names)


def count_pyrankvote(
    contest: RankedContest,
    rule: str | None = None,
    *,
    seats: int | None = None,
    seed: int | None = None,
) -> RankedOutcome:
    """Count ``contest`` with pyrankvote's ``rule`` (default: nearest to its RCTab method).

    ``seats`` defaults to the contest's; ``seed`` to its tie-break seed, else 0.
    """
    rules = contest.rules
    rule = rule or default_rule(rules.method)
    if rule not in RANKED_RULES:
        raise RulesError(f"unknown ranked rule {rule!r}; use one of {', '.join(RANKED_RULES)}")
    seats = rules.seats if seats is None else seats
    seed = (rules.tiebreak.seed or 0) if seed is None else seed
    excluded = frozenset(rules.excluded)
    candidates = {name: Candidate(name) for name in contest.candidates if name not in excluded}
    ballots: list[Ballot] = []
    reduced: dict[Ranking, Ballot] = {}
    for group in contest.groups:
        ballot = reduced.get(group.ranking)
        if ballot is None:
            names = reduce_ranking(group.ranking, excluded)
            ballot = Ballot([candidates[name] for name in names])
            reduced[group.ranking] = ballot
        ballots.extend([ballot] * group.count)
    state = random.getstate()
    random.seed(seed)
    try:
        if rule == "irv":
            result = pyrankvote.instant_runoff_voting(list(candidates.values()), ballots)
        elif rule == "stv":
            result = pyrankvote.single_transferable_vote(
                list(candidates.values()), ballots, number_of_seats=seats
            )
        else:
            result = pyrankvote.preferential_block_voting(
                list(candidates.values()), ballots, number_of_seats=seats
            )
    except RuntimeError as error:
        raise PyrankvoteError(f"pyrankvote cannot count this contest: {error}") from error
    finally:
        random.setstate(state)
    rounds, winners = _rounds(result, len(ballots), rule, seats)
    options = {"rule": rule, "seats": seats, "seed": seed, "from": rules_to_dict(rules)}
    return RankedOutcome(
        rule_set="pyrankvote",
        rule=rule,
        winners=tuple(winners),
        rounds=tuple(rounds),
        total_ballots=contest.total_ballots,
        undervotes=sum(g.count for g in contest.groups if not any(g.ranking)),
        options=options,
    )


def _votes(value: float) -> Decimal:
    """pyrankvote's float as the shortest decimal that reads back as the same float."""
    return Decimal(repr(float(value)))


def _rounds(
    result: ElectionResults, ballots: int, rule: str, seats: int
) -> tuple[list[RankedRound], list[str]]:
    """pyrankvote's per-round statuses turned into decisions per round.

    pyrankvote registers each round after its decisions and before its transfers, so the
    votes shown are the round's tally; a candidate's status change is that round's decision.
    """
    rounds: list[RankedRound] = []
    winners: list[str] = []
    before: dict[str, str] = {}
    first_blank = result.rounds[0].number_of_blank_votes if result.rounds else 0.0
    for number, round_result in enumerate(result.rounds, start=1):
        status = {str(r.candidate): r.status for r in round_result.candidate_results}
        votes = {str(r.candidate): r.number_of_votes for r in round_result.candidate_results}
        shown = [n for n in votes if before.get(n) != CandidateStatus.Rejected]
        elected = _changed(status, before, CandidateStatus.Elected)
        eliminated = _changed(status, before, CandidateStatus.Rejected)
        winners.extend(elected)
        blank = round_result.number_of_blank_votes
        rounds.append(
            RankedRound(
                number=number,
                tally={n: _votes(votes[n]) for n in sorted(shown, key=lambda n: -votes[n])},
                eliminated=tuple(eliminated),
                elected=tuple(elected),
                threshold=_threshold(rule, ballots, blank, first_blank, seats),
                inactive={"exhausted_choices": _votes(blank)},
            )
        )
        before = status
    return rounds, winners


def _changed(status: dict[str, str], before: dict[str, str], to: str) -> list[str]:
    return [n for n, s in status.items() if s == to and before.get(n) != to]


def _threshold(
    rule: str, ballots: int, blank: float, first_blank: float, seats: int
) -> Decimal | None:
    """The quota pyrankvote applied, where its figures allow recomputing it.

    IRV: ``ceil(non-exhausted ballots / 2)`` each round, which a winner must exceed (one vote
    per ballot, so exhausted ballots equal blank votes); STV: ``voters / (seats + 1)`` as a
    float, fixed before round 1 from the ballots that ranked anyone, which a winner must reach.
    Block voting gives several votes per ballot and does not expose its per-round count of
    exhausted ballots, so none is reported.
    """
    if rule == "irv":
        return Decimal(-(-(ballots - round(blank)) // 2))
    if rule == "stv":
        return _votes((ballots - first_blank) / float(seats + 1))
    return None
