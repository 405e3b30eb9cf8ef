"""Why each agenda was or was not funded, in Korean and English, read off a count's rounds.

The sentences are generated from the rounds the counting core recorded (never from a second
computation), so an explanation cannot disagree with the outcome it explains. Their texts are
messages of the gettext catalogues (:mod:`votesvc.i18n`, read with Babel, no Flask), rendered in
both languages at once since a published document carries both; the same inputs always give
the same sentences, which ``votesvc verify`` relies on when it re-renders a document.

Money is shown exactly when whole. Won have no smaller unit: a won amount that is not whole
(an Equal Shares price per supporter often is not) is rounded to the nearest won and marked
"about" ("약"); other currencies show two decimals. Korean particles after an amount or an
agenda code follow what is written (``1,000원을``, ``5,000원이었습니다``, ``P1이``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from votesvc.i18n import N_, both, translate
from votesvc.tally.greedy import WITHDRAWN

Texts = dict[str, str]


def money(value: str | int | Fraction, currency: str, lang: str) -> str:
    """An amount as ``lang`` writes it in a sentence: ``3,120원`` / ``KRW 3,120`` (the pages'
    English figures, :func:`votesvc.web.formatting.money`, read the same), ``333.33 EUR``."""
    amount = Fraction(value)
    if currency == "KRW":
        whole = math.floor(amount + Fraction(1, 2))
        text = f"{whole:,}원" if lang == "ko" else f"KRW {whole:,}"
        if whole == amount:
            return text
        return translate(lang, N_("about %(amount)s"), {"amount": text})
    text = f"{amount.numerator:,}" if amount.denominator == 1 else f"{float(amount):,.2f}"
    return f"{text} {currency}"


class Money:
    """An amount as a message parameter, written the way each language writes it
    (:func:`money`; a :class:`votesvc.i18n.Localized`)."""

    __slots__ = ("currency", "value")

    def __init__(self, value: str | int | Fraction, currency: str) -> None:
        self.value, self.currency = value, currency

    def text(self, lang: str) -> str:
        return money(self.value, self.currency, lang)


def _both(msgid: str, **params: Any) -> Texts:
    return both(msgid, params)


def _funded(
    number: int, details: Mapping[str, Any], rule: str, cost: int, cur: str, left: Fraction
) -> Texts:
    price = Money(details.get("price", 0), cur)
    spent, remaining, after = Money(cost, cur), Money(left, cur), Money(left - cost, cur)
    if "price" in details and "supporters" in details:
        return _both(
            N_(
                "Funded in round %(round)s: %(supporters)s supporters paid %(price)s each "
                "(cost %(cost)s)."
            ),
            round=number,
            supporters=details["supporters"],
            price=price,
            cost=spent,
        )
    if details.get("completion") == "greedy":
        return _both(
            N_(
                "Funded in round %(round)s by the completion step: after the equal-shares "
                "rounds %(left)s remained, enough for its cost of %(cost)s."
            ),
            round=number,
            left=remaining,
            cost=spent,
        )
    if rule == "max-welfare":
        return _both(
            N_(
                "Funded: it belongs to the set of agendas with the greatest total support "
                "that fits the budget."
            )
        )
    support = details.get("support")
    figures = {"round": number, "support": support, "cost": spent, "left": remaining}
    if "reserve" in details:
        figures["reserve"] = Money(details["reserve"], cur)
        if support is None:
            return _both(
                N_(
                    "Funded in round %(round)s, partly from the reserve: only %(left)s of the "
                    "budget remained for its cost of %(cost)s, and the reserve paid "
                    "%(reserve)s."
                ),
                **figures,
            )
        return _both(
            N_(
                "Funded in round %(round)s with support %(support)s, partly from the reserve: "
                "only %(left)s of the budget remained for its cost of %(cost)s, and the reserve "
                "paid %(reserve)s."
            ),
            **figures,
        )
    figures["left"] = after
    if support is None:
        return _both(
            N_(
                "Funded in round %(round)s: it cost %(cost)s and %(left)s of the budget "
                "remained afterwards."
            ),
            **figures,
        )
    return _both(
        N_(
            "Funded in round %(round)s with support %(support)s: it cost %(cost)s and "
            "%(left)s of the budget remained afterwards."
        ),
        **figures,
    )


def _not_funded(
    number: int, details: Mapping[str, Any], action: str, cost: int, cur: str, left: Fraction
) -> Texts:
    reason = details.get("reason")
    if reason == "does not fit":
        return _both(
            N_(
                "Not funded: when its turn came (round %(round)s) only %(left)s of the budget "
                "remained and it cost %(cost)s."
            ),
            round=number,
            left=Money(left, cur),
            cost=Money(cost, cur),
        )
    if "conflict" in details:
        return _both(
            N_("Not funded: conflicts with %(rival)s, funded first."), rival=details["conflict"]
        )
    if reason == WITHDRAWN:
        return _both(
            N_(
                "Not funded: it costs more than the whole budget (a withdrawn agenda), so the "
                "count passed over it."
            )
        )
    if action == "reject":
        return _both(
            N_(
                "Not funded: the set of agendas with the greatest total support within the "
                "budget does not include it."
            )
        )
    return _both(N_("Not funded (round %(round)s): %(reason)s."), round=number, reason=reason)


def allocation(
    result: Mapping[str, Any], costs: Mapping[str, int], currency: str
) -> dict[str, Texts]:
    """Explanations for an allocation count, agenda by agenda."""
    outcome = result["outcome"]
    left = Fraction(outcome["budget"])
    out: dict[str, Texts] = {}
    stop: tuple[int, str] | None = None
    reserve_stop = False
    for r in outcome["rounds"]:
        code, details, number = r["agenda"], r["details"], r["number"]
        if code is None or code in out:
            continue
        if r["action"] == "select":
            out[code] = _funded(number, details, outcome["rule"], costs[code], currency, left)
            left -= costs[code]
            if "reserve" in details:
                stop, reserve_stop = (number, code), True
        else:
            out[code] = _not_funded(number, details, r["action"], costs[code], currency, left)
            if r["action"] == "stop":
                stop = (number, code)
    for code in costs:
        if code in out:
            continue
        if stop is not None and reserve_stop:
            out[code] = _both(
                N_(
                    "Not funded: counting ended in round %(round)s, before its turn, when "
                    "%(stopper)s did not fit the budget and was funded from the reserve."
                ),
                round=stop[0],
                stopper=stop[1],
            )
        elif stop is not None:
            out[code] = _both(
                N_(
                    "Not funded: counting stopped in round %(round)s, before its turn, when "
                    "%(stopper)s did not fit the budget."
                ),
                round=stop[0],
                stopper=stop[1],
            )
        else:
            out[code] = _both(
                N_(
                    "Not funded: its supporters could not cover its cost of %(cost)s from "
                    "their equal shares of the budget."
                ),
                cost=Money(costs[code], currency),
            )
    return out


_TIE_RULES: dict[str, str] = {
    "candidate_order": N_(
        "the agendas' order on the ballot (of the tied agendas, the one listed later is "
        "eliminated and the one listed first is elected)"
    ),
    "random": N_("lot, drawn as RCTab draws it (java.util.Random, seed %(seed)s)"),
    "previous_rounds": N_(
        "the earlier rounds: the tied agendas' votes in the latest earlier round where they "
        "differed"
    ),
    "previous_rounds_then_random": N_(
        "lot, drawn as RCTab draws it (java.util.Random, seed %(seed)s), as the tied agendas "
        "had equal votes in every earlier round"
    ),
    "recorded": N_("a decision recorded for this count (the officials' choice)"),
}
"""How a ranked tie was actually broken (``RankedTie.method``), as a phrase that names it: the
count records ``previous_rounds`` when earlier rounds settled a ``previous_rounds_then_random``
tie, and ``recorded`` for a decision it was given (a manual tie-break)."""


def _figures(
    r: Mapping[str, Any],
    code: str,
    outcome: Mapping[str, Any],
    tie: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ranked sentence's parameters: the round, the agenda's votes in it, and with a tie the
    other tied agendas and the tie-break that decided it."""
    found: dict[str, Any] = {"round": r["round"], "votes": r["tally"].get(code, "0")}
    if tie is not None:
        seed = (outcome.get("options") or {}).get("tiebreak", {}).get("seed")
        found["rivals"] = ", ".join(c for c in tie["tied"] if c != code)
        found["tie_break"] = _both(_TIE_RULES[tie["method"]], seed=seed)
    return found


def _where(item: Mapping[str, Any]) -> tuple[int, int]:
    """A round's or a tie's place in the count: (pass, round)."""
    return item.get("pass", 1), item["round"]


def _ranked_decisions(
    outcome: Mapping[str, Any],
) -> tuple[dict[str, Texts], dict[str, Mapping[str, Any]]]:
    """Each agenda's first election or elimination, explained; and, for agendas that lost a
    tie to be elected, the last such tie (it explains them if nothing else happens to them).

    An elimination is explained by what decided it: a lost tie for the fewest votes (the
    published tie-break, named), several agendas at once (batch elimination, the only way the
    counts we run eliminate more than one in a round), or the fewest votes alone.
    """
    ties = {(*_where(t), t["kind"]): t for t in outcome.get("ties", ())}
    out: dict[str, Texts] = {}
    lost: dict[str, Mapping[str, Any]] = {}
    for r in outcome["rounds"]:
        elect_tie = ties.get((*_where(r), "elect"))
        if elect_tie is not None:
            for code in elect_tie["tied"]:
                if code != elect_tie["selected"]:
                    lost[code] = elect_tie
        for code in r["elected"]:
            if code in out:
                continue
            if elect_tie is not None and elect_tie["selected"] == code:
                out[code] = _both(
                    N_(
                        "Funded: elected in round %(round)s with %(votes)s votes, tied with "
                        "%(rivals)s; it won the published tie-break, decided by %(tie_break)s."
                    ),
                    **_figures(r, code, outcome, elect_tie),
                )
            else:
                out[code] = _both(
                    N_("Funded: elected in round %(round)s with %(votes)s votes."),
                    **_figures(r, code, outcome),
                )
        eliminate_tie = ties.get((*_where(r), "eliminate"))
        for code in r["eliminated"]:
            if code in out:
                continue
            if eliminate_tie is not None and eliminate_tie["selected"] == code:
                out[code] = _both(
                    N_(
                        "Not funded: eliminated in round %(round)s. It was tied with "
                        "%(rivals)s for the fewest votes (%(votes)s) and lost the published "
                        "tie-break, decided by %(tie_break)s."
                    ),
                    **_figures(r, code, outcome, eliminate_tie),
                )
            elif len(r["eliminated"]) > 1:
                out[code] = _both(
                    N_(
                        "Not funded: eliminated in round %(round)s with %(votes)s votes, "
                        "together with %(others)s: all their votes together were fewer than "
                        "those of any agenda still in the count."
                    ),
                    others=", ".join(c for c in r["eliminated"] if c != code),
                    **_figures(r, code, outcome),
                )
            else:
                out[code] = _both(
                    N_(
                        "Not funded: eliminated in round %(round)s with %(votes)s votes, the "
                        "fewest of those still in the count."
                    ),
                    **_figures(r, code, outcome),
                )
    return out, lost


def ranked(result: Mapping[str, Any], codes: Sequence[str]) -> dict[str, Texts]:
    """Explanations for a ranked count: the round each agenda was elected or eliminated in,
    and why, including the ties that decided it and the tie-break that broke them."""
    outcome = result["outcome"]
    out, lost = _ranked_decisions(outcome)
    rounds = outcome["rounds"]
    last = rounds[-1]["round"] if rounds else 0
    for code in codes:
        if code in out:
            continue
        tie = lost.get(code)
        if tie is not None:
            tied_round = next(r for r in rounds if _where(r) == _where(tie))
            out[code] = _both(
                N_(
                    "Not funded: in round %(round)s it was tied with %(rivals)s for election "
                    "at %(votes)s votes and lost the published tie-break, decided by "
                    "%(tie_break)s."
                ),
                **_figures(tied_round, code, outcome, tie),
            )
        else:
            out[code] = _both(
                N_(
                    "Not funded: still in the count when it ended in round %(round)s, without "
                    "being elected."
                ),
                round=last,
            )
    return out


_TIE_BREAKS: dict[str, str] = {
    "pabutools": N_('Ties go to the agenda whose code comes first as text ("10" before "9").'),
    "file": N_("Ties go to the agenda listed first, in the order the agendas were published."),
    "equalshares": N_(
        "Ties go to the cheaper agenda, then to the one with more votes, then by lot (%(seed)s)."
    ),
    "lot": N_('Ties are decided by lot: SHA-256 of "seed:agenda code", lowest first (%(seed)s).'),
    "candidate_order": N_(
        "Ties are decided by the agendas' order on the ballot: of the tied agendas, the one "
        "listed first is elected, or kept when one must be eliminated."
    ),
    "random": N_("Ties are decided by lot, drawn as RCTab draws it (java.util.Random, %(seed)s)."),
    "previous_rounds_then_random": N_(
        "Ties go against the agenda with fewer votes in the latest earlier round where the "
        "tied agendas differed; if they never did, by lot (java.util.Random, %(seed)s)."
    ),
    "pyrankvote": N_(
        "Ties are decided as pyrankvote decides them: by later preferences, then by lot "
        "(Python's random, %(seed)s)."
    ),
}
"""Each tie-break method's sentence (a message id of the catalogues)."""


def tie_break(method: str, seed: str | None) -> dict[str, Any]:
    """A contest's tie-break as voters read it before the vote: the method, its own seed (or
    None: the count's published seed), and a Korean and English sentence."""
    if seed:
        said = _both(N_("seed %(seed)s"), seed=seed)
    else:
        said = _both(N_("seed drawn when the count starts, published with the results"))
    return {"method": method, "seed": seed, **_both(_TIE_BREAKS[method], seed=said)}
