"""Contests, agendas and booths through the admin API; every bad input is a clear 4xx that
changes nothing; the mapping onto the counting core's Contest."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from api_assertions import assert_error
from flask import Flask
from flask.testing import FlaskClient

from votesvc.models import Contest
from votesvc.services.common import fetch
from votesvc.services.contests import core_contest
from votesvc.tally import model as core

ADMIN = "/api/v1/admin"
MAX = 2**53
Headers = dict[str, str]
CONTEST = {
    "code": "north",
    "title_ko": "북구",
    "title_en": "North district",
    "budget": 300_000_000,
    "ballot_type": "approval",
    "rule": "equalshares/add1",
    "rule_options": {"tie_break": "lot:2024"},
    "min_selections": 1,
    "max_selections": 3,
    "knapsack_cap": True,
}
AGENDA = {
    "code": "N-01",
    "title_ko": "노란 발자국 안전 통학로",
    "title_en": "Safe school routes with yellow footprints",
    "cost": 45_000_000,
    "organisations": ["초록어머니회", "북구 주민자치회"],
}


@pytest.fixture
def election_id(imported_election: Callable[..., int]) -> int:
    return imported_election()


def _new_contest(client: FlaskClient, headers: Headers, election_id: int, **change: Any) -> Any:
    return client.post(
        f"{ADMIN}/elections/{election_id}/contests", json={**CONTEST, **change}, headers=headers
    )


def test_contest_and_agenda_crud(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    created = _new_contest(client, admin_headers, election_id)
    assert created.status_code == 201
    contest = created.get_json()
    assert contest["position"] == 1 and contest["agendas"] == []
    assert contest["rule_options"] == {"tie_break": "lot:2024"}

    agenda = client.post(
        f"{ADMIN}/contests/{contest['id']}/agendas", json=AGENDA, headers=admin_headers
    )
    assert agenda.status_code == 201
    agenda_body = agenda.get_json()
    assert agenda_body["position"] == 0 and agenda_body["cost"] == 45_000_000
    assert [o["name_ko"] for o in agenda_body["organisations"]] == [
        "초록어머니회",
        "북구 주민자치회",
    ]

    second = client.post(
        f"{ADMIN}/contests/{contest['id']}/agendas",
        json={"title_en": "Bike-share commuting challenge", "cost": MAX},
        headers=admin_headers,
    ).get_json()
    assert second["code"] == "2" and second["position"] == 1 and second["cost"] == MAX

    patched = client.patch(
        f"{ADMIN}/agendas/{agenda_body['id']}",
        json={"cost": 50_000_000, "organisations": ["북구 주민자치회"]},
        headers=admin_headers,
    ).get_json()
    assert patched["cost"] == 50_000_000
    assert [o["name_ko"] for o in patched["organisations"]] == ["북구 주민자치회"]
    assert (
        client.get(f"{ADMIN}/agendas/{agenda_body['id']}", headers=admin_headers).get_json()
        == patched
    )

    listed = client.get(f"{ADMIN}/contests/{contest['id']}/agendas", headers=admin_headers)
    assert [a["code"] for a in listed.get_json()] == ["N-01", "2"]

    patched_contest = client.patch(
        f"{ADMIN}/contests/{contest['id']}",
        json={"budget": 200_000_000, "title_en": "North"},
        headers=admin_headers,
    ).get_json()
    assert patched_contest["budget"] == 200_000_000
    detail = client.get(f"{ADMIN}/contests/{contest['id']}", headers=admin_headers).get_json()
    assert detail == patched_contest and len(detail["agendas"]) == 2

    codes = [
        c["code"]
        for c in client.get(
            f"{ADMIN}/elections/{election_id}/contests", headers=admin_headers
        ).get_json()
    ]
    assert codes == ["city", "north"]


def test_booth_crud_and_booths_stay_editable_while_voting(
    client: FlaskClient, admin_headers: Headers, imported_election: Callable[..., int]
) -> None:
    election_id = imported_election(phase="voting")
    booth = {
        "code": "b2",
        "name_ko": "남구 문화센터",
        "name_en": "South culture centre",
        "place": "남구 2",
    }
    created = client.post(
        f"{ADMIN}/elections/{election_id}/booths", json=booth, headers=admin_headers
    )
    assert created.status_code == 201
    booth_id = created.get_json()["id"]
    patched = client.patch(
        f"{ADMIN}/booths/{booth_id}", json={"place": "남구 3"}, headers=admin_headers
    )
    assert patched.get_json()["place"] == "남구 3"
    assert (
        client.get(f"{ADMIN}/booths/{booth_id}", headers=admin_headers).get_json()
        == patched.get_json()
    )
    listed = client.get(f"{ADMIN}/elections/{election_id}/booths", headers=admin_headers)
    assert [b["code"] for b in listed.get_json()] == ["b1", "b2"]
    duplicate = client.post(
        f"{ADMIN}/elections/{election_id}/booths", json=booth, headers=admin_headers
    )
    assert_error(duplicate, 409, "duplicate", {"code": ["Already used."]})
    for phase in ("closed",):
        client.post(
            f"{ADMIN}/elections/{election_id}/phase", json={"phase": phase}, headers=admin_headers
        )
    assert_error(
        client.patch(f"{ADMIN}/booths/{booth_id}", json={"place": "x"}, headers=admin_headers),
        409,
        "election_frozen",
        {},
    )


CONTEST_REFUSALS = [
    ({"budget": 0}, "budget"),
    ({"budget": -5}, "budget"),
    ({"budget": MAX + 1}, "budget"),
    ({"budget": "100"}, "budget"),
    ({"budget": 10.5}, "budget"),
    ({"budget": True}, "budget"),
    ({"ballot_type": "plurality"}, "ballot_type"),
    ({"rule": "coin-toss"}, "rule"),
    ({"rule": "irv"}, "rule"),  # ranked rule for approval ballots
    ({"title_ko": "", "title_en": " "}, "title_ko"),
    ({"min_selections": 4, "max_selections": 3}, "min_selections"),
    ({"max_ranks": 3}, "max_ranks"),
    ({"points_total": 10}, "points_total"),
    ({"ballot_type": "cumulative"}, "points_total"),
    ({"rule_options": {"seats": [1, 2]}}, "rule_options"),
    ({"rule_options": "fast"}, "rule_options"),
    # options the count reads are checked when the contest is saved, not at the count
    ({"rule": "greedy", "rule_options": {"add1_start": "share"}}, "rule_options"),  # no Add1
    ({"rule": "equalshares/add1", "rule_options": {"add1_start": "round"}}, "rule_options"),
    ({"rule_options": {"satisfaction": "joy"}}, "rule_options"),
    ({"rule": "greedy-threshold"}, "rule_options"),  # no min_project_score_threshold
    ({"knapsack_cap": "yes"}, "knapsack_cap"),
    ({"code": "no spaces"}, "code"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), CONTEST_REFUSALS)
def test_bad_contests_are_refused_and_change_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
    change: dict[str, Any],
    field: str,
) -> None:
    before = row_counts()
    response = _new_contest(client, admin_headers, election_id, **change)
    assert field in assert_error(response, 422, "validation_failed")
    assert row_counts() == before


def test_options_the_count_reads_are_kept(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    options = {"add1_start": "share", "satisfaction": "cardinality"}
    response = _new_contest(
        client, admin_headers, election_id, rule="equalshares/add1", rule_options=options
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rule_options"] == options


def test_ranked_contest_options(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    ranked = {
        "ballot_type": "ordinal",
        "rule": "stv",
        "max_ranks": 5,
        "max_selections": None,
        "knapsack_cap": False,
        "rule_options": {"rule_set": "rctab", "seats": 2},
    }
    assert _new_contest(client, admin_headers, election_id, **ranked).status_code == 201
    bad = {**ranked, "code": "r2", "rule_options": {"rule_set": "openstv"}}
    response = _new_contest(client, admin_headers, election_id, **bad)
    assert "rule_options" in assert_error(response, 422, "validation_failed")


def test_partial_update_is_checked_on_the_merged_contest(
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    contest = _new_contest(client, admin_headers, election_id).get_json()
    before = row_counts()
    response = client.patch(
        f"{ADMIN}/contests/{contest['id']}", json={"ballot_type": "ordinal"}, headers=admin_headers
    )
    fields = assert_error(response, 422, "validation_failed")
    assert {"max_selections", "knapsack_cap"} <= set(fields)
    assert row_counts() == before
    after = client.get(f"{ADMIN}/contests/{contest['id']}", headers=admin_headers).get_json()
    assert after["ballot_type"] == "approval"


def test_duplicate_contest_code_is_409(
    client: FlaskClient, admin_headers: Headers, election_id: int
) -> None:
    response = _new_contest(client, admin_headers, election_id, code="city")
    assert_error(response, 409, "duplicate", {"code": ["Already used."]})
    other = _new_contest(client, admin_headers, election_id).get_json()
    renamed = client.patch(
        f"{ADMIN}/contests/{other['id']}", json={"code": "city"}, headers=admin_headers
    )
    assert_error(renamed, 409, "duplicate", {"code": ["Already used."]})


AGENDA_REFUSALS = [
    ({"cost": -1}, "cost"),
    ({"cost": MAX + 1}, "cost"),
    ({"cost": "45000000"}, "cost"),
    ({"cost": 1.5}, "cost"),
    ({"cost": None}, "cost"),
    ({"title_ko": "", "title_en": ""}, "title_ko"),
    ({"title_ko": 5}, "title_ko"),
    ({"organisations": "초록어머니회"}, "organisations"),
    ({"organisations": [""]}, "organisations"),
    ({"organisations": ["가", "가"]}, "organisations"),
    ({"position": -1}, "position"),
    ({"votes": 12}, "votes"),
]


@pytest.mark.parametrize(("change", "field"), AGENDA_REFUSALS)
def test_bad_agendas_are_refused_and_change_nothing(
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
    change: dict[str, Any],
    field: str,
) -> None:
    before = row_counts()
    response = client.post(
        f"{ADMIN}/contests/1/agendas", json={**AGENDA, **change}, headers=admin_headers
    )
    assert field in assert_error(response, 422, "validation_failed")
    assert row_counts() == before
    patch = client.patch(f"{ADMIN}/agendas/1", json=change, headers=admin_headers)
    assert field in assert_error(patch, 422, "validation_failed")
    assert row_counts() == before


def test_duplicate_agenda_code_is_409(
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
) -> None:
    before = row_counts()
    response = client.post(
        f"{ADMIN}/contests/1/agendas", json={**AGENDA, "code": "A1"}, headers=admin_headers
    )
    assert_error(response, 409, "duplicate", {"code": ["Already used."]})
    assert row_counts() == before


@pytest.mark.parametrize(
    "body",
    [
        {"code": "b9"},
        {"code": "b9", "name_ko": "", "name_en": ""},
        {"name_ko": "x"},
        {"code": "b9", "name_ko": "x", "kiosks": 3},
    ],
)
def test_bad_booths_are_refused(
    client: FlaskClient,
    admin_headers: Headers,
    election_id: int,
    row_counts: Callable[[], dict[str, int]],
    body: dict[str, Any],
) -> None:
    before = row_counts()
    response = client.post(
        f"{ADMIN}/elections/{election_id}/booths", json=body, headers=admin_headers
    )
    assert_error(response, 422, "validation_failed")
    assert row_counts() == before


@pytest.mark.parametrize(
    ("change", "rules", "meta"),
    [
        ({}, core.BallotRules(min_length=None, max_length=2), {"rule": "greedy"}),
        (
            {
                "ballot_type": "cumulative",
                "rule": "equalshares",
                "points_total": 10,
                "max_points_per_agenda": 4,
                "knapsack_cap": True,
                "min_selections": 1,
                "rule_options": {"satisfaction": "points", "tie_break": "lot:7"},
            },
            core.BallotRules(
                min_length=1,
                max_length=2,
                max_cost=Fraction(1_000_000),
                max_points=10,
                max_points_per_agenda=4,
            ),
            {"rule": "equalshares", "satisfaction": "points", "tie_break": "lot:7"},
        ),
        (
            {"ballot_type": "ordinal", "rule": "irv", "max_selections": None, "max_ranks": 3},
            core.BallotRules(max_length=3),
            {"rule": "irv"},
        ),
        (
            {"ballot_type": "choose-1", "rule": "greedy", "max_selections": None},
            core.BallotRules(max_length=1),
            {"rule": "greedy"},
        ),
    ],
)
def test_core_contest_mapping(
    app: Flask,
    election_document: dict[str, Any],
    imported_election: Callable[..., int],
    change: dict[str, Any],
    rules: core.BallotRules,
    meta: dict[str, str],
) -> None:
    contests = election_document["contests"]
    contests[0].update(change)
    imported_election(contests=contests)
    with app.app_context():
        contest = core_contest(fetch(Contest, 1))
    assert contest.budget == Fraction(1_000_000)
    assert contest.ballot_type == core.BallotType(contests[0]["ballot_type"])
    assert contest.rules == rules
    assert dict(contest.meta) == meta
    assert contest.agendas == (
        core.Agenda("A1", Fraction(400_000), "가로등"),
        core.Agenda("A2", Fraction(500_000), "Bike lanes"),
        core.Agenda("A3", Fraction(300_000), "Library"),
    )


def test_exclusive_groups_are_stored_checked_and_reach_the_count(
    app: Flask,
    client: FlaskClient,
    admin_headers: Headers,
    election_document: dict[str, Any],
    imported_election: Callable[..., int],
) -> None:
    contests = election_document["contests"]
    contests[0]["exclusive_groups"] = [["A1", "A3"]]
    election_id = imported_election(contests=contests)
    with app.app_context():
        assert core_contest(fetch(Contest, 1)).exclusive == (("A1", "A3"),)
    url = f"{ADMIN}/contests/1"
    assert client.get(url, headers=admin_headers).get_json()["exclusive_groups"] == [["A1", "A3"]]
    unknown = client.patch(url, json={"exclusive_groups": [["A1", "Z9"]]}, headers=admin_headers)
    assert "exclusive_groups" in assert_error(unknown, 422, "validation_failed")
    single = client.patch(url, json={"exclusive_groups": [["A1", "A1"]]}, headers=admin_headers)
    assert "exclusive_groups" in assert_error(single, 422, "validation_failed")
    fresh = _new_contest(client, admin_headers, election_id, exclusive_groups=[["N-01", "N-02"]])
    assert fresh.status_code == 201  # its agendas come later; opening voting checks them
    opened = client.post(
        f"{ADMIN}/elections/{election_id}/phase", json={"phase": "voting"}, headers=admin_headers
    )
    assert_error(opened, 409, "election_not_ready")
