"""Why each agenda was or was not funded, in Korean and English, read off a count's rounds.

The sentences are generated from the rounds the counting core recorded (never from a second
computation), so an explanation cannot disagree with the outcome it explains. Money is shown
exactly when whole, else to two decimals; Equal Shares prices per supporter are often not whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from votesvc.tally.greedy import WITHDRAWN

Texts = dict[str, str]


def money(value: str | int | Fraction, currency: str, lang: str) -> str:
    amount = Fraction(value)
    text = f"{amount.numerator:,}" if amount.denominator == 1 else f"{float(amount):,.2f}"
    if currency == "KRW":
        return f"{text}원" if lang == "ko" else f"₩{text}"
    return f"{text} {currency}"


def _both(en: str, ko: str) -> Texts:
    return {"en": en, "ko": ko}


def _funded(
    number: int, details: Mapping[str, Any], rule: str, cost: int, cur: str, left: Fraction
) -> Texts:
    def m(value: str | int | Fraction, lang: str) -> str:
        return money(value, cur, lang)

    if "price" in details and "supporters" in details:
        n, price = details["supporters"], details["price"]
        return _both(
            f"Funded in round {number}: {n} supporters paid {m(price, 'en')} each "
            f"(cost {m(cost, 'en')}).",
            f"{number}라운드에서 선정: 지지자 {n}명이 각자 {m(price, 'ko')}씩 부담했습니다 "
            f"(사업비 {m(cost, 'ko')}).",
        )
    if details.get("completion") == "greedy":
        return _both(
            f"Funded in round {number} by the completion step: after the equal-shares rounds "
            f"{m(left, 'en')} remained, enough for its cost of {m(cost, 'en')}.",
            f"{number}라운드에서 보완 단계로 선정: 균등 배분 뒤 남은 예산 {m(left, 'ko')}으로 "
            f"사업비 {m(cost, 'ko')}를 충당할 수 있었습니다.",
        )
    if rule == "max-welfare":
        return _both(
            "Funded: it belongs to the set of agendas with the greatest total support that fits "
            "the budget.",
            "선정: 예산 안에서 지지의 합이 가장 큰 안건 조합에 포함되었습니다.",
        )
    support = details.get("support")
    said = f" with support {support}" if support is not None else ""
    said_ko = f" (지지 {support})" if support is not None else ""
    if "reserve" in details:
        reserve = details["reserve"]
        return _both(
            f"Funded in round {number}{said}, partly from the reserve: only {m(left, 'en')} of "
            f"the budget remained for its cost of {m(cost, 'en')}, and the reserve paid "
            f"{m(reserve, 'en')}.",
            f"{number}라운드에서 선정{said_ko}, 일부는 예비비로: 사업비 {m(cost, 'ko')} 중 남은 "
            f"예산은 {m(left, 'ko')}뿐이었고 예비비에서 {m(reserve, 'ko')}를 충당했습니다.",
        )
    return _both(
        f"Funded in round {number}{said}: it cost {m(cost, 'en')} and "
        f"{m(left - cost, 'en')} of the budget remained afterwards.",
        f"{number}라운드에서 선정{said_ko}: 사업비 {m(cost, 'ko')}를 쓰고 예산 "
        f"{m(left - cost, 'ko')}이 남았습니다.",
    )


def _not_funded(
    number: int, details: Mapping[str, Any], action: str, cost: int, cur: str, left: Fraction
) -> Texts:
    reason = details.get("reason")
    if reason == "does not fit":
        return _both(
            f"Not funded: when its turn came (round {number}) only {money(left, cur, 'en')} of the "
            f"budget remained and it cost {money(cost, cur, 'en')}.",
            f"선정되지 않음: 차례가 왔을 때({number}라운드) 남은 예산은 {money(left, cur, 'ko')}"
            f"뿐이었고 사업비는 {money(cost, cur, 'ko')}였습니다.",
        )
    if "conflict" in details:
        rival = details["conflict"]
        return _both(
            f"Not funded: conflicts with {rival}, funded first.",
            f"선정되지 않음: 먼저 선정된 {rival}과(와) 함께 추진할 수 없는 안건입니다.",
        )
    if reason == WITHDRAWN:
        return _both(
            "Not funded: it costs more than the whole budget (a withdrawn agenda), so the count "
            "passed over it.",
            "선정되지 않음: 사업비가 전체 예산보다 커서(철회된 안건) 집계에서 제외되었습니다.",
        )
    if action == "reject":
        return _both(
            "Not funded: the set of agendas with the greatest total support within the budget "
            "does not include it.",
            "선정되지 않음: 예산 안에서 지지의 합이 가장 큰 안건 조합에 포함되지 않았습니다.",
        )
    return _both(
        f"Not funded (round {number}): {reason}.", f"선정되지 않음({number}라운드): {reason}."
    )


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
                f"Not funded: counting ended in round {stop[0]}, before its turn, when "
                f"{stop[1]} did not fit the budget and was funded from the reserve.",
                f"선정되지 않음: {stop[0]}라운드에서 {stop[1]}이(가) 예산에 맞지 않아 "
                f"예비비로 선정되며 차례가 오기 전에 집계가 끝났습니다.",
            )
        elif stop is not None:
            out[code] = _both(
                f"Not funded: counting stopped in round {stop[0]}, before its turn, when "
                f"{stop[1]} did not fit the budget.",
                f"선정되지 않음: {stop[0]}라운드에서 {stop[1]}이(가) 예산에 맞지 않아 차례가 오기 "
                f"전에 집계가 끝났습니다.",
            )
        else:
            out[code] = _both(
                f"Not funded: its supporters could not cover its cost of "
                f"{money(costs[code], currency, 'en')} from their equal shares of the budget.",
                f"선정되지 않음: 지지자들이 균등하게 나눈 예산으로 사업비 "
                f"{money(costs[code], currency, 'ko')}를 충당할 수 없었습니다.",
            )
    return out


def ranked(result: Mapping[str, Any], codes: Sequence[str]) -> dict[str, Texts]:
    """Explanations for a ranked count: the round each agenda was elected or eliminated in."""
    rounds = result["outcome"]["rounds"]
    out: dict[str, Texts] = {}
    for r in rounds:
        for code in r["elected"]:
            out.setdefault(
                code,
                _both(
                    f"Funded: elected in round {r['round']} with {r['tally'].get(code, '0')} "
                    f"votes.",
                    f"선정: {r['round']}라운드에서 {r['tally'].get(code, '0')}표로 당선되었습니다.",
                ),
            )
        for code in r["eliminated"]:
            out.setdefault(
                code,
                _both(
                    f"Not funded: eliminated in round {r['round']} with "
                    f"{r['tally'].get(code, '0')} votes, the fewest of those still in the count.",
                    f"선정되지 않음: {r['round']}라운드에서 {r['tally'].get(code, '0')}표로 "
                    f"최하위가 되어 탈락했습니다.",
                ),
            )
    last = rounds[-1]["round"] if rounds else 0
    for code in codes:
        out.setdefault(
            code,
            _both(
                f"Not funded: still in the count when it ended in round {last}, without being "
                f"elected.",
                f"선정되지 않음: {last}라운드에서 집계가 끝날 때까지 당선되지 못했습니다.",
            ),
        )
    return out


_TIE_BREAKS: dict[str, Texts] = {
    "pabutools": _both(
        'Ties go to the agenda whose code comes first as text ("10" before "9").',
        '동점이면 안건 코드를 글자 순으로 비교해 앞선 안건이 선정됩니다 ("10"이 "9"보다 앞).',
    ),
    "file": _both(
        "Ties go to the agenda listed first, in the order the agendas were published.",
        "동점이면 공개된 안건 순서에서 앞에 있는 안건이 선정됩니다.",
    ),
    "equalshares": _both(
        "Ties go to the cheaper agenda, then to the one with more votes, then by lot ({seed}).",
        "동점이면 사업비가 적은 안건, 그다음 득표가 많은 안건이 선정되고, 그래도 같으면 "
        "추첨({seed})으로 정합니다.",
    ),
    "lot": _both(
        'Ties are decided by lot: SHA-256 of "seed:agenda code", lowest first ({seed}).',
        '동점이면 추첨으로 정합니다: "시드:안건 코드"의 SHA-256 값이 가장 작은 안건 ({seed}).',
    ),
    "candidate_order": _both(
        "Ties are decided by the agendas' order on the ballot: of the tied agendas, the one "
        "listed first is elected, or kept when one must be eliminated.",
        "동점이면 투표지의 안건 순서로 정합니다: 동점인 안건 가운데 앞에 있는 안건이 당선되고, "
        "탈락할 안건을 고를 때는 뒤에 있는 안건이 탈락합니다.",
    ),
    "random": _both(
        "Ties are decided by lot, drawn as RCTab draws it (java.util.Random, {seed}).",
        "동점이면 RCTab과 같은 방식(java.util.Random)의 추첨으로 정합니다 ({seed}).",
    ),
    "previous_rounds_then_random": _both(
        "Ties go against the agenda with fewer votes in the latest earlier round where the "
        "tied agendas differed; if they never did, by lot (java.util.Random, {seed}).",
        "동점이면 이전 라운드 가운데 표 차이가 있었던 가장 최근 라운드에서 표가 적었던 안건이 "
        "탈락합니다. 차이가 없었다면 추첨(java.util.Random, {seed})으로 정합니다.",
    ),
    "pyrankvote": _both(
        "Ties are decided as pyrankvote decides them: by later preferences, then by lot "
        "(Python's random, {seed}).",
        "동점이면 pyrankvote의 방식으로 정합니다: 다음 순위의 선호를 비교하고, 그래도 같으면 "
        "추첨(Python random, {seed})으로 정합니다.",
    ),
}
_SEED = _both("seed {seed}", "시드 {seed}")
_COUNT_SEED = _both(
    "seed drawn when the count starts, published with the results",
    "집계를 시작할 때 뽑아 결과와 함께 공개하는 시드",
)


def tie_break(method: str, seed: str | None) -> dict[str, Any]:
    """A contest's tie-break as voters read it before the vote: the method, its own seed (or
    None: the count's published seed), and a Korean and English sentence."""
    texts = {
        lang: text.format(seed=(_SEED[lang].format(seed=seed) if seed else _COUNT_SEED[lang]))
        for lang, text in _TIE_BREAKS[method].items()
    }
    return {"method": method, "seed": seed, **texts}
