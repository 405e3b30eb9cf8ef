"""Under ``Accept-Language: ko`` the field details come in Korean too (marshmallow's, the
services' and the ballot validator's); in English they are exactly as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient
from voting_support import issue, open_election

KO = {"Accept-Language": "ko"}
SELECTIONS = {
    "city": {"choices": ["A1", "A2", "A3", "Z9"]},
    "north": {"choices": ["N1", "N2"], "points": [7, 4]},
    "south": {"choices": ["S1"]},
}


def _cast(client: FlaskClient, election_id: int, token: str, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/elections/{election_id}/ballots",
        json={"token": token, "selections": SELECTIONS},
        headers=headers,
    )


def test_ballot_problems_come_in_the_voters_language(
    app: Flask, client: FlaskClient, imported_election: Callable[..., int]
) -> None:
    election_id = open_election(imported_election)
    token = issue(app, election_id, 1)[0]
    korean = assert_error(
        _cast(client, election_id, token.signed, KO), 422, "ballot_invalid", language="ko"
    )["selections"]
    assert korean == {
        "city": [
            "Z9는 이 투표지에 없는 안건입니다.",
            "2개까지 고를 수 있는데 4개를 골랐습니다.",
            "사업비 합계 1400000이 한도 1000000을 넘습니다.",
        ],
        "north": [
            "N1의 점수가 7점입니다. 안건마다 6점까지 줄 수 있습니다.",
            "모두 11점을 주었습니다. 10점까지 줄 수 있습니다.",
        ],
        "south": ["이 선거의 공모 분야가 아닙니다."],
    }
    english = assert_error(_cast(client, election_id, token.signed, {}), 422, "ballot_invalid")
    assert english["selections"]["south"] == ["Not a contest of this election."]
    assert "Z9 is not on this ballot." in english["selections"]["city"]


def test_marshmallow_field_errors_come_in_korean(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/admin/elections",
        json={"slug": 12, "timezone": "Mars/Olympus", "surprise": True},
        headers={**admin_headers, **KO},
    )
    fields = assert_error(response, 422, "validation_failed", language="ko")
    assert fields["slug"] == ["문자열이 아닙니다."]
    assert fields["timezone"] == [
        "알 수 없는 시간대입니다. Asia/Seoul처럼 tz 데이터베이스의 이름을 쓰세요."
    ]
    assert fields["surprise"] == ["알 수 없는 항목입니다."]
    assert fields["starts_at"] == ["필수 항목입니다."]
