"""The RCTab-exact count: instant-runoff, STV, bottoms-up and multi-pass, round for round.

The rules are RCTab 2.0's as the RCV case format states them (``shared/data/rcv/FORMAT.md``,
"Algorithm"); every option there is honoured, and the RCTab regression corpus is reproduced in
every round (tallies, decisions, thresholds, inactive buckets).

Why it is fast and exact:

- Ballots arrive aggregated (identical rankings counted once) and are *compiled* once into a
  tuple of candidate indices, with the static parts of RCTab's ballot walk (skipped-rank limit,
  repeated candidates, overvotes) already decided, so a round only asks "is this candidate still
  continuing?".
- Ballot groups are bucketed by the candidate currently holding them; a round re-walks only the
  groups whose holder was just eliminated or elected with a surplus. A whole count touches each
  group about as often as it changes hands, not once per round.
- Values are integers in units of ``10**-decimal_places``: whole ballots are ``10**d`` units and
  RCTab's truncated fractional transfers are integer floor divisions, exact by construction.
  ``Decimal`` appears only when the outcome is written.

Why one module (about 520 lines): the compiled ballots, the buckets and the passes
(``_Compiled``, ``_Pass``, ``_with_transfers``) are one count's state, walked together in
every round; split apart they would hand their internals to each other, and this loop is what
the ranked benchmark measures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from decimal import Decimal
from fractions import Fraction

from votesvc.tally.ranked.outcome import (
    INACTIVE_REASONS,
    RankedOutcome,
    RankedPass,
    RankedRound,
    RankedTie,
    Transfer,
)
from votesvc.tally.ranked.rules import (
    OVERVOTE_LABEL,
    RankedContest,
    RankedRules,
    Ranking,
    RulesError,
    Threshold,
)
from votesvc.tally.ranked.tiebreak import TieBreaker

Progress = Callable[[float], None]
Decisions = Mapping[tuple[int, int, str, frozenset[str]], str]

_OVERVOTES, _SKIPPED, _EXHAUSTED, _REPEATED, _FINAL_SURPLUS = range(5)
_MULTI_BASE = -10
"""Compiled codes: ``c >= 0`` a candidate; ``-1 - reason`` ends the ballot for that reason;
``_MULTI_BASE - k`` an overvoted rank (``multis[k]``) read under
``exhaust_if_multiple_continuing``. Running off the end of a ballot exhausts it."""


def count(
    contest: RankedContest,
    *,
    decided: Decisions | None = None,
    progress: Progress | None = None,
) -> RankedOutcome:
    """Count ``contest`` under its RCTab rules.

    ``decided`` maps ``(pass, round, kind, frozenset(tied))`` to a recorded tie decision: the
    operator's choices for ``manual`` tie-breaks, or a published count's decisions to reproduce.
    """
    rules = contest.rules
    rules.check(contest.candidates)
    compiled = _Compiled(contest)
    if rules.method == "multi_pass_irv":
        plan = [("irv", 1)] * rules.seats
    else:
        plan = [(rules.method, rules.seats)]
    excluded = list(rules.excluded)
    rounds: list[RankedRound] = []
    ties: list[RankedTie] = []
    passes: list[RankedPass] = []
    winners: list[str] = []
    for number, (method, seats) in enumerate(plan, start=1):

        def pass_progress(fraction: float, done: int = number - 1) -> None:
            if progress is not None:
                progress((done + fraction) / len(plan))

        counted = _Pass(compiled, method, seats, excluded, number, decided, pass_progress)
        counted.run()
        passes.append(RankedPass(number, tuple(excluded), tuple(counted.winner_names)))
        rounds.extend(counted.rounds)
        ties.extend(counted.ties)
        winners.extend(counted.winner_names)
        excluded.extend(counted.winner_names)
    return RankedOutcome(
        rule_set="rctab",
        rule=rules.method,
        winners=tuple(winners),
        rounds=tuple(rounds),
        ties=tuple(ties),
        passes=tuple(passes),
        total_ballots=contest.total_ballots,
        undervotes=compiled.undervotes,
        options=rules_to_dict(rules),
    )


def rules_to_dict(rules: RankedRules) -> dict[str, object]:
    """The rules in the case-file vocabulary, JSON-ready (recorded with every outcome)."""
    data = asdict(rules)
    data["excluded"] = list(rules.excluded)
    data["tiebreak"]["order"] = list(rules.tiebreak.order)
    if rules.threshold is not None and rules.threshold.percentage is not None:
        data["threshold"]["percentage"] = str(rules.threshold.percentage)
    return data


class _Compiled:
    """The contest's ballots turned into candidate-index walks, once for every pass."""

    def __init__(self, contest: RankedContest) -> None:
        rules = contest.rules
        self.rules = rules
        self.names = contest.candidates
        self.index = {name: i for i, name in enumerate(contest.candidates)}
        self.scale = 10**rules.decimal_places
        self.multis: list[tuple[int, ...]] = []
        self.steps: list[tuple[int, ...]] = []
        self.counts: list[int] = []
        self.undervotes = 0
        for group in contest.groups:
            if not any(group.ranking):
                self.undervotes += group.count
                continue
            self.steps.append(self._compile(group.ranking))
            self.counts.append(group.count)

    def _compile(self, ranking: Ranking) -> tuple[int, ...]:
        """The static part of RCTab's walk over one ballot (FORMAT.md, Tally steps 2-5).

        Whether a rank is too far after the previous marked rank, repeats a candidate, or is an
        overvote never depends on the round, so it is decided here once.
        """
        rules = self.rules
        steps: list[int] = []
        seen: set[str] = set()
        last = 0
        for rank_number, names in enumerate(ranking, start=1):
            if not names:
                continue
            limit = rules.max_skipped_ranks
            if limit is not None and rank_number - last > limit + 1:
                return (*steps, -1 - _SKIPPED)
            last = rank_number
            if rules.duplicate_candidate == "exhaust":
                for name in names:
                    if name in seen:
                        return (*steps, -1 - _REPEATED)
                    seen.add(name)
            if len(names) == 1 and names[0] != OVERVOTE_LABEL:
                steps.append(self._candidate(names[0]))
            elif rules.overvote == "skip":
                continue
            elif rules.overvote == "exhaust" or OVERVOTE_LABEL in names:
                # An overvote whose names are unknown cannot be shown to have at most one
                # continuing candidate, so even the lenient rule exhausts it.
                return (*steps, -1 - _OVERVOTES)
            else:
                self.multis.append(tuple(self._candidate(name) for name in names))
                steps.append(_MULTI_BASE - (len(self.multis) - 1))
        return tuple(steps)

    def _candidate(self, name: str) -> int:
        try:
            return self.index[name]
        except KeyError:
            raise RulesError(f"a ballot ranks {name!r}, who is not a candidate") from None


class _Pass:
    """One pass of the count: the round loop and its state.

    Per candidate: ``tally`` (units), ``bucket`` (groups it holds) and ``continuing``. Per ballot
    group: ``position`` in its compiled walk, ``value`` of one of its ballots (units).
    """

    def __init__(
        self,
        compiled: _Compiled,
        method: str,
        seats: int,
        excluded: Sequence[str],
        pass_number: int,
        decided: Decisions | None,
        progress: Progress,
    ) -> None:
        self.c = compiled
        self.rules = compiled.rules
        self.method = method
        self.seats = seats
        self.pass_number = pass_number
        self.progress = progress
        self.tiebreaker = TieBreaker(self.rules.tiebreak, decided, pass_number)
        n = len(compiled.names)
        self.continuing = [True] * n
        for name in excluded:
            self.continuing[compiled.index[name]] = False
        self.eliminated_count = 0
        self.winners: list[int] = []
        self.tally = [0] * n
        self.bucket: list[list[int]] = [[] for _ in range(n)]
        groups = len(compiled.steps)
        self.position = [-1] * groups
        self.value = [compiled.scale] * groups
        self.inactive = [0] * len(INACTIVE_REASONS)
        uwi = self.rules.undeclared_write_in
        self.uwi = None if uwi is None else compiled.index[uwi]
        self.threshold: int | None = None
        self.rounds: list[RankedRound] = []
        self.ties: list[RankedTie] = []
        self.history: list[dict[str, int]] = []

    @property
    def winner_names(self) -> list[str]:
        return [self.c.names[w] for w in self.winners]

    # -- the round loop ------------------------------------------------------------------

    def run(self) -> None:
        rules = self.rules
        n = len(self.c.names)
        pending: list[tuple[int, list[int]]] = [(-1, list(range(len(self.c.steps))))]
        round_number = 0
        while True:
            round_number += 1
            moved = self._move(pending)
            if self.rounds:
                self.rounds[-1] = _with_transfers(self.rounds[-1], moved, self.c)
            pending = []
            shown = self._shown()
            self._update_threshold(round_number, sum(shown.values()))
            elected = self._elect(round_number)
            for w in elected:
                self.winners.append(w)
                if self.method == "stv":
                    self.continuing[w] = False
                    pending.extend(self._surplus(w))
                elif not rules.continue_until_two:
                    self.continuing[w] = False
            eliminated = [] if elected else self._eliminate(round_number)
            for loser in eliminated:
                self.continuing[loser] = False
                pending.append((loser, self.bucket[loser]))
                self.bucket[loser] = []
            self.eliminated_count += len(eliminated)
            self._record(round_number, shown, elected, eliminated)
            if self._stops(round_number, elected, eliminated):
                self.progress(1.0)
                return
            self.progress(min(1.0, (self.eliminated_count + len(self.winners)) / n))

    def _stops(self, round_number: int, elected: list[int], eliminated: list[int]) -> bool:
        rules = self.rules
        if not elected and not eliminated:
            return True  # nothing left to decide (STV's final-surplus round, or two remain)
        if rules.stop_after_round is not None and round_number >= rules.stop_after_round:
            return True
        if self.method == "bottoms_up_percentage":
            return bool(self.winners)
        filled = len(self.winners) >= self.seats
        if rules.continue_until_two:
            return filled and not eliminated and sum(self.continuing) <= 2
        return filled and self.method != "stv"

    # -- ballots -------------------------------------------------------------------------

    def _move(self, pending: list[tuple[int, list[int]]]) -> dict[tuple[int, int], int]:
        """Walk every group in ``pending`` on to its next continuing choice.

        Returns the units moved, keyed ``(source, destination)``; a destination ``>= 0`` is a
        candidate, ``-1 - reason`` an inactive bucket.
        """
        steps, counts, multis = self.c.steps, self.c.counts, self.c.multis
        position, value, continuing = self.position, self.value, self.continuing
        tally, bucket, inactive = self.tally, self.bucket, self.inactive
        seats_filled = self.method == "stv" and len(self.winners) >= self.seats
        moved: dict[tuple[int, int], int] = {}
        for source, groups in pending:
            for g in groups:
                units = counts[g] * value[g]
                if source >= 0:
                    tally[source] -= units
                if seats_filled:
                    destination = -1 - _FINAL_SURPLUS
                else:
                    walk = steps[g]
                    p = position[g] + 1
                    destination = -1 - _EXHAUSTED
                    while p < len(walk):
                        code = walk[p]
                        if code >= 0:
                            if continuing[code]:
                                destination = code
                                break
                        elif code > _MULTI_BASE:
                            destination = code
                            break
                        else:
                            live = [x for x in multis[_MULTI_BASE - code] if continuing[x]]
                            if len(live) > 1:
                                destination = -1 - _OVERVOTES
                                break
                            if live:
                                destination = live[0]
                                break
                        p += 1
                    position[g] = p
                if destination >= 0:
                    tally[destination] += units
                    bucket[destination].append(g)
                else:
                    inactive[-1 - destination] += units
                key = (source, destination)
                moved[key] = moved.get(key, 0) + units
        return moved

    def _surplus(self, winner: int) -> list[tuple[int, list[int]]]:
        """RCTab's fractional surplus: each ballot keeps ``v - trunc(v*f)``, moves the rest."""
        total, threshold = self.tally[winner], self.threshold
        assert threshold is not None
        if total <= threshold:
            return []
        scale = self.c.scale
        fraction = (total - threshold) * scale // total
        for g in self.bucket[winner]:
            self.value[g] = self.value[g] * fraction // scale
        groups, self.bucket[winner] = self.bucket[winner], []
        return [(winner, groups)]

    # -- tallies and thresholds ----------------------------------------------------------

    def _shown(self) -> dict[int, int]:
        """The round's tally as RCTab reports it: continuing candidates, and STV winners at
        what their ballots kept, capped at the threshold."""
        shown = {c: self.tally[c] for c, live in enumerate(self.continuing) if live}
        for w in self.winners:
            if w not in shown:
                assert self.threshold is not None
                shown[w] = min(self.tally[w], self.threshold)
        return shown

    def _update_threshold(self, round_number: int, active: int) -> None:
        spec = self.rules.threshold
        if spec is None:  # bottoms-up: RCTab still reports the round-1 integer Droop quota
            spec = Threshold("droop", True, "first_round")
        frozen = (spec.basis == "first_round" and round_number > 1) or (
            spec.basis == "current_round_until_first_winner" and self.winners
        )
        if not frozen:
            self.threshold = threshold_units(spec, active, self.seats, self.c.scale)

    # -- decisions -----------------------------------------------------------------------

    def _open(self) -> list[int]:
        """Continuing candidates not yet elected (the ones a round can still decide on)."""
        return [c for c, live in enumerate(self.continuing) if live and c not in self.winners]

    def _elect(self, round_number: int) -> list[int]:
        rules, tally, threshold = self.rules, self.tally, self.threshold
        assert threshold is not None
        if self.uwi is not None and self.continuing[self.uwi] and tally[self.uwi] > 0:
            return []
        candidates = self._open()
        if self.method == "bottoms_up_percentage":
            chosen = candidates if all(tally[c] > threshold for c in candidates) else []
        elif len(self.winners) >= self.seats:
            chosen = []
        elif len(candidates) <= self.seats - len(self.winners):
            chosen = candidates
        elif self.method == "bottoms_up":
            chosen = []
        else:
            chosen = [c for c in candidates if tally[c] >= threshold]
            basis = None if rules.threshold is None else rules.threshold.basis
            single = rules.elect_one_per_round or (self.method == "irv" and basis == "first_round")
            if len(chosen) > 1 and single:
                chosen = [self._extreme(round_number, chosen, "elect")]
            if (
                not chosen
                and self.method == "irv"
                and len(candidates) == self.seats - len(self.winners) + 1
            ):
                chosen = [self._extreme(round_number, candidates, "elect")]
        return sorted(chosen, key=lambda c: (-tally[c], c))

    def _eliminate(self, round_number: int) -> list[int]:
        rules, tally = self.rules, self.tally
        needed = (
            len(self.winners) < self.seats
            or (rules.continue_until_two and sum(self.continuing) > 2)
            or self.method == "bottoms_up_percentage"
        )
        candidates = self._open()
        if not needed or not candidates:
            return []
        if self.uwi is not None and self.continuing[self.uwi] and tally[self.uwi] > 0:
            return [self.uwi]
        if rules.cutoff_elimination:
            assert self.threshold is not None
            below = [c for c in candidates if tally[c] < self.threshold]
            if below:
                return below
        if rules.batch_elimination:
            batch = self._batch()
            if len(batch) > 1:
                return batch
        return [self._extreme(round_number, candidates, "eliminate")]

    def _batch(self) -> list[int]:
        """RCTab's batch elimination: every candidate whose votes, even all pooled together,
        could not overtake the next higher tally."""
        live = [c for c, alive in enumerate(self.continuing) if alive]
        by_tally: dict[int, list[int]] = {}
        for c in live:
            by_tally.setdefault(self.tally[c], []).append(c)
        marked_sets: list[list[int]] = []
        passed: list[int] = []
        running = 0
        for votes in sorted(by_tally):
            if passed and running < votes:
                marked_sets.append(list(passed))
            passed.extend(by_tally[votes])
            running += votes * len(by_tally[votes])
        if not marked_sets:
            return []
        if self.rules.continue_until_two and len(live) - len(marked_sets[-1]) < 2:
            return marked_sets[-2] if len(marked_sets) > 1 else []
        return marked_sets[-1]

    def _extreme(self, round_number: int, candidates: list[int], kind: str) -> int:
        """The lowest (to eliminate) or highest (to elect) candidate; ties go to the tiebreak."""
        pick = min if kind == "eliminate" else max
        best = pick(self.tally[c] for c in candidates)
        tied = [c for c in candidates if self.tally[c] == best]
        if len(tied) == 1:
            return tied[0]
        names = [self.c.names[c] for c in tied]
        chosen, how = self.tiebreaker.choose(round_number, kind, names, self.history)
        self.ties.append(
            RankedTie(round_number, kind, tuple(sorted(names)), chosen, how, self.pass_number)
        )
        return self.c.index[chosen]

    # -- reporting -----------------------------------------------------------------------

    def _record(
        self, round_number: int, shown: dict[int, int], elected: list[int], eliminated: list[int]
    ) -> None:
        names = self.c.names
        self.history.append({names[c]: units for c, units in shown.items()})
        order = sorted(shown, key=lambda c: (-shown[c], c))
        inactive = {
            reason: self._decimal(self.inactive[i])
            for i, reason in enumerate(INACTIVE_REASONS)
            if i != _FINAL_SURPLUS or self.inactive[i]
        }
        residual = sum(self.tally[w] - shown[w] for w in self.winners if w in shown)
        assert self.threshold is not None
        self.rounds.append(
            RankedRound(
                number=round_number,
                tally={names[c]: self._decimal(shown[c]) for c in order},
                eliminated=tuple(names[c] for c in eliminated),
                elected=tuple(names[c] for c in elected),
                threshold=self._decimal(self.threshold),
                inactive=inactive,
                residual_surplus=self._decimal(residual),
                pass_number=self.pass_number,
            )
        )

    def _decimal(self, units: int) -> Decimal:
        return Decimal(units).scaleb(-self.rules.decimal_places)


def _with_transfers(
    record: RankedRound, moved: dict[tuple[int, int], int], compiled: _Compiled
) -> RankedRound:
    """``record`` with the moves its decisions caused (known only once they are made)."""
    places = compiled.rules.decimal_places
    transfers = []
    for (source, destination), units in moved.items():
        votes = Decimal(units).scaleb(-places)
        if destination >= 0:
            transfers.append(
                Transfer(compiled.names[source], votes, to=compiled.names[destination])
            )
        else:
            reason = INACTIVE_REASONS[-1 - destination]
            transfers.append(Transfer(compiled.names[source], votes, inactive_reason=reason))
    return replace(record, transfers=tuple(transfers))


def threshold_units(spec: Threshold, active: int, seats: int, scale: int) -> int:
    """The threshold, in units of ``1/scale``, from ``active`` votes in the same units.

    Droop integer ``floor(A/(S+1)) + 1``; Droop fractional ``trunc_d(A/(S+1)) + 10**-d``; Hare
    integer ``ceil(A/S)``; Hare fractional ``ceil_d(A/S)``; percentage ``trunc_d(A*p/100)``.
    Instant-runoff is Droop with one seat, i.e. a majority.
    """
    if spec.type == "percentage":
        assert spec.percentage is not None
        return int(Fraction(active) * Fraction(spec.percentage) / 100)
    seats = max(seats, 1)
    if spec.type == "droop":
        if spec.integer:
            return (active // ((seats + 1) * scale) + 1) * scale
        return active // (seats + 1) + 1
    if spec.integer:
        return -(-active // (seats * scale)) * scale
    return -(-active // seats)
