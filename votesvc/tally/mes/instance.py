"""Turn a contest and its ballots into the integer instance the Equal Shares engine runs on.

Money is scaled to integers by the common denominator of the budget and the costs (``unit``), so
``2458488.22`` becomes an exact integer and one currency unit (the Add1 step) is ``unit``. Every
(agenda, satisfaction weight) pair a ballot can give is one bit, a ballot one bit mask
(``mes.exact`` explains why). Agendas MES cannot buy (no supporter with positive satisfaction, or
free) keep their index but have no supporters or a zero cost; ``equal_shares`` handles the free
ones as pabutools does.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from votesvc.tally.mes.exact import Instance, Level
from votesvc.tally.model import Contest, Profile
from votesvc.tally.satisfaction import Satisfaction, group_weights, scale
from votesvc.tally.ties import TieBreak

HEAVY = 4
"""Groups of at least this many identical ballots are counted with a multiplication, not
repeated in the mask lists that ``Counter`` walks."""


def prepare(
    contest: Contest,
    profile: Profile,
    measure: Satisfaction,
    tie_break: TieBreak,
    exclude: Collection[str] = (),
) -> Instance:
    """The engine's view of ``contest`` and ``profile``; agendas in ``exclude`` get no supporters.

    ``exclude`` is how ineligible agendas (Świecie's filter) are left out: without supporters
    MES never buys them.
    """
    agendas = contest.agendas
    unit = math.lcm(contest.budget.denominator, *(a.cost.denominator for a in agendas))
    index = {a.id: i for i, a in enumerate(agendas)}
    left_out = {index[agenda_id] for agenda_id in exclude}
    bit_of: dict[tuple[int, int], int] = {}
    ballots: list[tuple[int, int, list[int]]] = []
    for group in profile.groups:
        mask = 0
        bits = []
        for agenda_id, weight in group_weights(group, measure, contest):
            p = index[agenda_id]
            if weight > 0 and p not in left_out:
                bit = bit_of.setdefault((p, weight), len(bit_of))
                mask |= 1 << bit
                bits.append(bit)
        ballots.append((mask, group.count, bits))
    light: list[list[int]] = [[] for _ in bit_of]
    heavy: list[list[tuple[int, int]]] = [[] for _ in bit_of]
    for mask, count, bits in ballots:
        for bit in bits:
            if count >= HEAVY:
                heavy[bit].append((mask, count))
            else:
                light[bit].extend([mask] * count)
    levels: list[list[Level]] = [[] for _ in agendas]
    bit_weight = [0] * len(bit_of)
    for (p, weight), bit in sorted(bit_of.items()):
        levels[p].append(Level(bit, weight, tuple(light[bit]), tuple(heavy[bit])))
        bit_weight[bit] = weight
    ranks = tie_break.ranks(contest, profile)
    rivals = (
        tuple(tuple(sorted(index[q] for q in contest.conflicts.get(a.id, ()))) for a in agendas)
        if contest.conflicts
        else ()
    )
    return Instance(
        ids=tuple(a.id for a in agendas),
        cost=tuple(int(a.cost * unit) for a in agendas),
        scale=tuple(int(scale(measure, a) * unit) or 1 for a in agendas),
        levels=tuple(tuple(level) for level in levels),
        rank=tuple(ranks[a.id] for a in agendas),
        voters=profile.voters,
        unit=unit,
        bit_weight=tuple(bit_weight),
        rivals=rivals,
    )
