"""Greedy by votes, as cities count and as pabutools' ``greedy_utilitarian_welfare`` counts.

Agendas are ranked once, by total satisfaction per unit of cost (pabutools' additive greedy:
``total / cost``, infinite for a free agenda someone wants, 0 for one nobody gains from), ties in
the tie-break order; then they are funded in that order while the budget lasts. With the ``cost``
(or ``score``) measure, satisfaction per unit of cost is the number of supporters (or the
published score), which is "greedy by votes" as pabulib records it.

Variants, by pabulib's ``rule`` names:
- ``greedy``: an agenda that no longer fits is skipped and the count goes on;
- ``greedy-no-skip``: the count stops at the first agenda that does not fit;
- ``greedy-threshold``: ``greedy`` that must have META ``min_project_score_threshold``;
- ``greedy-exclusive``: ``greedy`` as Warsaw names it when agendas exclude each other;
- ``greedy-reserve`` (Poznań's ``greedy-custom``): ``greedy-no-skip``, except that the agenda
  that stops the count is still funded, from a reserve outside the budget, when the money left
  covers at least ``reserve_fraction`` (Poznań: 80 %) of its cost.

Under every variant an agenda whose published score is below ``min_project_score_threshold``
is never funded ("not selected even if it fits", pabulib's format), an agenda that conflicts
with a funded one (``Contest.exclusive``) is passed over, and an agenda that costs more than
the whole budget (pabulib's mark of a withdrawn project, ``999999999``) is passed over too:
no rule can fund it, so it cannot be the first agenda that "does not fit".

Every decision compares exact ``Fraction`` values.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from fractions import Fraction

from votesvc.tally.model import Agenda, Contest, Profile
from votesvc.tally.outcome import Outcome, Round, Tie
from votesvc.tally.satisfaction import Satisfaction, scale, support
from votesvc.tally.ties import TieBreak

Density = tuple[int, Fraction]
"""A sort key for satisfaction per unit of cost: ``(0, -d)``, or ``(-1, 0)`` when infinite."""


def density(total: Fraction, cost: Fraction, measure: Satisfaction) -> Density:
    """pabutools' order key: infinite for a free agenda with positive total, 0 if total <= 0.

    Borda is the exception: pabutools counts it with its general (non-additive) greedy, where
    every free agenda is infinitely good, even one nobody ranked.
    """
    if cost == 0 and (total > 0 or measure is Satisfaction.BORDA):
        return (-1, Fraction(0))
    if total <= 0:
        return (0, Fraction(0))
    return (0, -total / cost)


def density_text(key: Density) -> str:
    """The key as the rounds show it: the exact ratio, or ``inf``."""
    return "inf" if key[0] < 0 else str(-key[1])


def greedy(
    contest: Contest,
    profile: Profile,
    *,
    satisfaction: Satisfaction,
    tie_break: TieBreak,
    skip: bool = True,
    threshold: Fraction | None = None,
    reserve_fraction: Fraction | None = None,
    rule: str = "greedy",
    funded: Sequence[str] = (),
    exclude: Collection[str] = (),
) -> Outcome:
    """Fund agendas by satisfaction per unit of cost, best first, while the budget lasts.

    ``skip=False`` stops at the first agenda that does not fit; with ``reserve_fraction`` that
    agenda is funded from a reserve first if the money left covers that share of its cost.
    ``threshold`` leaves out agendas whose published score (``Satisfaction.SCORE`` support) is
    below it. ``funded`` agendas are funded already (a completion: what Equal Shares bought)
    and ``exclude``d ones may not be (Świecie's ineligible agendas); neither is ranked.
    """
    weights = support(contest, profile, satisfaction)
    scores = support(contest, profile, Satisfaction.SCORE) if threshold is not None else weights
    ranks = tie_break.ranks(contest, profile)
    keys = {
        a.id: density(weights[a.id] * scale(satisfaction, a), a.cost, satisfaction)
        for a in contest.agendas
    }
    ranked = sorted(
        (a for a in contest.agendas if a.id not in funded and a.id not in exclude),
        key=lambda a: (keys[a.id], ranks[a.id]),
    )
    remaining = contest.budget - sum(contest.agenda(a).cost for a in funded)
    selected: list[str] = list(funded)
    reserve = Fraction(0)
    rounds: list[Round] = []
    ties: list[Tie] = []

    def passed_over(agenda: Agenda) -> dict[str, str] | None:
        """Why ``agenda`` cannot be funded whatever the money left (its round's details), or
        None."""
        if threshold is not None and scores[agenda.id] < threshold:
            return {"reason": f"score {scores[agenda.id]} below the threshold {threshold}"}
        rival = contest.conflict(agenda.id, selected)
        if rival is not None:
            return {"conflict": rival, "reason": f"conflicts with {rival}, funded first"}
        if agenda.cost > contest.budget and not skip:
            return {"reason": WITHDRAWN}
        return None

    for position, agenda in enumerate(ranked):
        number = position + 1
        details: dict[str, str] = {
            "per_cost": density_text(keys[agenda.id]),
            "support": str(weights[agenda.id]),
            "cost": str(agenda.cost),
        }
        why = passed_over(agenda)
        if why is not None:
            rounds.append(Round(number, "skip", agenda.id, {**details, **why}))
            continue
        fits = agenda.cost <= remaining
        tied = _tied(ranked[position:], keys, passed_over, remaining, skip)
        if len(tied) > 1:
            ties.append(Tie(number, tied, agenda.id, str(tie_break)))
        if fits:
            remaining -= agenda.cost
            selected.append(agenda.id)
            rounds.append(Round(number, "select", agenda.id, {**details, "left": str(remaining)}))
        elif skip:
            rounds.append(Round(number, "skip", agenda.id, {**details, "reason": "does not fit"}))
        elif reserve_fraction is not None and remaining >= reserve_fraction * agenda.cost:
            reserve = agenda.cost - remaining
            remaining = Fraction(0)
            selected.append(agenda.id)
            details = {**details, "reserve": str(reserve), "left": "0"}
            rounds.append(Round(number, "select", agenda.id, details))
            break
        else:
            rounds.append(Round(number, "stop", agenda.id, {**details, "reason": "does not fit"}))
            break
    options: dict[str, str] = {"satisfaction": satisfaction.value, "tie_break": str(tie_break)}
    if threshold is not None:
        options["threshold"] = str(threshold)
    if reserve_fraction is not None:
        options["reserve_fraction"] = str(reserve_fraction)
    return Outcome(
        rule=rule,
        selected=tuple(selected),
        total_cost=contest.budget - remaining + reserve,
        budget=contest.budget,
        support={k: Fraction(v) for k, v in weights.items()},
        rounds=tuple(rounds),
        ties=tuple(ties),
        options=options,
        reserve=reserve,
    )


WITHDRAWN = "costs more than the whole budget (withdrawn)"
"""The reason a no-skip count passes over an agenda no budget could fund."""


def _tied(
    rest: list[Agenda],
    keys: dict[str, Density],
    passed_over: Callable[[Agenda], dict[str, str] | None],
    remaining: Fraction,
    skip: bool,
) -> tuple[str, ...]:
    """``rest[0]`` and the later agendas its turn was decided against by the tie-break order.

    Those are the fitting agendas of equal satisfaction per cost that are not passed over.
    Skipping an agenda that does not fit spends nothing, so its place among equals matters only
    if it stops the count (``greedy-no-skip``).
    """
    first = rest[0]
    if first.cost > remaining and skip:
        return ()
    tied = [first.id]
    for other in rest[1:]:
        if keys[other.id] != keys[first.id]:
            break
        if other.cost <= remaining and passed_over(other) is None:
            tied.append(other.id)
    return tuple(tied)
