"""Field errors are written in English below the edges and read back into Korean there:
every ballot problem of the validators, marshmallow's messages and the short-code errors."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from votesvc.i18n import detail, details
from votesvc.tally.model import Agenda, BallotRules, BallotType, Contest
from votesvc.tally.options import option_problems
from votesvc.tally.ranked.validation import validate_ranking
from votesvc.tally.validation import validate_ballot
from votesvc.voting import shortcodes

HANGUL = re.compile("[가-힣]")
AGENDAS = (Agenda("P1", Fraction(400)), Agenda("P2", Fraction(300)), Agenda("P3", Fraction(500)))


def contest(ballot_type: BallotType = BallotType.APPROVAL, **rules: object) -> Contest:
    return Contest(AGENDAS, Fraction(1000), ballot_type, BallotRules(**rules))  # type: ignore[arg-type]


def problems() -> list[tuple[str, str]]:
    """One ballot problem of every code the validators have."""
    found = [
        *validate_ballot(contest(max_length=2, max_cost=Fraction(800)), ["P1", "X9", "P1", "P3"]),
        *validate_ballot(contest(min_length=2, min_cost=Fraction(500)), ["P1"]),
        *validate_ballot(contest(BallotType.ORDINAL, min_length=2), ["P1"]),
        *validate_ballot(contest(BallotType.ORDINAL, max_length=1), ["P1", "P2"]),
        *validate_ballot(contest(), ["P1"], [3]),
        *validate_ballot(contest(BallotType.CUMULATIVE), ["P1", "P2"], [1]),
        *validate_ballot(
            contest(
                BallotType.CUMULATIVE,
                max_points=5,
                max_points_per_agenda=4,
                min_points_per_agenda=1,
            ),
            ["P1", "P2", "P3"],
            [-1, 9, 0],
        ),
        *validate_ballot(contest(BallotType.SCORING, min_points=10), ["P1"], [2]),
        *validate_ranking(
            [["P1", "P2"], ["X9"], ["P1"], []], {"P1", "P2"}, max_rankings=3, min_marked=5
        ),
        *validate_ranking([["#overvote"]], {"P1"}),
    ]
    return [(p.code, p.message) for p in found]


def test_the_sample_has_every_problem_code() -> None:
    assert {code for code, _ in problems()} == {
        "unknown_agenda",
        "duplicate_agenda",
        "too_few_choices",
        "too_many_choices",
        "over_cost_limit",
        "under_cost_minimum",
        "points_mismatch",
        "negative_points",
        "too_many_points",
        "too_few_points",
        "agenda_points_too_high",
        "agenda_points_too_low",
        "unexpected_points",
        "overvote",
    }


@pytest.mark.parametrize(("code", "message"), problems())
def test_every_ballot_problem_reads_in_korean(code: str, message: str) -> None:
    korean = detail(message, "ko")
    assert HANGUL.search(korean), (code, message)
    assert detail(message, "en") == message


def test_korean_problems_keep_their_figures_and_particles() -> None:
    [*_, cost] = validate_ballot(contest(max_cost=Fraction(800)), ["P1", "P3"])
    assert detail(cost.message, "ko") == "사업비 합계 900이 한도 800을 넘습니다."
    [unknown] = validate_ballot(contest(), ["X9"])
    assert detail(unknown.message, "ko") == "X9는 이 투표지에 없는 안건입니다."
    [twice] = validate_ballot(contest(), ["P2", "P2"])
    assert detail(twice.message, "ko") == "P2를 두 번 표시했습니다."


class Everything(Schema):
    required = fields.String(required=True)
    nullable = fields.String(allow_none=False)
    number = fields.Integer(strict=True)
    ranged = fields.Integer(validate=validate.Range(min=1, max=9))
    at_least = fields.Integer(validate=validate.Range(min=1))
    below = fields.Integer(validate=validate.Range(max=9, max_inclusive=False))
    short = fields.String(validate=validate.Length(min=1, max=3))
    exact = fields.String(validate=validate.Length(equal=2))
    longer = fields.String(validate=validate.Length(min=5))
    choice = fields.String(validate=validate.OneOf(["a", "b"]))
    flag = fields.Boolean()
    moment = fields.AwareDateTime()
    when = fields.DateTime()
    items = fields.List(fields.String())
    mapping = fields.Dict()
    mail = fields.Email()
    decimal = fields.Float(allow_nan=False)


def test_marshmallow_messages_read_in_korean() -> None:
    bad = {
        "nullable": None,
        "number": "x",
        "ranged": 10,
        "at_least": 0,
        "below": 9,
        "short": "abcd",
        "exact": "a",
        "longer": "abc",
        "choice": "c",
        "flag": "maybe",
        "moment": "2024-01-01T00:00:00",
        "when": "not a time",
        "items": "x",
        "mapping": 1,
        "mail": "nobody",
        "decimal": "nan",
        "surprise": 1,
    }
    with pytest.raises(ValidationError) as caught:
        Everything().load(bad)
    messages = caught.value.normalized_messages()
    assert len(messages) == len(bad) + 1  # every field above, and the missing one
    korean = details(messages, "ko")
    untranslated = {
        name: texts for name, texts in korean.items() if not all(map(HANGUL.search, texts))
    }
    assert untranslated == {}
    assert korean["ranged"] == ["1 이상 9 이하여야 합니다."]


@pytest.mark.parametrize("typed", ["ABCD", "ABCD-EFGH-JKLM-NPQR-!", "ABCD-EFGH-JKLM-NPQR-STU1"])
def test_short_code_errors_read_in_korean(typed: str) -> None:
    with pytest.raises(shortcodes.ShortCodeError) as caught:
        shortcodes.parse_code(typed, 10)
    assert HANGUL.search(detail(str(caught.value), "ko"))


def test_nested_field_errors_keep_their_keys() -> None:
    nested = {"selections": {"city": ["Vote in at least one contest."]}, "0": ["Unknown field."]}
    assert details(nested, "ko") == {
        "selections": {"city": ["적어도 한 공모 분야에 투표해 주세요."]},
        "0": ["알 수 없는 항목입니다."],
    }
    assert detail("Some text nobody wrote.", "ko") == "Some text nobody wrote."


def test_rule_option_problems_read_in_korean() -> None:
    problems = option_problems("greedy", {"tie_break": "coin", "colour": "red"})
    assert set(problems) == {"tie_break", "colour"}
    korean = details(problems, "ko")
    assert all(HANGUL.search(text) for texts in korean.values() for text in texts), korean
    assert korean["colour"][0].startswith("집계 규칙 'greedy'의 옵션이 아닙니다.")
