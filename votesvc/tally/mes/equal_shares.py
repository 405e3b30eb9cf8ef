"""The Method of Equal Shares with the completions real cities used, as one outcome with its story.

``equal_shares`` counts a contest by MES (pabutools' ``method_of_equal_shares``: same satisfaction
measures, same prices, same tie-breaking) and then, by ``completion``:

- ``none``: plain MES with the real budget split equally;
- ``add1``: equalshares.net's Add1 as cities ran it (Assen 2024): the per-voter budget rises one
  currency unit at a time from the integral share ``floor(budget / voters)`` and the last outcome
  that does not overspend is kept (no stop at exhaustive outcomes: Wieliczka 2023 needs that).
  When every buyable agenda fits in the budget together it cannot overspend; the tool then keeps
  plain MES, and so do we;
- ``add1-exhaustive``: pabutools' ``voter_budget_increment=1``: from the exact share, stopping
  also at the first exhaustive outcome (none of the buyable agendas left out fits);
- ``add1-greedy``: ``add1-exhaustive`` then greedy on what is left (the "utilitarian"
  completion; pabutools' MES + ``greedy_utilitarian_welfare`` with an initial allocation);
- ``greedy``: plain MES then greedy on what is left;
- ``add1-comparison``: ``add1``, then equalshares.net's comparison step: a greedy-by-votes
  committee is counted too and replaces the MES outcome if more voters have more of their
  approved agendas funded by it than by the MES outcome (pabulib-checker's rule; voters who prefer
  neither are not counted);
- ``swiecie``: Świecie 2023 (equalshares.net/elections/swiecie-2024): first, an agenda is
  ineligible if its share of voters is below a third of its share of the budget
  (``votes / voters < cost / (3 * budget)``); then ``add1-comparison`` over the eligible ones.

``add1_start`` (``share`` or ``integral``) overrides where Add1 starts: ``add1`` and
``add1-comparison`` default to ``integral`` (equalshares.net), the pabutools-defined variants to
``share``. The shared files' official results come out the same either way.

pabutools' conventions kept: a free agenda somebody gains from (not under ``cost``, where a free
agenda gives nothing) is funded before MES starts; only agendas
with a cost and a supporter take part; greedy completes over every agenda left, in the greedy
order (satisfaction per cost, then the tie-break order), funding whatever still fits.

Exclusive groups (``Contest.exclusive``): buying an agenda takes its rivals out of the run, as
buying takes the agenda itself out, so MES chooses only among sets with at most one agenda per
group (pabutools has no notion of incompatible projects). Voters keep their money for their
other agendas; Add1's stops, the exhaustive test and the fast proofs read the same candidate
sets (``Instance.ruled_out``), and Add1 keeps plain MES when no conflict-free set can
overspend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from votesvc.tally.greedy import greedy
from votesvc.tally.mes.exact import Instance, RunResult, run
from votesvc.tally.mes.instance import prepare
from votesvc.tally.model import Contest, Profile
from votesvc.tally.outcome import Detail, Outcome, Round, Tie
from votesvc.tally.satisfaction import (
    Satisfaction,
    parse_satisfaction,
    scale,
    support,
    supporters,
)
from votesvc.tally.ties import TieBreak
from votesvc.tally.welfare import best_welfare

if TYPE_CHECKING:
    from votesvc.tally.mes.add1 import Add1Result

COMPLETIONS = (
    "none",
    "add1",
    "add1-exhaustive",
    "add1-greedy",
    "greedy",
    "add1-comparison",
    "swiecie",
)
_ADD1 = frozenset({"add1", "add1-exhaustive", "add1-greedy", "add1-comparison", "swiecie"})
_EXHAUSTIVE = frozenset({"add1-exhaustive", "add1-greedy"})
_GREEDY = frozenset({"greedy", "add1-greedy"})
_COMPARISON = frozenset({"add1-comparison", "swiecie"})
STARTS = ("share", "integral")


class EqualSharesError(ValueError):
    """An unknown completion or Add1 start."""


def _ineligible(contest: Contest, profile: Profile) -> dict[str, str]:
    """Świecie's filter: agenda id -> why it may not win."""
    votes = supporters(contest, profile)
    voters = profile.voters
    out = {}
    for agenda in contest.agendas:
        if votes[agenda.id] * 3 * contest.budget < agenda.cost * voters:
            out[agenda.id] = (
                f"{votes[agenda.id]} of {voters} voters is less than a third of its cost's "
                f"share of the budget ({agenda.cost} of {contest.budget})"
            )
    return out


class _Story:
    """Rounds and ties in the order they happen, numbered from 1."""

    def __init__(self, tie_break: TieBreak) -> None:
        self.rounds: list[Round] = []
        self.ties: list[Tie] = []
        self.method = str(tie_break)

    def add(self, action: str, agenda: str | None, details: dict[str, Detail]) -> int:
        self.rounds.append(Round(len(self.rounds) + 1, action, agenda, details))
        return len(self.rounds)

    def tie(self, number: int, candidates: Sequence[str], chosen: str) -> None:
        self.ties.append(Tie(number, tuple(candidates), chosen, self.method))


def _money(inst: Instance, value: Fraction | int) -> str:
    """Money units back to the contest's currency, exactly."""
    return str(Fraction(value) / inst.unit)


def _tell_run(story: _Story, inst: Instance, result: RunResult) -> None:
    for purchase in result.purchases:
        agenda = purchase.agenda
        price = purchase.rho * inst.scale[agenda]
        number = story.add(
            "select",
            inst.ids[agenda],
            {
                "rho": str(purchase.rho),
                "price": _money(inst, price),
                "cost": _money(inst, inst.cost[agenda]),
                "supporters": purchase.supporters,
                "paid_all": purchase.poor,
            },
        )
        if purchase.tied:
            story.tie(number, [inst.ids[p] for p in purchase.tied], inst.ids[agenda])


def _tell_add1(story: _Story, inst: Instance, done: Add1Result) -> None:
    for record in done.records:
        details: dict[str, Detail] = {
            "budget_per_voter": _money(inst, record.first),
            "steps": record.steps,
        }
        if record.steps > 1:
            details["last_budget_per_voter"] = _money(inst, record.last)
            details["runs"] = record.runs
        if record.added or record.removed:
            details["added"] = [inst.ids[p] for p in record.added]
            details["removed"] = [inst.ids[p] for p in record.removed]
        story.add("completion", None, details)
    reason: dict[str, Detail] = {"reason": done.stop}
    if done.overspent is not None:
        reason["next_budget_per_voter"] = _money(inst, done.overspent.budget)
        reason["next_spend"] = _money(inst, sum(inst.cost[p] for p in done.overspent.selected))
    reason["budget_per_voter"] = _money(inst, done.final.budget)
    reason["runs"] = done.runs
    story.add("stop", None, reason)


def _most_spend(inst: Instance, buyable: tuple[int, ...]) -> int:
    """The most any run can spend: every buyable agenda's cost, or with exclusive groups the
    costliest set that holds at most one agenda of each group (exact, ``best_welfare``)."""
    if not inst.rivals:
        return sum(inst.cost[p] for p in buyable)
    items = [(inst.cost[p], inst.cost[p]) for p in buyable]
    place = {p: i for i, p in enumerate(buyable)}
    rivals = [[place[q] for q in inst.rivals[p] if q in place] for p in buyable]
    return best_welfare(items, sum(inst.cost[p] for p in buyable), rivals)


def _greedy_fill(
    contest: Contest,
    profile: Profile,
    measure: Satisfaction,
    order: TieBreak,
    chosen: Sequence[str],
    skip: frozenset[str],
    story: _Story,
) -> list[str]:
    """``chosen`` plus the agendas greedy funds with what it leaves (pabutools' completion),
    told as completion rounds of the Equal Shares story."""
    filled = greedy(
        contest, profile, satisfaction=measure, tie_break=order, funded=chosen, exclude=skip
    )
    numbers = {}
    for step in filled.rounds:
        if step.action == "select":
            details: dict[str, Detail] = {
                "completion": "greedy",
                "cost": step.details["cost"],
                "left": step.details["left"],
            }
            numbers[step.number] = story.add("select", step.agenda, details)
    for tie in filled.ties:
        story.tie(numbers[tie.round], tie.candidates, tie.chosen)
    return list(filled.selected)


def _compare(
    contest: Contest, profile: Profile, order: TieBreak, mes: list[str], skip: frozenset[str]
) -> tuple[list[str], int, int]:
    """equalshares.net's comparison step: the winning committee and how many prefer each."""
    by_votes = greedy(
        contest, profile, satisfaction=Satisfaction.COST, tie_break=order, exclude=skip
    ).selected
    ours, theirs = set(mes), set(by_votes)
    prefer_mes = prefer_greedy = 0
    for group in profile.groups:
        mine = sum(1 for agenda in group.choices if agenda in ours)
        other = sum(1 for agenda in group.choices if agenda in theirs)
        if mine > other:
            prefer_mes += group.count
        elif other > mine:
            prefer_greedy += group.count
    return (list(by_votes) if prefer_greedy > prefer_mes else mes), prefer_mes, prefer_greedy


def equal_shares(
    contest: Contest,
    profile: Profile,
    *,
    satisfaction: Satisfaction | str = Satisfaction.COST,
    completion: str | None = "none",
    tie_break: TieBreak | None = None,
    progress: Callable[[float], None] | None = None,
    add1_start: str | None = None,
) -> Outcome:
    """Count ``profile`` for ``contest`` by Equal Shares with ``completion`` (module docstring)."""
    completion = completion or "none"
    if completion not in COMPLETIONS:
        raise EqualSharesError(
            f"unknown completion {completion!r}; use one of {', '.join(COMPLETIONS)}"
        )
    if add1_start is not None and completion not in _ADD1:
        raise EqualSharesError(f"completion {completion!r} has no Add1 step to start")
    start = add1_start or ("share" if completion in _EXHAUSTIVE else "integral")
    if start not in STARTS:
        raise EqualSharesError(f"unknown Add1 start {start!r}; use one of {', '.join(STARTS)}")
    order = tie_break or TieBreak()
    measure = parse_satisfaction(satisfaction, contest.ballot_type)
    story = _Story(order)
    skip = _ineligible(contest, profile) if completion == "swiecie" else {}
    for agenda_id, reason in skip.items():
        story.add("skip", agenda_id, {"reason": f"ineligible: {reason}"})
    inst = prepare(contest, profile, measure, order, exclude=skip)
    free: list[str] = []
    for p in sorted(range(len(inst.ids)), key=inst.rank.__getitem__):
        if inst.cost[p] == 0 and inst.levels[p] and scale(measure, contest.agendas[p]) > 0:
            rival = contest.conflict(inst.ids[p], free)
            if rival is None:
                free.append(inst.ids[p])
                story.add("select", inst.ids[p], {"reason": "free", "cost": "0"})
    out = inst.ruled_out(p for p, agenda_id in enumerate(inst.ids) if agenda_id in free)
    buyable = tuple(p for p in inst.buyable() if p not in out)
    total = int(contest.budget * inst.unit)
    voters = profile.voters
    options: dict[str, Detail] = {
        "satisfaction": measure.value,
        "completion": completion,
        "tie_break": str(order),
    }
    selected = list(free)
    if voters and buyable:
        everything = _most_spend(inst, buyable) <= total
        if completion in _ADD1 and not (everything and completion not in _EXHAUSTIVE):
            share = Fraction(total, voters)
            first = (
                share if start == "share" else Fraction(total // (voters * inst.unit) * inst.unit)
            )
            from votesvc.tally.mes.add1 import add1  # numpy: loaded only where Add1 runs

            done = add1(
                inst, buyable, first, total, exhaustive=completion in _EXHAUSTIVE, progress=progress
            )
            options["add1_start"] = start
            options["budget_per_voter"] = _money(inst, done.final.budget)
            result = done.final
            _tell_run(story, inst, result)
            _tell_add1(story, inst, done)
        else:
            result = run(inst, Fraction(total, voters), buyable)
            _tell_run(story, inst, result)
        selected += [inst.ids[p] for p in result.selected]
    ineligible = frozenset(skip)
    if completion in _GREEDY:
        selected = _greedy_fill(contest, profile, measure, order, selected, ineligible, story)
    if completion in _COMPARISON:
        selected, prefer_mes, prefer_greedy = _compare(
            contest, profile, order, selected, ineligible
        )
        story.add(
            "compare",
            None,
            {
                "prefer_equal_shares": prefer_mes,
                "prefer_greedy": prefer_greedy,
                "kept": "greedy" if prefer_greedy > prefer_mes else "equal shares",
            },
        )
    rule = "equalshares" if completion == "none" else f"equalshares/{completion}"
    return Outcome(
        rule=rule,
        selected=tuple(selected),
        total_cost=sum((contest.agenda(a).cost for a in selected), Fraction(0)),
        budget=contest.budget,
        support={k: Fraction(v) for k, v in support(contest, profile, measure).items()},
        rounds=tuple(story.rounds),
        ties=tuple(story.ties),
        options=options,
    )
